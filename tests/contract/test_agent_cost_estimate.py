"""How close the agent's budget reservations are to what the calls then cost.

The real agent loop (``build_graph`` + ``Meter``) and ``ChatBedrockConverse`` talk HTTP to the
Bedrock stand-in's intent backend; the tools are the MCP tool schemas with recorded answers. Each
model call's reservation is compared with its settled cost (the Converse usage at the model's
price). The ratio is printed (``pytest -s``) and must stay near 1: the reservation used to assume
every call writes ``maxTokens`` (4.8x the actual cost).
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from langchain_aws import ChatBedrockConverse
from langchain_core.messages import HumanMessage
from langchain_core.tools import StructuredTool

from emulation.fakes.bedrock import create_bedrock_app, make_backend
from services.agent.cost import CostLimiter, Reservation
from services.agent.graph import Meter, build_graph, message_chars
from services.agent.prompts import interactive_prompt
from services.agent.turn import TOOL_SCHEMA_ALLOWANCE_CHARS
from services.core.courses import load_courses
from services.mcp.tool_specs import tool_specs
from tests.contract.test_fake_bedrock import TEE_TIMES_TEXT, serve

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
NOW = datetime(2026, 11, 28, 14, 3, tzinfo=UTC)
ANSWERS = {
    "golf_search_tee_times": TEE_TIMES_TEXT,
    "get_weather": "🌤️ Weather Forecast\n\n📅 Sunday: 45°F, Partly Cloudy, wind 5 mph NW\n"
                   "📅 Sunday Night: 33°F, Mostly Clear\n📅 Monday: 48°F, Sunny",
    "golf_get_reservations": "📋 Your reservations\n\n1. Sun Nov 29 2026 at 2:00 PM, 2 players (Confirmation: ABC123)",
    "send_notification": "Notification sent.",
}
CONVERSATIONS = [
    "Search tee times for tomorrow at 2pm at Birdsfoot for 2 players",
    "What's the weather at Totteridge this weekend?",
    "Show my reservations at Birdsfoot",
    "hello",
]


class Recording:
    """The real limiter's estimate and prices; reservations and settlements kept in memory."""

    def __init__(self, limiter: CostLimiter) -> None:
        self.limiter = limiter
        self.calls: list[tuple[int, int]] = []  # (reserved for the call, its actual cost)
        self.worst_case: list[int] = []  # what the former estimate (3 chars/token + maxTokens) reserved
        self._held = 0

    def estimate(self, chars: int) -> int:
        self.worst_case.append(self.limiter.price.cost_nanos(math.ceil(chars / 3), self.limiter.max_tokens))
        return self.limiter.estimate(chars)

    def reserve(self, nanos: int) -> Reservation:
        return Reservation("d", nanos)

    def settle(self, reservation: Reservation, input_tokens: int, output_tokens: int) -> int:
        if reservation.settled:
            return 0
        reservation.settled = True
        self._held += reservation.nanos
        actual = self.limiter.price.cost_nanos(input_tokens, output_tokens)
        if input_tokens or output_tokens:
            self.calls.append((self._held, actual))
            self._held = 0
        return actual

    def release(self, reservation: Reservation) -> None:
        self.settle(reservation, 0, 0)


def _tools() -> list[StructuredTool]:
    async def answer(name: str, **_: Any) -> str:
        return ANSWERS.get(name, "Done.")

    return [StructuredTool.from_function(coroutine=lambda _n=spec.name, **kw: answer(_n, **kw), name=spec.name,
                                         description=spec.description, args_schema=spec.input_schema)
            for spec in tool_specs([c.name for c in load_courses()])]


@pytest.fixture(scope="module")
def model():
    with serve(create_bedrock_app(make_backend("intent"))) as url:
        client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url,
                              aws_access_key_id="x", aws_secret_access_key="x",
                              config=Config(retries={"max_attempts": 1}))
        yield ChatBedrockConverse(model=MODEL, region_name="us-east-1", max_tokens=4096, client=client)


def test_reservations_are_close_to_the_actual_cost_on_the_intent_backend(model):
    limiter = CostLimiter(dynamodb=None, table="unused", model_id=MODEL, cap_usd=10.0, max_tokens=4096)
    budget = Recording(limiter)
    tools = _tools()
    system = interactive_prompt(NOW, load_courses())

    async def turn(text: str) -> None:
        history = [HumanMessage(text)]
        first = budget.reserve(limiter.estimate(len(system) + message_chars(history) + TOOL_SCHEMA_ALLOWANCE_CHARS))
        meter = Meter(budget, first=first)  # type: ignore[arg-type]
        try:
            graph = build_graph(model, tools, system, meter)
            await graph.ainvoke({"messages": history}, {"recursion_limit": 20})
        finally:
            meter.close()

    for text in CONVERSATIONS:
        asyncio.run(turn(text))
    ratios = [reserved / actual for reserved, actual in budget.calls]
    total = sum(r for r, _ in budget.calls) / sum(a for _, a in budget.calls)
    worst = sum(budget.worst_case) / sum(a for _, a in budget.calls)
    print(f"\nreservation / actual cost on the intent backend: {total:.2f} overall over {len(ratios)} model "
          f"calls; per call {', '.join(f'{r:.2f}' for r in ratios)} (maxTokens worst case: {worst:.1f})")
    assert len(budget.calls) >= 6  # the tool-using turns took two model calls each
    assert 0.9 <= total <= 1.5
    assert all(0.8 <= r <= 1.8 for r in ratios)
