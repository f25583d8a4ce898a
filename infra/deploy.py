"""`make preview` / `make deploy`: run the Pulumi program for one stage with one AWS profile.

Every prerequisite is checked first and every missing one reported in plain words (no traceback):
the Pulumi CLI, the stage's stack file, an AWS profile that resolves to credentials. Then the Lambda
artifacts are built and ``pulumi preview`` / ``pulumi up`` runs in ``infra/pulumi``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "infra" / "pulumi"


def problems(stage: str, profile: str | None, command: str, ci: bool) -> list[str]:
    found = []
    if not (PROGRAM / f"Pulumi.{stage}.yaml").exists():
        stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in PROGRAM.glob("Pulumi.*.yaml"))
        found.append(f"no stack file infra/pulumi/Pulumi.{stage}.yaml (stages: {', '.join(stacks)})")
    if not shutil.which("pulumi"):
        found.append("the Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/ "
                     "(CI installs it with pulumi/actions), then `pulumi login`")
    if profile:
        found += _profile_problems(profile)
    elif command == "up" and not ci:
        # Deploying with whatever credentials happen to be in the environment is how accidents happen.
        found.append("no AWS profile: run `make deploy STAGE=<stage> AWS_PROFILE=<profile>`")
    elif not ci and not _default_credentials():
        found.append("no AWS credentials: pass AWS_PROFILE=<profile> (see `aws configure list-profiles`)")
    return found


def _profile_problems(profile: str) -> list[str]:
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=profile)
        if session.get_credentials() is None:
            return [f"AWS profile {profile!r} has no credentials"]
    except ProfileNotFound:
        return [f"AWS profile {profile!r} is not configured (see `aws configure list-profiles`)"]
    except BotoCoreError as exc:
        return [f"AWS profile {profile!r} cannot be used: {exc}"]
    return []


def _default_credentials() -> bool:
    import boto3

    try:
        return boto3.session.Session().get_credentials() is not None
    except Exception:  # noqa: BLE001 — any failure here means "no usable credentials"
        return False


def run(command: str, stage: str, profile: str | None, ci: bool) -> int:
    found = problems(stage, profile, command, ci)
    if found:
        print(f"cannot run `pulumi {command}` for stage {stage!r}:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    from infra.packaging import PackagingError, build

    try:
        build()
    except PackagingError as exc:
        print(f"cannot build the Lambda artifacts: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, **({"AWS_PROFILE": profile} if profile else {})}
    # A person confirms `pulumi up` at Pulumi's own prompt; CI has said yes by merging to main.
    pulumi = ["pulumi", "--cwd", str(PROGRAM)] + (["--non-interactive"] if ci else [])
    select = subprocess.run([*pulumi, "stack", "select", stage, "--create"], env=env)
    if select.returncode != 0:
        return select.returncode
    args = [*pulumi, command, "--stack", stage]
    if ci:
        args.append("--yes" if command == "up" else "--diff")
    return subprocess.run(args, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("preview", "up"))
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--profile", default=os.environ.get("AWS_PROFILE") or None)
    parser.add_argument("--ci", action="store_true", help="credentials come from the environment (OIDC)")
    args = parser.parse_args(argv)
    try:
        return run(args.command, args.stage, args.profile, args.ci)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
