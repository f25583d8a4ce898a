"""The API Gateway HTTP API event (payload format 2.0), built the way API Gateway builds it.

* Header names are lower-cased and repeated headers joined with commas; ``Cookie`` headers become
  ``cookies``; query parameters repeated are joined with commas.
* API Gateway adds ``x-forwarded-for`` (the caller's address appended to any it was sent),
  ``x-forwarded-proto`` and ``x-forwarded-port``. ``requestContext.domainName`` is the host name
  the request used, without a port.
* The body is text only when the content type is a text type (or none is declared) and the bytes
  are valid UTF-8;
  anything else — binary, invalid UTF-8, and ``application/x-www-form-urlencoded`` forms (which
  HTTP APIs famously deliver encoded) — arrives base64-encoded with ``isBase64Encoded: true``.
  A body never makes the gateway fail.
* JWT claims reach the function as API Gateway renders them (``authorizer_context``): every claim
  a string, numbers without a fraction when integral, arrays as ``[a b]``, objects as ``map[k:v]``
  (the Go formatting API Gateway uses), and the scopes from ``scope``/``scp`` as a list.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/ld+json", "application/problem+json", "application/graphql")


def http_api_event(*, method: str, path: str, raw_query: str, headers: Iterable[tuple[str, str]], body: bytes,
                   route_key: str, path_parameters: dict[str, str], source_ip: str, api_id: str,
                   domain: str, account: str, now: datetime | None = None, scheme: str = "https",
                   port: int | None = None, request_id: str | None = None) -> dict[str, Any]:
    """API Gateway HTTP API, payload format 2.0."""
    now = now or datetime.now(UTC)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    forwarded = merged.get("x-forwarded-for")
    merged["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    merged["x-forwarded-proto"] = scheme
    merged["x-forwarded-port"] = str(port if port is not None else (443 if scheme == "https" else 80))
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    domain = host_name(domain)
    text = body_as_text(body, merged.get("content-type", ""))
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": account, "apiId": api_id, "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": merged.get("user-agent", "")},
            "requestId": request_id or new_request_id(),
            "routeKey": route_key, "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": bool(body) and text is None,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    return event


def new_request_id() -> str:
    return base64.b32encode(uuid.uuid4().bytes).decode()[:16].rstrip("=")


def host_name(host: str) -> str:
    """``example.com:8080`` -> ``example.com`` (and ``[::1]:8080`` -> ``[::1]``)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def body_as_text(body: bytes, content_type: str) -> str | None:
    """The body as text when API Gateway would pass it as text, else ``None`` (it goes base64)."""
    if not body:
        return ""
    kind = content_type.split(";", 1)[0].strip().lower() or "text/plain"  # none declared: text if it decodes
    if not kind.startswith(TEXT_TYPES) and not kind.endswith(("+json", "+xml")):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def authorizer_context(claims: dict[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` for a valid JWT: claims as strings, and the token's scopes."""
    return {"jwt": {"claims": {name: render_claim(value) for name, value in claims.items()},
                    "scopes": token_scopes(claims)}}


def token_scopes(claims: dict[str, Any]) -> list[str] | None:
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        scopes = raw.split()
    elif isinstance(raw, list):
        scopes = [render_claim(s) for s in raw]
    else:
        scopes = []
    return scopes or None


def render_claim(value: Any) -> str:
    """A claim value as API Gateway writes it (Go's ``fmt`` of the decoded JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + " ".join(render_claim(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{render_claim(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)
