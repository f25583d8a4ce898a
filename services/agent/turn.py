"""One chat turn: ``POST /agent {message, session_id?}`` -> ``{session_id, message}``.

1. Validate the request (400 naming the field).
2. "cost" / "usage" / "spending" / "budget" alone: today's usage, no model call.
3. Load the session (seed "Session Management"): a live one is continued; none, an unknown id or
   an expired one starts a fresh session with a new server-issued id.
4. Reserve the budget for the first model call *before* anything else (429, no model call and no
   tool connection, when the cap is reached).
5. Open one MCP session (initialize, tools/list), run the graph, close the session.
6. Save the conversation (ttl = now + 24 h) and answer with the last assistant text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_mcp_adapters.tools import load_mcp_tools

from services.agent.deps import AgentDeps
from services.agent.graph import RECURSION_LIMIT, Meter, build_graph, message_chars
from services.agent.prompts import interactive_prompt
from services.agent.sessions import Session
from services.core import clock
from services.core.errors import ValidationError

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 8000
USAGE_WORDS = {"cost", "usage", "spending", "budget"}
# The tool schemas are not known before the MCP session opens; the first reservation assumes this
# much (the eight tools measured 6,735 characters); a larger real size is topped up before the call.
TOOL_SCHEMA_ALLOWANCE_CHARS = 7_000
NO_ANSWER = "Sorry, I have no answer to that."


@dataclass(frozen=True)
class ChatRequest:
    message: str
    session_id: str | None


@dataclass(frozen=True)
class ChatReply:
    session_id: str
    message: str
    usage: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"session_id": self.session_id, "message": self.message}
        if self.usage is not None:
            body["usage"] = self.usage
        return body


def parse_request(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise ValidationError.for_field("body", "must be a JSON object {message, session_id?}")
    message, session_id = body.get("message"), body.get("session_id")
    if not isinstance(message, str) or not message.strip():
        raise ValidationError.for_field("message", "is required (a non-empty string)")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ValidationError.for_field("message", f"must be at most {MAX_MESSAGE_CHARS} characters")
    if session_id is not None and (not isinstance(session_id, str) or len(session_id) > 200):
        raise ValidationError.for_field("session_id", "must be a string (the session_id of an earlier answer)")
    return ChatRequest(message=message.strip(), session_id=session_id or None)


def text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content.strip()
    parts = [b.get("text", "") if isinstance(b, dict) else str(b) for b in content
             if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")]
    return "\n".join(p for p in parts if p).strip()


def final_answer(messages: list[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            text = text_of(message)
            if text:
                return text
        if isinstance(message, HumanMessage):
            break
    return NO_ANSWER


def usage_reply(deps: AgentDeps, session_id: str) -> ChatReply:
    info = deps.limiter.cost_info(deps.limiter.usage())
    text = (f"Bedrock usage today ({info['date']}):\n- Cost: ${info['current_cost']:.4f} / ${info['daily_cap']:.2f}\n"
            f"- Remaining budget: ${info['remaining_budget']:.4f}\n- Model calls: {info['request_count']}\n"
            f"- Tokens: {info['input_tokens']} input, {info['output_tokens']} output\n"
            f"- Resets at: {info['reset_time']}")
    return ChatReply(session_id=session_id, message=text, usage=info)


def open_session(deps: AgentDeps, session_id: str | None) -> Session:
    session = deps.sessions.load(session_id) if session_id else None
    if session is None and session_id:
        logger.info("session %s unknown or expired: starting a new one", re.sub(r"[^\w-]", "?", session_id)[:80])
    return session or deps.sessions.new()


async def run_agent(deps: AgentDeps, system_prompt: str, history: list[BaseMessage],
                    defaults: dict[str, Any] | None = None) -> list[BaseMessage]:
    """Reserve, connect to the tools, run the loop; the whole conversation after the turn."""
    limiter = deps.limiter
    first = limiter.reserve(limiter.estimate(len(system_prompt) + message_chars(history)
                                             + TOOL_SCHEMA_ALLOWANCE_CHARS))
    meter = Meter(limiter, first=first)
    try:
        async with deps.mcp.session() as mcp_session:
            tools = await load_mcp_tools(mcp_session)
            graph = build_graph(deps.model(), tools, system_prompt, meter, defaults)
            state = await graph.ainvoke({"messages": history}, {"recursion_limit": RECURSION_LIMIT})
    finally:
        meter.close()
    logger.info("turn done: %d model call(s), $%.6f", meter.calls, meter.spent_nanos / 1e9)
    return list(state["messages"])


async def chat_turn(deps: AgentDeps, body: Any) -> ChatReply:
    request = parse_request(body)
    session = open_session(deps, request.session_id)
    if request.message.lower().strip(" ?!.") in USAGE_WORDS:
        return usage_reply(deps, session.session_id)
    system_prompt = interactive_prompt(clock.now(), deps.courses.courses)
    messages = await run_agent(deps, system_prompt, [*session.messages, HumanMessage(request.message)])
    saved = deps.sessions.save(session, messages)
    return ChatReply(session_id=saved.session_id, message=final_answer(messages))
