"""Stage configuration: what differs between stages and between local and AWS.

Everything the manifest marks ``Outside(NAME)`` comes from the stack file's ``rez-agent:outside``
map, keyed by that same NAME, so there is no second list of settings to keep in step. ``STAGE`` and
``LOG_LEVEL`` come from their own keys; ``MCP_SERVER_URL`` defaults to the deployed HTTP API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from infra import manifest
from infra.packaging import Artifact

PROJECT = "rez-agent"  # the Pulumi project name, hence the config namespace
DERIVED = frozenset({"STAGE", "LOG_LEVEL", "MCP_SERVER_URL"})


class DeployConfigError(ValueError):
    """A stack file that cannot deploy; the message names the keys to set."""


@dataclass(frozen=True)
class StageConfig:
    stage: str
    artifacts: Mapping[str, Artifact]
    outside: Mapping[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    log_retention_days: int = 7
    deletion_protection: bool = False  # tables and secrets survive `pulumi destroy` (prod)
    secret_recovery_days: int = 7

    def outside_values(self) -> dict[str, str]:
        return {**self.outside, "STAGE": self.stage, "LOG_LEVEL": self.log_level}

    def validate(self) -> None:
        missing = sorted(required_outside() - set(self.outside) - DERIVED)
        if missing:
            raise DeployConfigError(
                f"stack config rez-agent:outside lacks {', '.join(missing)} "
                f"(set them in infra/pulumi/Pulumi.{self.stage}.yaml)")
        empty = sorted(name for name in authorizer_outside() if not self.outside.get(name, "").strip())
        if empty:
            raise DeployConfigError(
                f"rez-agent:outside {', '.join(empty)} must name your identity provider (the issuer URL "
                "and the audience of the tokens the API accepts, e.g. a Cognito user pool "
                f"https://cognito-idp.<region>.amazonaws.com/<pool-id> and its app client id): "
                f"`pulumi config set --path 'rez-agent:outside.{empty[0]}' <value> --stack {self.stage}`")
        unknown_functions = sorted(set(manifest.FUNCTIONS) - set(self.artifacts))
        if unknown_functions:
            raise DeployConfigError(f"no Lambda artifact for {', '.join(unknown_functions)}: run `make build`")


def required_outside() -> set[str]:
    """Every ``Outside(NAME)`` of the manifest: functions' environment and the API's authorizer."""
    return {ref.name for fn in manifest.FUNCTIONS.values() for ref in fn.env.values()
            if isinstance(ref, manifest.Outside)} | authorizer_outside()


def authorizer_outside() -> set[str]:
    spec = getattr(manifest, "API_AUTHORIZER", None)
    return {spec.issuer.name, spec.audience.name} if spec else set()


def from_pulumi(artifacts: Mapping[str, Artifact]) -> StageConfig:
    import pulumi

    config = pulumi.Config(PROJECT)
    outside = config.get_object("outside") or {}
    stage_config = StageConfig(
        stage=config.get("stage") or pulumi.get_stack(),
        artifacts=artifacts,
        outside={str(k): str(v) for k, v in outside.items()},
        log_level=config.get("logLevel") or "INFO",
        log_retention_days=_int(config, "logRetentionDays", 7),
        deletion_protection=bool(config.get_bool("deletionProtection")),
        secret_recovery_days=_int(config, "secretRecoveryDays", 7),
    )
    stage_config.validate()
    return stage_config


def _int(config, key: str, default: int) -> int:
    value = config.get_int(key)
    return default if value is None else value  # 0 is a value (no recovery window), not "unset"
