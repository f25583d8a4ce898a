"""Entry point of ``pulumi preview`` / ``pulumi up`` (run with ``--cwd infra/pulumi``).

The account and region come from the credentials Pulumi runs with (``AWS_PROFILE`` or CI's OIDC
role); the stage's settings from ``Pulumi.<stage>.yaml``; the code from ``make build``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the program imports the manifest from the repository
    sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
import pulumi_aws as aws  # noqa: E402

from infra.manifest import Naming  # noqa: E402
from infra.packaging import PackagingError, load_index  # noqa: E402
from infra.pulumi.config import DeployConfigError, from_pulumi  # noqa: E402
from infra.pulumi.program import deploy, export_outputs  # noqa: E402


def main() -> None:
    try:
        config = from_pulumi(load_index())
    except (PackagingError, DeployConfigError) as exc:
        # A clear one-line reason in `pulumi preview`, not a Python traceback.
        raise pulumi.RunError(str(exc)) from None
    identity = aws.get_caller_identity()
    naming = Naming(stage=config.stage, account=identity.account_id, region=aws.get_region().region)
    export_outputs(deploy(naming, config))


main()
