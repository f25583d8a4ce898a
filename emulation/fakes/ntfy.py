"""A fake ntfy server: publish, poll, and a phone-like inbox page.

Emulates the parts of https://docs.ntfy.sh/publish/ and /subscribe/api/ that rez-agent uses:

* publish: ``POST|PUT /<topic>`` with the message as the body and ``Title``/``X-Title``/``t``,
  ``Priority``/``X-Priority``/``p`` (1-5 or min/low/default/high/max/urgent) and
  ``Tags``/``X-Tags``/``ta`` headers (or the same names as query parameters); JSON publish
  ``POST /`` with ``{"topic", "message", "title", "priority", "tags"}``. Answers the message JSON.
* poll: ``GET /<topic>/json?poll=1[&since=<unix seconds|message id|all>]`` — newline-delimited JSON.
* ``GET /`` — an HTML inbox of every topic; ``GET /_fake/ntfy/messages`` — all messages as JSON.
* fault injection through ``emulation.fakes.faults`` (``POST /_fake/faults``).

LIMITATIONS: no streaming subscriptions (``/json`` without ``poll=1`` answers what is cached and
closes), no SSE/WebSocket, no attachments, actions, delays, e-mail or auth; messages live in
memory until reset; RFC 2047-encoded headers are decoded, other encodings are not.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from email.header import decode_header, make_header
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from emulation.fakes._clock import Clock, SystemClock
from emulation.fakes.faults import FaultMiddleware, with_faults

PRIORITY_NAMES = {"min": 1, "low": 2, "default": 3, "high": 4, "max": 5, "urgent": 5}


class NtfyStore:
    def __init__(self) -> None:
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._messages.append(message)

    def all(self, topic: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._messages if topic is None or m["topic"] == topic]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def _header(request: Request, *names: str) -> str | None:
    for name in names:
        value = request.headers.get(name) or request.query_params.get(name.lower())
        if value:
            try:
                return str(make_header(decode_header(value)))
            except Exception:
                return value
    return None


def _priority(raw: str | int | None) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int):
        value = raw
    elif raw.strip().lower() in PRIORITY_NAMES:
        return PRIORITY_NAMES[raw.strip().lower()]
    elif raw.strip().isdigit():
        value = int(raw)
    else:
        raise ValueError(f"invalid priority {raw!r}")
    if not 1 <= value <= 5:
        raise ValueError(f"invalid priority {raw!r}")
    return value


def create_ntfy_app(clock: Clock | None = None) -> FaultMiddleware:
    clock = clock or SystemClock()
    store = NtfyStore()

    def record(topic: str, message: str, title: str | None, priority: int | None, tags: list[str]) -> dict:
        now = int(clock.now().timestamp())
        entry = {"id": secrets.token_urlsafe(9)[:12], "time": now, "expires": now + 43200, "event": "message",
                 "topic": topic, "message": message}
        if title:
            entry["title"] = title
        if priority:
            entry["priority"] = priority
        if tags:
            entry["tags"] = tags
        store.add(entry)
        return entry

    async def publish(request: Request) -> Response:
        topic = request.path_params["topic"]
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            priority = _priority(_header(request, "X-Priority", "Priority", "p", "prio"))
        except ValueError as exc:
            return JSONResponse({"code": 40007, "http": 400, "error": str(exc)}, status_code=400)
        tags_raw = _header(request, "X-Tags", "Tags", "ta", "tag")
        tags = [t.strip() for t in tags_raw.split(",") if t.strip()] if tags_raw else []
        title = _header(request, "X-Title", "Title", "t")
        return JSONResponse(record(topic, body or "triggered", title, priority, tags))

    async def publish_json(request: Request) -> Response:
        try:
            data = json.loads(await request.body())
            topic = data["topic"]
            priority = _priority(data.get("priority"))
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"code": 40024, "http": 400, "error": f"invalid request: {exc}"}, status_code=400)
        return JSONResponse(record(topic, str(data.get("message") or "triggered"), data.get("title"), priority,
                                   list(data.get("tags") or [])))

    async def poll(request: Request) -> Response:
        messages = store.all(request.path_params["topic"])
        since = request.query_params.get("since", "all")
        if since not in ("all", "") and since.isdigit():
            messages = [m for m in messages if m["time"] >= int(since)]
        elif since not in ("all", ""):
            ids = [m["id"] for m in messages]
            messages = messages[ids.index(since) + 1:] if since in ids else messages
        lines = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
        return Response(lines, media_type="application/x-ndjson")

    async def inbox(request: Request) -> Response:
        if request.method == "POST":
            return await publish_json(request)
        rows = "".join(
            f"<li><b>{html.escape(m.get('title', m['topic']))}</b> <small>[{html.escape(m['topic'])}"
            f" p{m.get('priority', 3)} {html.escape(','.join(m.get('tags', [])))}]</small>"
            f"<pre>{html.escape(m['message'])}</pre></li>"
            for m in reversed(store.all()))
        return HTMLResponse(f"<!doctype html><title>ntfy inbox</title><h1>ntfy inbox (fake)</h1>"
                            f"<ul>{rows or '<li>No notifications yet.</li>'}</ul>")

    async def all_messages(request: Request) -> Response:
        return JSONResponse({"messages": store.all(request.query_params.get("topic"))})

    app = Starlette(routes=[
        Route("/", inbox, methods=["GET", "POST"]),
        Route("/_fake/ntfy/messages", all_messages, methods=["GET"]),
        Route("/{topic}/json", poll, methods=["GET"]),
        Route("/{topic}", publish, methods=["POST", "PUT"]),
    ])
    wrapped = with_faults(app, on_reset=store.clear)
    wrapped.store = store  # type: ignore[attr-defined]
    return wrapped
