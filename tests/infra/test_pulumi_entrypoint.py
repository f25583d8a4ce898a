"""``infra/pulumi/__main__.py`` — what the Pulumi CLI runs — under mocks: it reads the stack file,
takes the account and region from the credentials, and stops with a one-line reason when the
artifacts are missing."""

from __future__ import annotations

import asyncio
import json
import runpy
from pathlib import Path

import pulumi
import pytest
import yaml

from infra import packaging
from infra.manifest import Naming
from tests.infra.pulumi_mocks import Recording, RecordingMocks, fake_artifacts

MAIN = Path(__file__).resolve().parents[2] / "infra" / "pulumi" / "__main__.py"
NAMING = Naming(stage="dev", account="333344445555", region="eu-central-1")


class CliMocks(RecordingMocks):
    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": NAMING.account, "arn": f"arn:aws:iam::{NAMING.account}:user/ci", "userId": "ci",
                    "id": NAMING.account}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": NAMING.region, "name": NAMING.region, "id": NAMING.region}
        return {}


def _run_main(monkeypatch, tmp_path, artifacts) -> Recording:
    raw = yaml.safe_load((MAIN.parent / "Pulumi.dev.yaml").read_text())["config"]
    raw["rez-agent:outside"] = {**raw["rez-agent:outside"], "API_JWT_ISSUER": "https://idp.example",
                                "API_JWT_AUDIENCE": "rez"}
    monkeypatch.setattr(packaging, "load_index", artifacts)
    recording = Recording()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(CliMocks(NAMING, recording), project="rez-agent", stack="dev", preview=False)
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()})
    try:
        pulumi.runtime.test(lambda: runpy.run_path(str(MAIN), run_name="__main__") and None)()
    finally:
        pulumi.runtime.set_all_config({})
        asyncio.set_event_loop(None)
        loop.close()
    return recording


def test_the_entry_point_deploys_into_the_callers_account_and_region(monkeypatch, tmp_path):
    recording = _run_main(monkeypatch, tmp_path, lambda: fake_artifacts(tmp_path))
    processor = recording.one("lambda/function:Function", name=NAMING.function("processor")).inputs
    assert processor["environment"]["variables"]["MESSAGES_TABLE_NAME"] == NAMING.table("messages")
    assert processor["environment"]["variables"]["LOG_LEVEL"] == "DEBUG"  # from Pulumi.dev.yaml
    assert recording.one("s3/bucket:Bucket").inputs["bucket"] == f"rez-agent-artifacts-{NAMING.account}-dev"


def test_missing_artifacts_stop_the_program_with_the_reason(monkeypatch, tmp_path):
    def missing():
        raise packaging.PackagingError("build/lambda/index.json not found: run `make build` first")

    with pytest.raises(pulumi.RunError, match="run `make build` first"):
        _run_main(monkeypatch, tmp_path, missing)
