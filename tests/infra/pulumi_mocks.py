"""Run ``infra.pulumi.program.deploy`` under Pulumi's mocks and keep what it declared.

The mocks play AWS's part only as far as the program reads back computed values (ARNs, URLs,
ids): they compute them the way AWS does from the physical names the program chose, so a test
can hold an environment variable or a policy resource against the declared resource.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from infra import manifest
from infra.manifest import Naming
from infra.packaging import Artifact
from infra.pulumi.config import StageConfig

NAMING = Naming(stage="dev", account="210987654321", region="eu-west-1")
API_ID = "a1b2c3d4e5"


@dataclass
class Declared:
    type: str
    logical: str
    inputs: dict[str, Any]
    state: dict[str, Any]


@dataclass
class Recording:
    resources: list[Declared] = field(default_factory=list)

    def of_type(self, suffix: str) -> list[Declared]:
        """Resources whose type token ends with ``suffix`` (``"sqs/queue:Queue"``)."""
        return [r for r in self.resources if r.type.endswith(suffix)]

    def one(self, suffix: str, **inputs: Any) -> Declared:
        found = [r for r in self.of_type(suffix) if all(r.inputs.get(k) == v for k, v in inputs.items())]
        assert len(found) == 1, f"expected one {suffix} with {inputs}, found {len(found)}"
        return found[0]


def _computed(typ: str, logical: str, inputs: dict[str, Any], naming: Naming) -> tuple[str, dict[str, Any]]:
    region, account, name = naming.region, naming.account, inputs.get("name", logical)
    match typ.split(":", 1)[1]:
        case "dynamodb/table:Table":
            return name, {"arn": f"arn:aws:dynamodb:{region}:{account}:table/{name}"}
        case "sns/topic:Topic":
            return f"arn:aws:sns:{region}:{account}:{name}", {"arn": f"arn:aws:sns:{region}:{account}:{name}"}
        case "sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
            return url, {"arn": f"arn:aws:sqs:{region}:{account}:{name}", "url": url}
        case "secretsmanager/secret:Secret":
            arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-Ab12Cd"
            return arn, {"arn": arn}
        case "iam/role:Role":
            return name, {"arn": f"arn:aws:iam::{account}:role/{name}"}
        case "lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
            return name, {"arn": arn, "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/"
                                                   f"functions/{arn}/invocations"}
        case "cloudwatch/logGroup:LogGroup":
            return name, {"arn": f"arn:aws:logs:{region}:{account}:log-group:{name}"}
        case "apigatewayv2/api:Api":
            return API_ID, {"apiEndpoint": f"https://{API_ID}.execute-api.{region}.amazonaws.com",
                            "executionArn": f"arn:aws:execute-api:{region}:{account}:{API_ID}"}
        case "s3/bucket:Bucket":
            return inputs["bucket"], {"arn": f"arn:aws:s3:::{inputs['bucket']}"}
        case "scheduler/scheduleGroup:ScheduleGroup":
            return name, {"arn": f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"}
    return f"{logical}-id", {}


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, naming: Naming, recording: Recording) -> None:
        self.naming = naming
        self.recording = recording

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        resource_id, computed = _computed(args.typ, args.name, inputs, self.naming)
        state = {**inputs, **computed}
        self.recording.resources.append(Declared(args.typ, args.name, inputs, state))
        return [resource_id, state]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def fake_artifacts(directory: Path) -> dict[str, Artifact]:
    """One artifact per function; two functions share bytes, as functions of one group do."""
    def artifact(key: str) -> Artifact:
        digest = "ab" * 32 if key in ("agent", "scheduler") else f"{abs(hash(key)) % 10**12:064d}"
        return Artifact(function=key, group="test", path=str(directory / f"{key}.zip"), sha256=digest,
                        base64_sha256=f"b64-{digest[:8]}", size=1)
    return {key: artifact(key) for key in manifest.FUNCTIONS}


def stage_config(directory: Path, **overrides: Any) -> StageConfig:
    outside = {"NTFY_URL": "https://ntfy.example/rez", "NTFY_BACKOFF_SECONDS": "1", "HTTP_BACKOFF_SECONDS": "2",
               "GOLF_ORIGINS": '{"1":"https://birdsfoot.cps.golf"}', "GOLF_JWT_AUDIENCE": "aud",
               "WEATHER_BASE_URL": "https://api.weather.gov", "SSRF_ALLOWED_HOSTS": "api.weather.gov",
               "SSRF_TRUSTED_ORIGINS": "", "BEDROCK_MODEL_ID": "model-x", "AGENT_DAILY_CAP_USD": "3.5",
               "API_JWT_ISSUER": "https://issuer.example/pool", "API_JWT_AUDIENCE": "rez-agent-users"}
    values: dict[str, Any] = {"stage": NAMING.stage, "artifacts": fake_artifacts(directory), "outside": outside,
                              "log_retention_days": 14}
    values.update(overrides)
    return StageConfig(**values)


def run_deploy(config: StageConfig, naming: Naming = NAMING) -> tuple[Recording, Any]:
    """Declare everything under mocks; return what was declared and the ``Deployment``."""
    from infra.pulumi.program import deploy

    # Pulumi's runtime drives the current event loop; a test that ran asyncio.run() before us in the
    # same worker leaves none behind.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recording = Recording()
    pulumi.runtime.set_mocks(RecordingMocks(naming, recording), project="rez-agent", stack=naming.stage,
                             preview=False)
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def program():
        result["deployment"] = deploy(naming, config)

    try:
        program()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return recording, result["deployment"]
