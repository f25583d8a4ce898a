"""Golf and weather tools: the web action, run in-process, recorded like one (seed "MCP Server Tool
Execution": ``MCP->>DDB: Store result``).

Each call stores a ``web_action`` message (``created_by: mcp-server``, never published: the tool
runs here and now, ORIGINAL_SYSTEM §1.5) and a results row for it, runs ``run_golf`` /
``run_weather`` — the same code and texts as the web-action consumer — and completes or fails
both. ``GET /api/messages/{id}/results`` shows the call like any web action.

A booking (``book_tee_time``, or a search with ``autoBook`` that booked) also publishes its
confirmation as a ``notify`` message, exactly as the web action does, so the confirmation reaches
the user's phone whatever the model says afterwards. Searches, reservations and forecasts are
answered to the model only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from services.core.errors import RezError
from services.core.messages import Message, MessageType, Status
from services.core.web_action_payload import WebAction, parse_web_action
from services.mcp.deps import McpDeps
from services.webaction.golf import golf_url, run_golf
from services.webaction.notifications import publish_texts
from services.webaction.weather import run_weather, weather_url

logger = logging.getLogger(__name__)
CREATED_BY = "mcp-server"


class ToolFailed(RezError):
    """A tool ran and failed: answered as an MCP tool error (``isError``), never a protocol error."""


def run_web_action(payload: dict[str, Any], operation: str, deps: McpDeps) -> str:
    """Validate, record, run; the action's text (its texts, one per line block)."""
    web = deps.web
    action = parse_web_action(payload, {"operation": operation})  # ValidationError -> tool error
    message = Message.new(message_type=MessageType.WEB_ACTION, payload=payload, arguments={"operation": operation},
                          created_by=CREATED_BY, stage=deps.settings.stage, status=Status.PROCESSING)
    message = web.messages.create(message)
    runner, planned = (run_golf, golf_url) if action.action == "golf" else (run_weather, weather_url)
    result = web.results.start(message_id=message.id, action=action.action, url=_planned(planned, action, deps),
                               stage=message.stage)
    started = time.monotonic()
    try:
        outcome = runner(action, web)
    except Exception as exc:
        text = exc.message if isinstance(exc, RezError) else f"internal error ({type(exc).__name__})"
        web.results.fail(result.id, error_message=text, execution_time_ms=_ms(started),
                         response_code=getattr(exc, "status_code", None))
        web.messages.update_status(message.id, Status.FAILED, error_message=text)
        if not isinstance(exc, RezError):
            logger.exception("tool %s/%s failed", action.action, operation)
        raise ToolFailed(text) from exc
    web.results.complete(result.id, response_code=outcome.response_code, response_body="\n".join(outcome.texts),
                         execution_time_ms=_ms(started))
    if _booked(action, outcome.texts):
        try:
            publish_texts(message, outcome.texts, web)
        except Exception as exc:  # the booking stands; say so rather than fail the tool
            logger.error("booking %s done but its notification failed: %s", message.id, exc)
    web.messages.update_status(message.id, Status.COMPLETED)
    return "\n".join(outcome.texts).strip()


def _booked(action: WebAction, texts: list[str]) -> bool:
    booking = action.operation == "book_tee_time" or action.payload.autoBook
    return booking and any("Booked Successfully" in t for t in texts)


def _planned(planned: Any, action: WebAction, deps: McpDeps) -> str:
    try:
        return planned(action, deps.web)
    except RezError:
        return ""


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
