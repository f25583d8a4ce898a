"""Lambda entry point of the MCP server: ``POST /mcp`` (API Gateway HTTP API, payload 2.0).

Streamable HTTP, stateless, JSON responses (no SSE, no ``Mcp-Session-Id``), so any invocation can
answer any request. ``GET /mcp`` (and ``DELETE``) answer 405 with ``Allow: POST``, as the
transport specifies for a server without a server-initiated stream; stock clients (MCP Inspector)
then carry on with POST. A body that is not JSON is HTTP 400 with JSON-RPC ``-32700 Parse error``,
JSON that is not one JSON-RPC message ``-32600 Invalid Request`` (both with ``id: null``). Per invocation: check the API key, then enter a *fresh*
``StreamableHTTPSessionManager`` (its ``run()`` works once per instance) around the one request,
on the ``Server`` built once per container.

API key: when ``settings.mcp_api_key_secret_name`` names a secret holding ``{"api_key": "..."}``,
the ``x-api-key`` header must match, else HTTP 401 with a JSON-RPC error (-32004, as the original).

Host/Origin checking (DNS-rebinding protection) allows the API's own domain
(``requestContext.domainName``, which API Gateway also sends as ``Host``) and loopback hosts,
so a browser page on another site cannot drive a locally running server; non-browser clients
send no ``Origin`` and pass.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from functools import lru_cache
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import INVALID_REQUEST, PARSE_ERROR

from services.core.logging import get_logger
from services.mcp.asgi_lambda import call_asgi, header_map, request_body
from services.mcp.deps import McpDeps, default_deps
from services.mcp.server import build_server

logger = get_logger("mcp")
UNAUTHORIZED = {"jsonrpc": "2.0", "error": {"code": -32004, "message": "Invalid API key"}, "id": None}


def security_settings(event: dict[str, Any]) -> TransportSecuritySettings:
    """DNS-rebinding protection that accepts the API's own domain — the one API Gateway routed by."""
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    hosts = [domain] if domain else []
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *(f"{h}:*" for h in hosts)],
        allowed_origins=[o for h in hosts for o in (f"https://{h}", f"http://{h}", f"http://{h}:*")],
    )


def authorized(event: dict[str, Any], deps: McpDeps) -> bool:
    key = deps.api_key()
    if key is None:
        return True
    given = header_map(event).get("x-api-key", "")
    return hmac.compare_digest(given.encode(), key.encode())


def _json(status: int, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json", **headers},
            "body": json.dumps(body, separators=(",", ":"))}


def _rpc_error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


def malformed(event: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-RPC answer to a body that is not JSON (-32700) or not a message (-32600), id null."""
    try:
        message = json.loads(request_body(event) or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return _json(400, _rpc_error(PARSE_ERROR, f"Parse error: {exc}"))
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _json(400, _rpc_error(INVALID_REQUEST, "Invalid Request: expected one JSON-RPC 2.0 message object"))
    return None


async def handle(event: dict[str, Any], deps: McpDeps, server: Server) -> dict[str, Any]:
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "POST")).upper()
    if method != "POST":
        # Stateless streamable HTTP: no server-initiated stream (GET) and no session to end (DELETE).
        return _json(405, {"error": f"Method {method} not allowed: this MCP server takes POST only"}, allow="POST")
    if not authorized(event, deps):
        return _json(401, UNAUTHORIZED)
    problem = malformed(event)
    if problem is not None:
        return problem
    manager = StreamableHTTPSessionManager(app=server, json_response=True, stateless=True,
                                           security_settings=security_settings(event))
    async with manager.run():
        return await call_asgi(manager.handle_request, event)


@lru_cache(maxsize=1)
def _server() -> Server:
    return build_server(default_deps())


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return asyncio.run(handle(event, default_deps(), _server()))
