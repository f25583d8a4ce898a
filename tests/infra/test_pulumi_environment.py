"""The names and ARNs handed to functions as environment are those of the declared resources, and
the stack files give every value the manifest leaves to the target."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
import yaml

from infra import manifest
from infra.pulumi.config import DERIVED, DeployConfigError, from_pulumi, required_outside
from tests.infra.pulumi_mocks import API_ID, NAMING, fake_artifacts, run_deploy, stage_config

N = NAMING
PROGRAM = Path(__file__).resolve().parents[2] / "infra" / "pulumi"


def _names(declared, suffix: str, field: str = "name") -> set[str]:
    return {r.state[field] for r in declared.of_type(suffix)}


def _check(declared, fn: manifest.Function, name: str, ref, value: str, outside: dict[str, str]) -> None:
    match ref:
        case manifest.TableName():
            assert value in _names(declared, "dynamodb/table:Table")
        case manifest.TopicArn():
            assert value in _names(declared, "sns/topic:Topic", "arn")
        case manifest.SecretName():
            assert value in _names(declared, "secretsmanager/secret:Secret")
        case manifest.RoleArn():
            assert value in _names(declared, "iam/role:Role", "arn")
        case manifest.DlqArn():
            assert value in _names(declared, "sqs/queue:Queue", "arn")
        case manifest.ScheduleGroup():
            assert value in _names(declared, "scheduler/scheduleGroup:ScheduleGroup")
        case manifest.Outside(key) if key == "MCP_SERVER_URL" and key not in outside:
            assert value == f"https://{API_ID}.execute-api.{N.region}.amazonaws.com/mcp"
        case manifest.Outside(key):
            assert value == outside[key]
        case manifest.Const(constant):
            assert value == constant
        case _ if type(ref).__name__ == "RedriveMap":
            queues = _names(declared, "sqs/queue:Queue")
            assert all({q["queue"], q["dlq"]} <= queues for q in json.loads(value).values())
        case _:
            pytest.fail(f"{fn.key}.{name}: no check for {type(ref).__name__} — add one")


@pytest.mark.parametrize("fn", list(manifest.FUNCTIONS.values()), ids=lambda f: f.key)
def test_environment_names_the_declared_resources(declared, fn, tmp_path):
    config = stage_config(tmp_path)
    outside = config.outside_values()
    env = declared.one("lambda/function:Function", name=N.function(fn.key)).inputs["environment"]["variables"]
    assert set(env) == set(fn.env)
    for name, ref in fn.env.items():
        _check(declared, fn, name, ref, env[name], outside)


def test_environment_is_what_resolve_env_gives_locally(declared, tmp_path):
    outside = stage_config(tmp_path).outside_values()
    for fn in manifest.FUNCTIONS.values():
        env = declared.one("lambda/function:Function", name=N.function(fn.key)).inputs["environment"]["variables"]
        local = manifest.resolve_env(fn, N, outside)
        assert {k: v for k, v in env.items() if k in local} == local


def test_a_configured_mcp_url_wins_over_the_api_endpoint(tmp_path):
    config = stage_config(tmp_path)
    config = stage_config(tmp_path, outside={**config.outside, "MCP_SERVER_URL": "https://mcp.example/mcp"})
    recording, _ = run_deploy(config)
    wanting = [f for f in manifest.FUNCTIONS.values() if any(
        isinstance(r, manifest.Outside) and r.name == "MCP_SERVER_URL" for r in f.env.values())]
    assert wanting
    for fn in wanting:
        env = recording.one("lambda/function:Function", name=N.function(fn.key)).inputs["environment"]["variables"]
        assert "https://mcp.example/mcp" in env.values()


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stack_files_give_every_outside_value(stage):
    config = yaml.safe_load((PROGRAM / f"Pulumi.{stage}.yaml").read_text())["config"]
    assert config["rez-agent:stage"] == stage
    assert required_outside() - DERIVED <= set(config["rez-agent:outside"])
    assert not {k for k in config["rez-agent:outside"]} - required_outside(), "stale keys in the stack file"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stack_file_reads_into_a_stage_config_once_the_identity_provider_is_set(stage, tmp_path):
    raw = yaml.safe_load((PROGRAM / f"Pulumi.{stage}.yaml").read_text())["config"]

    def read(outside: dict):
        values = {**raw, "rez-agent:outside": outside}
        pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()})
        try:
            return from_pulumi(fake_artifacts(tmp_path))
        finally:
            pulumi.runtime.set_all_config({})

    # The repository cannot know the deployer's identity provider: deploying says what to set.
    with pytest.raises(DeployConfigError, match="API_JWT_AUDIENCE, API_JWT_ISSUER must name your identity"):
        read(raw["rez-agent:outside"])
    config = read({**raw["rez-agent:outside"], "API_JWT_ISSUER": "https://idp.example", "API_JWT_AUDIENCE": "a"})
    assert config.stage == stage and config.log_retention_days == raw["rez-agent:logRetentionDays"]
    assert config.deletion_protection is raw["rez-agent:deletionProtection"]


def test_missing_values_are_named_not_a_traceback(tmp_path):
    config = stage_config(tmp_path, outside={"NTFY_URL": "x"})
    with pytest.raises(DeployConfigError, match="GOLF_ORIGINS") as error:
        config.validate()
    assert "Pulumi.dev.yaml" in str(error.value)
    artifacts = dict(fake_artifacts(tmp_path))
    artifacts.pop("processor")
    with pytest.raises(DeployConfigError, match="make build"):
        stage_config(tmp_path, artifacts=artifacts).validate()


def test_prod_protects_tables_and_secrets(tmp_path):
    recording, _ = run_deploy(stage_config(tmp_path, deletion_protection=True))
    assert all(t.inputs["deletionProtectionEnabled"] for t in recording.of_type("dynamodb/table:Table"))
