"""Fault injection shared by every fake (golf origin, weather, ntfy, ...).

A fake is wrapped by ``FaultMiddleware`` (or ``with_faults(app)``), which owns the control routes
every fake mounts:

* ``GET    /_fake/faults`` — list the pending plans;
* ``POST   /_fake/faults`` — JSON body = ``FaultPlan`` fields; appends a plan (201);
* ``DELETE /_fake/faults`` — clear all plans;
* ``POST   /_fake/reset``  — clear all plans and call the fake's ``on_reset`` callback.

Any other ``/_fake/...`` path is passed to the fake untouched (its own inspection/control routes);
no ``/_fake/...`` path is ever subject to faults.

For every other request the first pending plan whose ``path_prefix`` matches (``None`` matches all)
is applied and its ``times`` is used up (``None`` = until cleared). Order of effects: wait
``latency_ms``, then ``drop`` the connection, else answer ``status`` (a JSON error body) and/or a
``malformed`` body (invalid JSON, status ``status`` or 200); a latency-only plan lets the request
through after the delay.

LIMITATIONS:
* ``drop`` closes the socket without a byte of response when served by uvicorn (it reaches the
  connection through uvicorn's ``receive`` callable, an implementation detail). Under any other
  ASGI server, and in-process under ``httpx.ASGITransport``, it raises ``httpx.RemoteProtocolError``
  ("Server disconnected without sending a response.") — the error an httpx client sees for a real
  drop; other servers may answer 500 instead.
* One plan applies per request; plans do not combine. No per-method matching.
* Latency is a real ``anyio.sleep`` (the only real sleep in the fakes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

import anyio
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTROL_PREFIX = "/_fake/"
MALFORMED_BODY = b'{"fault": "malformed", "data": [1, 2, '


@dataclass
class FaultPlan:
    """One kind of misbehaviour, applied to the next ``times`` matching requests."""

    status: int | None = None
    latency_ms: int = 0
    malformed: bool = False
    drop: bool = False
    times: int | None = None
    path_prefix: str | None = None

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


class _FaultPlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int | None = Field(default=None, ge=100, le=599)
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    malformed: bool = False
    drop: bool = False
    times: int | None = Field(default=None, ge=1)
    path_prefix: str | None = None


class Faults:
    """Thread-safe list of pending fault plans."""

    def __init__(self) -> None:
        self._plans: list[FaultPlan] = []
        self._lock = threading.Lock()

    def add(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plans.append(plan)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    def plans(self) -> list[FaultPlan]:
        with self._lock:
            return [FaultPlan(**asdict(p)) for p in self._plans]

    def take(self, path: str) -> FaultPlan | None:
        """Return the plan to apply to a request for ``path``, using up one of its ``times``."""
        with self._lock:
            for plan in self._plans:
                if not plan.matches(path):
                    continue
                if plan.times is not None:
                    plan.times -= 1
                    if plan.times <= 0:
                        self._plans.remove(plan)
                return plan
        return None


class FaultMiddleware:
    """ASGI middleware: applies ``faults`` and serves the ``/_fake/faults`` and ``/_fake/reset`` routes."""

    def __init__(
        self, app: ASGIApp, faults: Faults | None = None, on_reset: Callable[[], None] | None = None
    ) -> None:
        self.app = app
        self.faults = faults if faults is not None else Faults()
        self.on_reset = on_reset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in ("/_fake/faults", "/_fake/reset"):
            await self._control(scope, receive, send)
            return
        if path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        plan = self.faults.take(path)
        if plan is None:
            await self.app(scope, receive, send)
            return
        if plan.latency_ms:
            await anyio.sleep(plan.latency_ms / 1000)
        if plan.drop:
            await _drop_connection(receive)
            return
        if plan.malformed:
            await _respond(send, plan.status or 200, MALFORMED_BODY)
        elif plan.status is not None:
            body = {"status": plan.status, "title": "Injected fault", "detail": f"fault plan for {path}"}
            await _respond(send, plan.status, json.dumps(body).encode())
        else:
            await self.app(scope, receive, send)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if path == "/_fake/reset" and method == "POST":
            self.faults.clear()
            if self.on_reset is not None:
                self.on_reset()
            await _send_json(send, 200, {"reset": True})
        elif path == "/_fake/faults" and method == "GET":
            await _send_json(send, 200, {"plans": [asdict(p) for p in self.faults.plans()]})
        elif path == "/_fake/faults" and method == "DELETE":
            self.faults.clear()
            await _send_json(send, 200, {"plans": []})
        elif path == "/_fake/faults" and method == "POST":
            raw = await _read_body(receive)
            try:
                body = _FaultPlanBody.model_validate_json(raw or b"{}")
            except ValidationError as exc:
                errors = json.loads(exc.json(include_url=False, include_context=False, include_input=False))
                await _send_json(send, 400, {"error": "invalid fault plan", "details": errors})
                return
            plan = FaultPlan(**body.model_dump())
            self.faults.add(plan)
            await _send_json(send, 201, {"plan": asdict(plan)})
        else:
            await _send_json(send, 405, {"error": f"method {method} not allowed on {path}"})


def with_faults(
    app: ASGIApp, faults: Faults | None = None, on_reset: Callable[[], None] | None = None
) -> FaultMiddleware:
    """Wrap ``app``; the returned wrapper exposes ``.faults`` and ``.app``."""
    return FaultMiddleware(app, faults=faults, on_reset=on_reset)


async def _drop_connection(receive: Receive) -> None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.close()
    # Let uvicorn see connection_lost, so it neither logs nor tries to answer 500.
    for _ in range(20):
        if cycle.disconnected:
            break
        await anyio.sleep(0)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, payload: Any) -> None:
    await _respond(send, status, json.dumps(payload).encode())
