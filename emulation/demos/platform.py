"""The stack a demo runs on, reached over HTTP only: the HTTP API, the control API, the fakes.

Everything is found from the control API (``GET /_rez/health`` lists the stack's URLs), so a demo
runs the same on ``make up`` (default ports), on a stack with other ports, and on one it started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from emulation.auth import PasswordGrantAuth
from emulation.demos.context import DemoError


@dataclass
class Platform:
    control_url: str
    urls: dict[str, Any] = field(default_factory=dict)
    api: httpx.Client | None = None
    control: httpx.Client | None = None

    @classmethod
    def connect(cls, control_url: str) -> Platform:
        try:
            health = httpx.get(f"{control_url}/_rez/health", timeout=10)
        except httpx.ConnectError:
            raise DemoError(f"nothing answers at {control_url}: start the stack (`make up`) or let the demo "
                            "start its own (`rez demo run NAME --fresh`)") from None
        urls = health.json()["urls"]
        auth = PasswordGrantAuth(f"{urls['fakes']['identity']}/identityapi")
        return cls(control_url, urls, httpx.Client(base_url=urls["api"], timeout=60, auth=auth),
                   httpx.Client(base_url=control_url, timeout=120))

    def close(self) -> None:
        for client in (self.api, self.control):
            if client is not None:
                client.close()

    def fake_url(self, name: str) -> str:
        try:
            return self.urls["fakes"][name]
        except KeyError:
            raise DemoError(f"no fake named {name!r}; the stack has {', '.join(self.urls['fakes'])}") from None

    @property
    def bedrock(self) -> str:
        return self.fake_url("bedrock")

    @property
    def ntfy_topic(self) -> str:
        return self.urls["ntfy_topic_url"].rsplit("/", 1)[-1]

    def now(self) -> datetime:
        return datetime.fromisoformat(self.control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))

    def clock(self) -> dict[str, Any]:
        return self.control.get("/_rez/clock").json()

    def inbox(self) -> list[dict[str, Any]]:
        """The ntfy fake's inspection route: every message received, whatever faults are injected."""
        return httpx.get(f"{self.urls['ntfy']}/_fake/ntfy/messages", params={"topic": self.ntfy_topic},
                         timeout=30).json()["messages"]

    def bedrock_backend(self) -> str:
        return httpx.get(f"{self.bedrock}/_fake/bedrock/backend", timeout=10).json()["backend"]

    def use_bedrock(self, name: str, **options: Any) -> None:
        answer = httpx.post(f"{self.bedrock}/_fake/bedrock/backend", json={"name": name, "options": options},
                            timeout=30)
        if answer.status_code != 200:
            raise DemoError(f"the Bedrock stand-in refused backend {name!r}: {answer.text}")

    def heal_fakes(self) -> None:
        for origin in self.urls["fakes"].values():
            httpx.delete(f"{origin}/_fake/faults", timeout=10)
