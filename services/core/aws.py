"""A lazy, cached factory of boto3 clients.

Clients are built on first use, never at import, and reused across invocations of a warm function.
Endpoint selection is left to boto3, which honours ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_<SERVICE>`` from the function's environment: the same code talks to the local
emulator or to AWS without knowing which.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config


class AwsClients:
    """One boto3 session and one client per service, created on demand, safe across threads."""

    def __init__(self, region: str, session: boto3.session.Session | None = None,
                 config: Config | None = None) -> None:
        self._region = region
        self._session = session
        self._config = config or Config(retries={"max_attempts": 3, "mode": "standard"},
                                        connect_timeout=5, read_timeout=30)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            if service not in self._clients:
                if self._session is None:
                    self._session = boto3.session.Session(region_name=self._region)
                self._clients[service] = self._session.client(service, config=self._config)
            return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def sns(self) -> Any:
        return self.client("sns")

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def secretsmanager(self) -> Any:
        return self.client("secretsmanager")

    @property
    def scheduler(self) -> Any:
        return self.client("scheduler")
