"""How the project's own clients (the CLI, tests, benchmarks) get a user token: like a user would.

OAuth 2.0 password grant against the API's identity provider (its token endpoint found through
``<issuer>/.well-known/openid-configuration``), sent as ``Authorization: Bearer``; on a 401 the token
is renewed once (it may have expired while the platform clock was advanced).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator

import httpx

# The demo account seeded into the local identity providers (see emulation/fakes/identity.py).
DEMO_USERNAME = "golfer@example.com"
DEMO_PASSWORD = "fairway-2025"  # noqa: S105 - a fake's published demo credential, not a secret


def fetch_token(issuer: str, username: str, password: str) -> str:
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    response = httpx.post(discovery["token_endpoint"], timeout=10,
                          data={"grant_type": "password", "username": username, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"login failed: {response.json().get('error_description') or response.text}")
    return response.json()["access_token"]


class PasswordGrantAuth(httpx.Auth):
    def __init__(self, issuer: str, username: str | None = None, password: str | None = None) -> None:
        self._issuer = issuer
        self._username = username or os.environ.get("REZ_USERNAME", DEMO_USERNAME)
        self._password = password or os.environ.get("REZ_PASSWORD", DEMO_PASSWORD)
        self._token: str | None = None
        self._lock = threading.Lock()

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None:
                self._token = fetch_token(self._issuer, self._username, self._password)
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request
