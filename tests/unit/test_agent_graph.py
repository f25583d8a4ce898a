"""The agent loop with a scripted chat model (``bind_tools`` returning itself, as langchain-core's
fakes need) and async tools: tool calls are awaited, errors reach the model, budget and step
limits end the turn cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool, ToolException

from services.agent.cost import BudgetExceeded, Reservation
from services.agent.graph import (
    LIMIT_REACHED,
    MAX_MODEL_CALLS,
    RECURSION_LIMIT,
    TOO_MANY_STEPS,
    Meter,
    build_graph,
)
from services.agent.turn import final_answer, parse_request, text_of
from services.core.errors import ValidationError


class ToolCallingFake(FakeMessagesListChatModel):
    seen: list = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self

    async def ainvoke(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return await super().ainvoke(messages, *args, **kwargs)


class Budget:
    def __init__(self, cap: int = 10**9) -> None:
        self.cap, self.spent = cap, 0

    def estimate(self, chars: int) -> int:
        return 10

    def reserve(self, nanos: int) -> Reservation:
        if self.spent + nanos > self.cap:
            raise BudgetExceeded("cap", {}, 1)
        self.spent += nanos
        return Reservation("d", nanos)

    def settle(self, reservation: Reservation, i: int, o: int) -> int:
        if not reservation.settled:
            self.spent += i + o - reservation.nanos
            reservation.settled = True
        return i + o

    def release(self, reservation: Reservation) -> None:
        self.settle(reservation, 0, 0)


calls: list[dict] = []


async def _search(course_name: str, num_players: int = 1) -> str:
    calls.append({"course_name": course_name, "num_players": num_players})
    if course_name == "Nowhere":
        raise ToolException("course not found: Nowhere")
    return "1. 2:05 PM\n   🎟️ Tee Sheet ID: 7"


SEARCH = StructuredTool.from_function(coroutine=_search, name="golf_search_tee_times", description="search")


def ai(text: str = "", tool: dict | None = None) -> AIMessage:
    usage = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    if tool:
        return AIMessage(text, tool_calls=[{"id": "c1", "name": SEARCH.name, "args": tool}], usage_metadata=usage)
    return AIMessage(text, usage_metadata=usage)


def run(responses: list[AIMessage], budget: Budget | None = None, defaults: dict | None = None):
    calls.clear()
    model = ToolCallingFake(responses=responses)
    model.seen = []
    meter = Meter(budget or Budget())
    graph = build_graph(model, [SEARCH], "Current date and time: 2026-11-28 14:03:00 UTC", meter, defaults)
    try:
        state = asyncio.run(graph.ainvoke({"messages": [HumanMessage("tee times?")]},
                                          {"recursion_limit": RECURSION_LIMIT}))
    finally:
        meter.close()
    return state["messages"], model, meter


def test_a_tool_call_is_awaited_and_its_result_answered():
    messages, model, meter = run([ai("Searching", {"course_name": "Totteridge", "num_players": 2}), ai("Found 2:05")])
    assert calls == [{"course_name": "Totteridge", "num_players": 2}]
    assert isinstance(messages[2], ToolMessage) and "Tee Sheet ID: 7" in messages[2].content
    assert final_answer(messages) == "Found 2:05" and meter.calls == 2
    assert model.seen[0][0].content.startswith("Current date and time:")  # system prompt on every call


def test_a_failing_tool_becomes_an_error_result_the_model_reads():
    messages, _, _ = run([ai("", {"course_name": "Nowhere"}), ai("That course does not exist.")])
    assert messages[2].status == "error" and "course not found" in messages[2].content
    assert final_answer(messages) == "That course does not exist."


def test_defaults_fill_arguments_the_model_left_out():
    run([ai("", {"course_name": ""}), ai("ok")], defaults={"course_name": "Birdsfoot Golf Course"})
    assert calls[0]["course_name"] == "Birdsfoot Golf Course"


def test_the_turn_stops_after_max_model_calls():
    loop = [ai("", {"course_name": "Totteridge"}) for _ in range(MAX_MODEL_CALLS + 2)]
    messages, _, meter = run(loop)
    assert meter.calls == MAX_MODEL_CALLS and final_answer(messages) == TOO_MANY_STEPS


def test_budget_refused_before_the_first_call_raises_and_later_ends_the_turn():
    with pytest.raises(BudgetExceeded):
        run([ai("never")], budget=Budget(cap=5))
    messages, _, meter = run([ai("", {"course_name": "Totteridge"}), ai("never")], budget=Budget(cap=14))
    assert meter.calls == 1 and final_answer(messages) == LIMIT_REACHED


def test_request_parsing_and_answer_text():
    assert parse_request({"message": " hi ", "session_id": "sess_x"}).message == "hi"
    for bad in (None, [], {"message": ""}, {"message": 3}, {"message": "x" * 8001}, {"message": "a", "session_id": 1}):
        with pytest.raises(ValidationError):
            parse_request(bad)
    assert text_of(AIMessage([{"type": "text", "text": "a"}, {"type": "tool_use", "id": "x", "name": "n",
                                                              "input": {}}, {"type": "text", "text": "b"}])) == "a\nb"
