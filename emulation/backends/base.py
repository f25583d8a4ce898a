"""What the platform needs from a data-plane backend: an AWS endpoint it can reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class BackendUnavailable(RuntimeError):
    """The selected backend cannot run here (not installable offline, no suitable Python...).

    The message says why and what to do; test lanes skip on it instead of failing."""


def service_env_var(service: str) -> str:
    """boto3's per-service endpoint variable: ``bedrock-runtime`` -> ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``."""
    return "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True)
class AwsEndpoint:
    url: str | None  # None: the real AWS endpoints
    region: str
    access_key: str | None = "test"
    secret_key: str | None = "test"
    profile: str | None = None
    # Services answered somewhere else than ``url`` (boto3 service name -> URL): a backend that
    # cannot serve one service itself routes it to another emulator, for functions and platform alike.
    service_urls: dict[str, str] = field(default_factory=dict)

    def url_for(self, service: str) -> str | None:
        return self.service_urls.get(service, self.url)

    def environment(self) -> dict[str, str]:
        """The standard variables boto3 reads itself — how a function finds the data plane."""
        env = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        if self.url:
            env["AWS_ENDPOINT_URL"] = self.url
        for service, url in sorted(self.service_urls.items()):
            env[service_env_var(service)] = url
        if self.access_key and self.secret_key:
            env["AWS_ACCESS_KEY_ID"] = self.access_key
            env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        if self.profile:
            env["AWS_PROFILE"] = self.profile
        return env


class Backend(Protocol):
    name: str

    def start(self) -> AwsEndpoint: ...

    def stop(self) -> None: ...

    def reset(self) -> None: ...


class EndpointClients:
    """boto3 clients for the platform's own calls (provisioning, pollers), aimed at one endpoint."""

    def __init__(self, endpoint: AwsEndpoint) -> None:
        import boto3
        from botocore.config import Config

        self.endpoint = endpoint
        self._session = boto3.session.Session(
            aws_access_key_id=endpoint.access_key, aws_secret_access_key=endpoint.secret_key,
            profile_name=endpoint.profile, region_name=endpoint.region)
        self._config = Config(max_pool_connections=32, retries={"max_attempts": 3, "mode": "standard"})

    def client(self, service: str):
        return self._session.client(service, endpoint_url=self.endpoint.url_for(service), config=self._config)
