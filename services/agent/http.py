"""The agent's HTTP routes (ORIGINAL_SYSTEM §4.5) and one mapping from failures to responses.

* ``POST /agent`` — a chat turn (``turn.chat_turn``);
* ``GET /agent/ui`` — the chat page; ``GET /agent/card`` and ``GET /agent/.well-known/agent-card``
  — the agent card (JSON, with this API's URL).

Every response is JSON (the page aside) with ``Access-Control-Allow-Origin: *``. Failures:
``BudgetExceeded`` 429 ``Daily spending limit reached`` + ``Retry-After`` (seconds until pending
reservations free enough budget, else to midnight UTC);
``RezError`` its own status; Bedrock throttling 429 (+ ``Retry-After: 60``), model timeout 504,
model unavailable 503, another Bedrock error 502; the MCP server unreachable 502; anything else
500 without internals.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from mcp.shared.exceptions import McpError

from services.agent.cost import BudgetExceeded
from services.agent.deps import AgentDeps
from services.agent.turn import chat_turn
from services.core.errors import RezError

logger = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
BASE_HEADERS = {"Access-Control-Allow-Origin": "*"}
_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
_UNAVAILABLE = {"ServiceUnavailableException", "ModelNotReadyException", "InternalServerException"}


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", **BASE_HEADERS, **(headers or {})},
            "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)}


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups — anyio task groups wrap them."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def error_response(raised: BaseException) -> dict[str, Any]:
    exc = leaf(raised)
    if isinstance(exc, BudgetExceeded):
        return respond(429, exc.body(), {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, RezError):
        if exc.http_status >= 500:
            logger.error("agent request failed: %s", exc.message)
        return respond(exc.http_status, exc.body())
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        text = exc.response.get("Error", {}).get("Message", "")
        logger.warning("Bedrock error %s: %s", code, text)
        if code in _THROTTLED:
            return respond(429, {"error": "The model service is busy. Please wait a moment and try again."},
                           {"Retry-After": "60"})
        if code == "ModelTimeoutException":
            return respond(504, {"error": "The model took too long to answer. Please try again."})
        if code in _UNAVAILABLE:
            return respond(503, {"error": f"The model is unavailable right now ({code}). Please try again later."})
        return respond(502, {"error": f"The model call failed: {code}: {text}"})
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return respond(504, {"error": "The model took too long to answer. Please try again."})
    if isinstance(exc, EndpointConnectionError | BotoCoreError):
        logger.error("Bedrock unreachable: %s", exc)
        return respond(503, {"error": "The model is unavailable right now. Please try again later."})
    if isinstance(exc, httpx.HTTPError | McpError):
        logger.error("MCP server failed: %r", exc)
        return respond(502, {"error": "The assistant's tools are unavailable right now. Please try again later."})
    logger.exception("agent request failed", exc_info=raised)
    return respond(500, {"error": "internal error"})


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None


async def post_agent(event: dict[str, Any], deps: AgentDeps) -> dict[str, Any]:
    reply = await chat_turn(deps, _body(event))
    return respond(200, reply.body())


async def get_ui(event: dict[str, Any], deps: AgentDeps) -> dict[str, Any]:
    # The sign-in form talks to the stage's identity provider: the page is told where it is.
    html = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        '"__ISSUER__"', json.dumps(deps.settings.api_jwt_issuer))
    return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8", **BASE_HEADERS}, "body": html}


async def get_card(event: dict[str, Any], deps: AgentDeps) -> dict[str, Any]:
    card = json.loads((STATIC / "agent_card.json").read_text(encoding="utf-8"))
    # Host: the name (and port, when not the default) the caller used; API Gateway's domainName has no port.
    domain = (event.get("headers") or {}).get("host") or (event.get("requestContext") or {}).get("domainName", "")
    scheme = (event.get("headers") or {}).get("x-forwarded-proto", "https")
    if domain:
        card["url"] = f"{scheme}://{domain}/agent"
    card["model"] = deps.settings.bedrock_model_id
    card["daily_cost_cap_usd"] = deps.settings.agent_daily_cap_usd
    return respond(200, card)


Route = Callable[[dict[str, Any], AgentDeps], Awaitable[dict[str, Any]]]
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/agent"): post_agent,
    ("GET", "/agent/ui"): get_ui,
    ("GET", "/agent/card"): get_card,
    ("GET", "/agent/.well-known/agent-card"): get_card,
}


async def handle_http(event: dict[str, Any], deps: AgentDeps) -> dict[str, Any]:
    http = (event.get("requestContext") or {}).get("http") or {}
    route = ROUTES.get((str(http.get("method", "")).upper(), event.get("rawPath", "")))
    if route is None:
        return respond(404, {"error": "endpoint not found", "status": "404"})
    try:
        return await route(event, deps)
    except Exception as exc:
        return error_response(exc)
