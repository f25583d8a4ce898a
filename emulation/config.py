"""Configuration of the local stack: ports, stage, where state and logs go.

Every default port is stable and can be overridden by an environment variable (``REZ_PORT_<NAME>``)
or a ``rez up`` option. Port 0 means "any free port" (what the tests use, so parallel test workers
each get their own stack).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

DEFAULT_PORTS: dict[str, int] = {
    "aws": 4566,        # the AWS endpoint, where LocalStack users expect it
    "api": 8080,        # the HTTP API (API Gateway)
    "control": 8081,    # the emulator's control API (clock, logs, traces)
    "ntfy": 8090,       # the ntfy inbox
    "birdsfoot": 8091,  # golf course origin 1 (identity server + golf API)
    "totteridge": 8092, # golf course origin 2
    "weather": 8093,    # NOAA api.weather.gov
    "bedrock": 8094,    # Bedrock Runtime Converse stand-in
    "identity": 8095,   # the API's identity provider (OAuth password grant, JWKS) for user tokens
}
PORT_DESCRIPTIONS = {
    "aws": "AWS endpoint", "api": "HTTP API", "control": "control API", "ntfy": "ntfy inbox",
    "birdsfoot": "golf course origin (Birdsfoot)", "totteridge": "golf course origin (Totteridge)",
    "weather": "NOAA weather fake", "bedrock": "Bedrock Converse stand-in",
    "identity": "API identity provider",
}


def port_env_var(name: str) -> str:
    return f"REZ_PORT_{name.upper()}"


@dataclass
class StackConfig:
    stage: str = "dev"
    target: str = "local"  # REZ_TARGET: local (embedded moto) | localstack | ministack | aws
    region: str = "us-east-1"
    account: str = "123456789012"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    state_dir: Path = Path(".rez")
    ntfy_topic: str = "rez-agent-dev"
    ntfy_backoff_seconds: float = 1.0
    http_backoff_seconds: float = 2.0
    log_level: str = "INFO"
    frozen_at: datetime | None = None
    agent_daily_cap_usd: float = 10.0
    api_audience: str = "rez-agent-api"
    function_concurrency: int = 10  # each function's reserved concurrency: a new AWS account's quota
    poller_concurrency: int = 2
    bedrock_backend: str = "intent"  # REZ_BEDROCK_BACKEND: intent | scripted | ollama | openai
    bedrock_options: dict[str, str] = field(default_factory=dict)  # REZ_BEDROCK_<OPTION>, e.g. HOST, MODEL

    @classmethod
    def from_env(cls, **overrides) -> StackConfig:
        overrides.setdefault("target", os.environ.get("REZ_TARGET", "local") or "local")
        overrides.setdefault("bedrock_backend", os.environ.get("REZ_BEDROCK_BACKEND", "intent") or "intent")
        overrides.setdefault("bedrock_options", {
            key.removeprefix("REZ_BEDROCK_").lower(): value for key, value in os.environ.items()
            if key.startswith("REZ_BEDROCK_") and key != "REZ_BEDROCK_BACKEND" and value})
        config = cls(**overrides)
        for name in config.ports:
            raw = os.environ.get(port_env_var(name))
            if raw:
                config.ports[name] = int(raw)
        return config

    @classmethod
    def for_tests(cls, state_dir: Path, **overrides) -> StackConfig:
        config = cls(state_dir=state_dir, ntfy_backoff_seconds=0.01, http_backoff_seconds=0.01, **overrides)
        config.ports = dict.fromkeys(DEFAULT_PORTS, 0)
        return config
