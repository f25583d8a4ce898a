"""Typed settings, read once from the environment.

This is the only module of ``services/`` that reads ``os.environ``. Everything else receives a
``Settings`` (or the values it needs) as an argument. The environment is the one a Lambda function
gets from its deployment: resource names and ARNs from the manifest, outside-world URLs from the
stage's configuration. The AWS endpoint is not a setting: boto3 reads the standard
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` variables itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.core.errors import ConfigurationError

Stage = Literal["dev", "stage", "prod"]

# Environment variable name -> Settings field. One table, so the manifest and this module agree.
ENV_FIELDS: dict[str, str] = {
    "STAGE": "stage",
    "AWS_REGION": "region",
    "LOG_LEVEL": "log_level",
    "MESSAGES_TABLE_NAME": "messages_table",
    "RESULTS_TABLE_NAME": "results_table",
    "SCHEDULES_TABLE_NAME": "schedules_table",
    "SESSIONS_TABLE_NAME": "sessions_table",
    "COST_TABLE_NAME": "cost_table",
    "WEB_ACTIONS_TOPIC_ARN": "web_actions_topic_arn",
    "NOTIFICATIONS_TOPIC_ARN": "notifications_topic_arn",
    "AGENT_RESPONSES_TOPIC_ARN": "agent_responses_topic_arn",
    "SCHEDULE_CREATION_TOPIC_ARN": "schedule_creation_topic_arn",
    "ALERTS_TOPIC_ARN": "alerts_topic_arn",
    "NTFY_URL": "ntfy_url",
    "NTFY_MAX_ATTEMPTS": "ntfy_max_attempts",
    "NTFY_BACKOFF_SECONDS": "ntfy_backoff_seconds",
    "NTFY_TIMEOUT_SECONDS": "ntfy_timeout_seconds",
    "HTTP_MAX_ATTEMPTS": "http_max_attempts",
    "HTTP_BACKOFF_SECONDS": "http_backoff_seconds",
    "HTTP_TIMEOUT_SECONDS": "http_timeout_seconds",
    "GOLF_SECRET_NAME": "golf_secret_name",
    "GOLF_ORIGINS": "golf_origins",
    "GOLF_JWT_AUDIENCE": "golf_jwt_audience",
    "WEATHER_BASE_URL": "weather_base_url",
    "SSRF_ALLOWED_HOSTS": "ssrf_allowed_hosts",
    "SSRF_TRUSTED_ORIGINS": "ssrf_trusted_origins",
    "SCHEDULE_GROUP_NAME": "schedule_group_name",
    "SCHEDULER_ROLE_ARN": "scheduler_role_arn",
    "SCHEDULES_DLQ_ARN": "schedules_dlq_arn",
    "BEDROCK_MODEL_ID": "bedrock_model_id",
    "BEDROCK_REGION": "bedrock_region",
    "BEDROCK_TEMPERATURE": "bedrock_temperature",
    "BEDROCK_MAX_TOKENS": "bedrock_max_tokens",
    "AGENT_DAILY_CAP_USD": "agent_daily_cap_usd",
    "MCP_SERVER_URL": "mcp_server_url",
    "MCP_API_KEY_SECRET_NAME": "mcp_api_key_secret_name",
    "REDRIVE_QUEUES": "redrive_queues",
    "API_JWT_ISSUER": "api_jwt_issuer",
}


class Settings(BaseModel):
    """Everything a function may be configured with. Unset values keep the documented defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage = "dev"
    region: str = "us-east-1"
    log_level: str = "INFO"

    messages_table: str = "rez-agent-messages-dev"
    results_table: str = "rez-agent-web-action-results-dev"
    schedules_table: str = "rez-agent-schedules-dev"
    sessions_table: str = "rez-agent-sessions-dev"
    cost_table: str = "rez-agent-cost-dev"

    web_actions_topic_arn: str = ""
    notifications_topic_arn: str = ""
    agent_responses_topic_arn: str = ""
    schedule_creation_topic_arn: str = ""
    alerts_topic_arn: str = ""

    ntfy_url: str = "https://ntfy.sh/rez-agent-dev"
    ntfy_max_attempts: int = Field(3, ge=1, le=10)
    ntfy_backoff_seconds: float = Field(1.0, ge=0)
    ntfy_timeout_seconds: float = Field(10.0, gt=0)

    http_max_attempts: int = Field(3, ge=1, le=10)
    http_backoff_seconds: float = Field(2.0, ge=0)
    http_timeout_seconds: float = Field(30.0, gt=0)

    golf_secret_name: str = "rez-agent/golf/credentials-dev"
    golf_origins: dict[str, str] = Field(
        default_factory=lambda: {"1": "https://birdsfoot.cps.golf", "2": "https://totteridge.cps.golf"}
    )
    golf_jwt_audience: str = "onlinereservation"
    weather_base_url: str = "https://api.weather.gov"
    ssrf_allowed_hosts: tuple[str, ...] = ("api.weather.gov", "birdsfoot.cps.golf", "totteridge.cps.golf")
    ssrf_trusted_origins: tuple[str, ...] = ()

    schedule_group_name: str = "rez-agent-dev"
    scheduler_role_arn: str = ""
    schedules_dlq_arn: str = ""

    bedrock_model_id: str = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    bedrock_region: str = "us-east-1"
    bedrock_temperature: float = 0.5
    bedrock_max_tokens: int = 4096
    agent_daily_cap_usd: float = 10.0
    mcp_server_url: str = ""
    mcp_api_key_secret_name: str = ""
    redrive_queues: str = ""  # JSON {queue key: {"queue": name, "dlq": name}}
    api_jwt_issuer: str = ""  # where users sign in (the chat page's sign-in form)

    @field_validator("golf_origins", mode="before")
    @classmethod
    def _json_map(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("ssrf_allowed_hosts", "ssrf_trusted_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from an environment mapping (``os.environ`` when not given)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, field in ENV_FIELDS.items():
            raw = env.get(name)
            if raw is not None and raw.strip() != "":
                values[field] = raw.strip()
        if "region" not in values and env.get("AWS_DEFAULT_REGION"):
            values["region"] = env["AWS_DEFAULT_REGION"]
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"invalid configuration: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read on first use (never at import time)."""
    return Settings.from_env()
