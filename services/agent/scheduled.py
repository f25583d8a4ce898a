"""Scheduled agent events (ORIGINAL_SYSTEM §13.6, as intended), for the scheduler to call:
``run_scheduled_agent_event(message)`` with a ``scheduled`` message whose ``arguments.operation``
is ``agentEvent``.

1. The payload: ``user_prompt`` (required), ``course_name`` (else the course named in the prompt),
   ``num_players`` (1-4, default 1). A bad payload is a ``ValidationError`` (not retried).
2. The user's reservations and the course weather, through the MCP tools (with the API key and a
   timeout, §17 item 14). Reservations that cannot be read stop the run (nothing is booked blind);
   a missing forecast is said in the prompt.
3. The agent runs on the prompt with the unattended system prompt, the same graph, tools and
   daily budget as the chat; ``course_name`` is filled into tool calls that leave it out.
4. The outcome — the agent's final report, or why it could not run — is sent to the user as a
   ``notify`` message (notifications topic -> processor -> ntfy). On failure the error is raised
   after notifying, so the scheduler records the message as failed.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from services.agent.cost import BudgetExceeded
from services.agent.deps import AgentDeps, default_deps
from services.agent.loop import run
from services.agent.prompts import scheduled_prompt
from services.agent.turn import final_answer, run_agent
from services.core import clock
from services.core.errors import RezError, UpstreamError, ValidationError
from services.core.messages import Message, MessageType, Status
from services.core.submission import store_and_publish

logger = logging.getLogger(__name__)
CREATED_BY = "ai-agent-scheduler"
NO_WEATHER = "Weather forecast not available."
WEATHER_DAYS = 7


class ScheduledAgentEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_prompt: str = Field(min_length=1, max_length=4000)
    course_name: str | None = None
    num_players: int = Field(1, ge=1, le=4)
    schedule_id: str | None = None


def parse_event(payload: dict[str, Any], deps: AgentDeps) -> tuple[ScheduledAgentEvent, str]:
    """The event and its course name (given, or the course the prompt names)."""
    try:
        event = ScheduledAgentEvent.model_validate({k: v for k, v in payload.items() if v is not None})
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValidationError(f"invalid scheduled agent event: {problems}") from None
    if event.course_name:
        return event, deps.courses.by_name(event.course_name).name
    named = [c.name for c in deps.courses.courses if c.name.split()[0].lower() in event.user_prompt.lower()]
    if len(named) != 1:
        raise ValidationError.for_field("payload.course_name", "is required (or name exactly one course in user_prompt)")
    return event, named[0]


async def _tool_text(session: Any, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    result = await session.call_tool(name, arguments)
    text = "\n".join(getattr(block, "text", "") for block in result.content).strip()
    return text, bool(result.isError)


async def _context(deps: AgentDeps, course_name: str) -> tuple[str, str]:
    async with deps.mcp.session() as session:
        reservations, failed = await _tool_text(session, "golf_get_reservations", {"course_name": course_name})
        if failed:
            raise UpstreamError(f"could not read your reservations, so nothing was booked: {reservations}")
        try:
            weather, failed = await _tool_text(session, "get_weather", {"course_name": course_name,
                                                                         "days": WEATHER_DAYS})
        except Exception as exc:  # the forecast is advice; its absence is said in the prompt
            weather, failed = f"{NO_WEATHER} ({type(exc).__name__})", False
        return reservations or "No reservations found.", (NO_WEATHER if failed or not weather else weather)


async def _run(message: Message, deps: AgentDeps) -> str:
    event, course_name = parse_event(message.payload, deps)
    reservations, weather = await _context(deps, course_name)
    system_prompt = scheduled_prompt(clock.now(), deps.courses.courses, course_name=course_name,
                                     num_players=event.num_players, reservations=reservations, weather=weather)
    messages = await run_agent(deps, system_prompt, [HumanMessage(event.user_prompt)],
                               defaults={"course_name": course_name, "num_players": event.num_players})
    return final_answer(messages)


def notify(deps: AgentDeps, text: str, source: Message) -> None:
    note = Message.new(message_type=MessageType.NOTIFY, created_by=CREATED_BY, stage=source.stage,
                       status=Status.QUEUED, payload={"message": text[:4096], "title": "Scheduled golf task",
                                                      "source_message_id": source.id})
    store_and_publish(note, deps.messages, deps.publisher)


def run_scheduled_agent_event(message: Message, deps: AgentDeps | None = None) -> str:
    """Run one scheduled agent event and notify the user of the outcome; returns the report."""
    deps = deps or default_deps()
    try:
        report = run(_run(message, deps))
    except BudgetExceeded as exc:
        notify(deps, f"Scheduled task skipped: the assistant's daily spending limit is reached. {exc.message}", message)
        raise
    except RezError as exc:
        notify(deps, f"Scheduled task failed: {exc.message}", message)
        raise
    except Exception as exc:
        notify(deps, f"Scheduled task failed ({type(exc).__name__}); nothing further was done.", message)
        raise UpstreamError(f"scheduled agent run failed: {type(exc).__name__}: {exc}") from exc
    notify(deps, report, message)
    logger.info("scheduled agent event %s done: %s", message.id, report[:200])
    return report
