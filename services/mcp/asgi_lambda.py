"""API Gateway HTTP API (payload 2.0) event <-> one ASGI request/response, for one invocation.

A deliberately small adapter (the role Mangum plays), enough for a request/response ASGI app such
as the MCP streamable-HTTP transport in JSON mode:

* the scope is built from ``rawPath``, ``rawQueryString``, the headers (API Gateway lower-cases
  them; ``cookies`` are folded back into one ``cookie`` header) and the source IP;
* the body is decoded when ``isBase64Encoded`` and delivered in one ``http.request`` message; a
  later ``receive`` answers ``http.disconnect``, as a server does once the client is done;
* the response is collected (start + body chunks) and returned as ``{statusCode, headers,
  body, isBase64Encoded}``; a text body (a text content type, or none and valid UTF-8) stays text, anything else is base64.

No lifespan: the caller owns whatever the app needs to run (the MCP session manager is entered
per invocation, see ``services.mcp.handler``). Streaming responses (SSE) are buffered whole.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
AsgiApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")


def request_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def header_map(event: dict[str, Any]) -> dict[str, str]:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    cookies = event.get("cookies") or []
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    return headers


def http_scope(event: dict[str, Any]) -> Scope:
    http = (event.get("requestContext") or {}).get("http") or {}
    headers = header_map(event)
    host = headers.get("host") or (event.get("requestContext") or {}).get("domainName") or ""
    forwarded = headers.get("x-forwarded-proto", "https")
    port = int(headers.get("x-forwarded-port") or (443 if forwarded == "https" else 80))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": str(http.get("method") or "GET").upper(),
        "scheme": forwarded,
        "path": event.get("rawPath") or http.get("path") or "/",
        "raw_path": (event.get("rawPath") or "/").encode(),
        "root_path": "",
        "query_string": (event.get("rawQueryString") or "").encode(),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": (http.get("sourceIp") or "", 0),
        "server": (host.split(":")[0], port),
    }


class _Collector:
    def __init__(self) -> None:
        self.status = 500
        self.headers: dict[str, str] = {}
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for raw_name, raw_value in message.get("headers") or []:
                name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
                self.headers[name] = f"{self.headers[name]},{value}" if name in self.headers else value
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body") or b"")

    def result(self) -> dict[str, Any]:
        content_type = self.headers.get("content-type", "")
        try:
            if content_type and not content_type.startswith(_TEXT_TYPES):
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "binary content type")
            body, encoded = bytes(self.body).decode("utf-8"), False
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(bytes(self.body)).decode("ascii"), True
        return {"statusCode": self.status, "headers": self.headers, "body": body, "isBase64Encoded": encoded}


async def call_asgi(app: AsgiApp, event: dict[str, Any]) -> dict[str, Any]:
    """Run ``app`` on the request the event describes; the API Gateway result of its response."""
    pending = [{"type": "http.request", "body": request_body(event), "more_body": False}]

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    collector = _Collector()
    await app(http_scope(event), receive, collector.send)
    return collector.result()
