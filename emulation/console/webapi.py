"""The console's client of the stack's HTTP API, signed in as the demo user (password grant).

Messages, schedules and dead-letter queues are read and changed through the same routes a user
or ``rez`` calls, so the console shows what the application stores and acts as the application does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from emulation.auth import PasswordGrantAuth

if TYPE_CHECKING:
    from emulation.stack import Stack


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP API answered {status}")
        self.status, self.body = status, body


class WebApi:
    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        # Created on first use: the identity provider and the API are up only once the stack is.
        if self._client is None:
            auth = PasswordGrantAuth(f"{self._stack.urls.fakes['identity']}/identityapi")
            self._client = httpx.Client(base_url=self._stack.urls.api, timeout=30, auth=auth)
        return self._client

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") \
            else response.text
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def token(self) -> str:
        auth = self.client.auth
        assert isinstance(auth, PasswordGrantAuth)
        return auth.token()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
