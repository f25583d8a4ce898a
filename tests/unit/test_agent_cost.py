"""The cost limiter against the cost table (moto), prices, and the per-call meter."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from langchain_core.messages import AIMessage
from moto import mock_aws

from services.agent.cost import BudgetExceeded, CostLimiter, seconds_to_midnight
from services.agent.graph import Meter, usage_of
from services.agent.pricing import PRICES, UNKNOWN_MODEL_PRICE, Price, base_model, price_for
from services.core import clock
from tests.support.aws import provision_manifest

SONNET = "us.anthropic.claude-sonnet-4-20250514-v1:0"
NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture()
def at():
    moment = {"now": NOON}
    clock.set_source(lambda: moment["now"])
    yield moment
    clock.set_source(None)


@pytest.fixture()
def ddb():
    with mock_aws():
        provision_manifest()
        yield boto3.client("dynamodb", region_name="us-east-1")


def limiter(ddb, cap: float = 1.0, model: str = SONNET, max_tokens: int = 1000) -> CostLimiter:
    return CostLimiter(ddb, "rez-agent-cost-dev", model, cap, max_tokens)


def test_prices_per_model():
    assert base_model("arn:aws:bedrock:us-east-1:1:inference-profile/global." + SONNET[3:]) == \
        "anthropic.claude-sonnet-4-20250514-v1:0"
    assert price_for(SONNET) == Price(3.0, 15.0)
    assert price_for("amazon.nova-lite-v1:0") == PRICES["amazon.nova-lite-v1"]
    assert price_for("eu.anthropic.claude-3-5-haiku-20241022-v1:0") == Price(0.8, 4.0)
    assert price_for("someone.new-model-v1:0") == UNKNOWN_MODEL_PRICE
    assert Price(3.0, 15.0).cost_nanos(1000, 100) == 4_500_000  # $0.003 + $0.0015, exactly


def test_reserve_then_settle_records_the_actual_cost_once(ddb, at):
    cost = limiter(ddb)
    estimate = cost.estimate(3000)  # 1000 input tokens + 1000 output tokens, worst case
    assert estimate == Price(3.0, 15.0).cost_nanos(1000, 1000)
    reservation = cost.reserve(estimate)
    assert cost.usage().spent_nanos == estimate
    actual = cost.settle(reservation, 800, 50)
    usage = cost.usage()
    assert actual == Price(3.0, 15.0).cost_nanos(800, 50)
    assert (usage.spent_nanos, usage.input_tokens, usage.output_tokens, usage.request_count) == (actual, 800, 50, 1)
    assert cost.settle(reservation, 800, 50) == 0 and cost.usage().spent_nanos == actual  # settling twice: no-op


def test_release_gives_the_reservation_back(ddb, at):
    cost = limiter(ddb)
    cost.release(cost.reserve(cost.estimate(300)))
    assert cost.usage().spent_nanos == 0


def test_denied_when_the_estimate_would_pass_the_cap(ddb, at):
    cost = limiter(ddb, cap=0.05)
    estimate = cost.estimate(3000)  # $0.018
    cost.reserve(estimate)
    cost.reserve(estimate)
    with pytest.raises(BudgetExceeded) as denied:
        cost.reserve(estimate)  # 3 x $0.018 > $0.05
    assert denied.value.http_status == 429 and denied.value.retry_after == 12 * 3600
    body = denied.value.body()
    assert body["error"] == "Daily spending limit reached" and "$0.05" in body["message"]
    assert body["cost_info"]["current_cost"] == pytest.approx(0.036) and body["cost_info"]["request_count"] == 2
    assert cost.usage().spent_nanos == 2 * estimate  # the refused reservation left nothing behind


def test_an_estimate_larger_than_the_cap_is_denied_on_an_empty_day(ddb, at):
    cost = limiter(ddb, cap=0.001)
    with pytest.raises(BudgetExceeded):
        cost.reserve(cost.estimate(10))
    assert cost.usage().request_count == 0


def test_the_budget_resets_at_midnight_utc(ddb, at):
    cost = limiter(ddb, cap=0.02)
    cost.reserve(cost.estimate(3000))
    with pytest.raises(BudgetExceeded):
        cost.reserve(cost.estimate(3000))
    at["now"] = datetime(2026, 11, 29, 0, 0, 1, tzinfo=UTC)
    cost.reserve(cost.estimate(3000))
    assert cost.usage("2026-11-28").spent_nanos == cost.usage("2026-11-29").spent_nanos
    assert seconds_to_midnight(datetime(2026, 11, 28, 23, 59, 30, tzinfo=UTC)) == 30


class _Limiter:
    """In-memory stand-in: records what the meter reserves and settles."""

    def __init__(self, cap: int = 10**9) -> None:
        self.cap, self.spent, self.log = cap, 0, []

    def estimate(self, chars: int) -> int:
        return chars

    def reserve(self, nanos: int):
        from services.agent.cost import Reservation
        if self.spent + nanos > self.cap:
            raise BudgetExceeded("cap", {}, 1)
        self.spent += nanos
        self.log.append(("reserve", nanos))
        return Reservation("d", nanos)

    def settle(self, reservation, input_tokens: int, output_tokens: int) -> int:
        if reservation.settled:
            return 0
        actual = input_tokens + output_tokens
        self.spent += actual - reservation.nanos
        reservation.settled = True
        self.log.append(("settle", actual))
        return actual

    def release(self, reservation) -> None:
        self.settle(reservation, 0, 0)


def test_usage_is_read_from_langchain_or_bedrock_keys():
    assert usage_of(AIMessage("x", usage_metadata={"input_tokens": 7, "output_tokens": 3, "total_tokens": 10})) == (7, 3)
    assert usage_of(AIMessage("x", response_metadata={"usage": {"inputTokens": 5, "outputTokens": 2}})) == (5, 2)
    assert usage_of(AIMessage("x")) is None


def test_meter_tops_up_the_first_reservation_and_settles_each_call():
    fake = _Limiter()
    meter = Meter(fake, first=fake.reserve(100))  # type: ignore[arg-type]
    held = meter.before(150)
    assert fake.log == [("reserve", 100), ("reserve", 50)]
    meter.after(held, AIMessage("a", usage_metadata={"input_tokens": 20, "output_tokens": 5, "total_tokens": 25}))
    assert fake.spent == 25 and meter.calls == 1 and meter.spent_nanos == 25
    held = meter.before(40)
    meter.after(held, AIMessage("b"))  # no usage reported: the estimate stays as the cost
    assert fake.spent == 65
    held = meter.before(30)
    meter.close()  # a call that never happened is given back
    assert fake.spent == 65 and not meter.open
