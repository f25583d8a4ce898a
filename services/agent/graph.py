"""The agent loop (seed "AI Agent with MCP Integration"; ORIGINAL_SYSTEM §12.4): a small LangGraph
graph, ``agent`` -> ``tools`` (when the model asked for tools) -> ``agent`` ... -> END.

* ``agent`` calls the model with the system prompt + the conversation, bracketed by the ``Meter``
  (budget reserved before, settled with the Converse usage after). At most ``MAX_MODEL_CALLS``
  calls per turn: then the turn ends with a plain answer instead of looping.
* ``tools`` is LangGraph's ``ToolNode`` over the MCP tools, awaited (``ainvoke``): the adapters'
  tools are async, the original's synchronous ``tool.invoke`` failed on every call (§17 item 16).
  A tool error (MCP ``isError``, or a failed call) becomes an error ToolMessage the model reads.
* ``defaults`` fills arguments the model left out, for tools that take them (scheduled runs pass
  the task's ``course_name``; the original replaced only arguments that were present, §17 item 14).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode

from services.agent.cost import BudgetExceeded, CostLimiter, Reservation

logger = logging.getLogger(__name__)
MAX_MODEL_CALLS = 8
RECURSION_LIMIT = 2 * MAX_MODEL_CALLS + 3
LIMIT_REACHED = ("I've reached today's spending limit for the assistant, so I stopped here. "
                 "Anything done above stands; please try again after midnight UTC.")
TOO_MANY_STEPS = ("I couldn't finish this in one go (too many steps). Tell me how you'd like to continue, "
                  "or ask for something more specific.")


class AgentState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def message_chars(messages: Sequence[BaseMessage]) -> int:
    total = 0
    for m in messages:
        total += len(m.content) if isinstance(m.content, str) else len(json.dumps(m.content, default=str))
        if isinstance(m, AIMessage) and m.tool_calls:
            total += len(json.dumps(m.tool_calls, default=str))
    return total


def tools_chars(tools: Sequence[BaseTool]) -> int:
    return sum(len(t.name) + len(t.description or "") + len(json.dumps(t.args, default=str)) for t in tools)


def usage_of(message: AIMessage) -> tuple[int, int] | None:
    """(input, output) tokens of one Converse response, from LangChain's usage or Bedrock's own keys."""
    usage = message.usage_metadata
    if usage and (usage.get("input_tokens") or usage.get("output_tokens")):
        return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    raw = (message.response_metadata or {}).get("usage") or {}
    if raw.get("inputTokens") is not None:
        return int(raw.get("inputTokens", 0)), int(raw.get("outputTokens", 0))
    return None


@dataclass
class Meter:
    """Reserve before each model call, settle after. The first call may use a reservation made
    earlier (before the tools were loaded), topped up if the exact estimate is larger."""

    limiter: CostLimiter
    first: Reservation | None = None
    calls: int = 0
    spent_nanos: int = 0
    open: list[Reservation] = field(default_factory=list)

    def before(self, input_chars: int) -> list[Reservation]:
        estimate = self.limiter.estimate(input_chars)
        held: list[Reservation] = []
        if self.first is not None:
            held.append(self.first)
            self.first = None
        covered = sum(r.nanos for r in held)
        if estimate > covered:
            held.append(self.limiter.reserve(estimate - covered))
        self.open.extend(held)
        return held

    def after(self, held: list[Reservation], message: AIMessage | None) -> None:
        usage = usage_of(message) if message is not None else (0, 0)
        for index, reservation in enumerate(held):
            if usage is None:  # no usage reported: keep the estimate as the cost
                reservation.settled = True
            else:
                self.spent_nanos += self.limiter.settle(reservation, *(usage if index == 0 else (0, 0)))
            self.open.remove(reservation)
        if message is not None:
            self.calls += 1

    def close(self) -> None:
        """Give back whatever was reserved and not used (a turn that ended early)."""
        for reservation in [*self.open, *([self.first] if self.first else [])]:
            try:
                self.limiter.release(reservation)
            except Exception:  # keeping a reservation only makes the budget stricter
                logger.exception("could not release a budget reservation")
        self.open.clear()
        self.first = None


def build_graph(model: Any, tools: list[BaseTool], system_prompt: str, meter: Meter,
                defaults: dict[str, Any] | None = None) -> Any:
    bound = model.bind_tools(tools) if tools else model
    fixed_chars = len(system_prompt) + tools_chars(tools)
    accepts = {t.name: set((t.args or {}).keys()) for t in tools}

    async def agent(state: AgentState) -> dict[str, Any]:
        if meter.calls >= MAX_MODEL_CALLS:
            return {"messages": [AIMessage(TOO_MANY_STEPS)]}
        try:
            held = meter.before(fixed_chars + message_chars(state["messages"]))
        except BudgetExceeded:
            if meter.calls == 0:
                raise
            return {"messages": [AIMessage(LIMIT_REACHED)]}
        try:
            response = await bound.ainvoke([SystemMessage(system_prompt), *state["messages"]])
        except BaseException:
            meter.after(held, None)
            raise
        meter.after(held, response)
        for call in getattr(response, "tool_calls", None) or []:
            for key, value in (defaults or {}).items():
                if key in accepts.get(call["name"], ()) and call["args"].get(key) in (None, ""):
                    call["args"][key] = value
        return {"messages": [response]}

    def route(state: AgentState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    graph = StateGraph(AgentState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()
