"""The cost limiter against the cost table (moto), prices, and the per-call meter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from langchain_core.messages import AIMessage
from moto import mock_aws

from services.agent.cost import OUTPUT_ALLOWANCE_TOKENS, BudgetExceeded, CostLimiter, seconds_to_midnight
from services.agent.graph import Meter, usage_of
from services.agent.pricing import (
    PRICES,
    UNKNOWN_MODEL_PRICE,
    Price,
    base_model,
    max_output_tokens,
    price_for,
)
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
    assert price_for("amazon.nova-lite-v1:0") == PRICES["amazon.nova-lite-v1:0"] == Price(0.06, 0.24)
    assert price_for("eu.anthropic.claude-3-5-haiku-20241022-v1:0") == Price(0.8, 4.0)
    assert price_for("anthropic.claude-3-haiku-20240307") == Price(0.25, 1.25)  # without its version suffix
    assert price_for("someone.new-model-v1:0") == UNKNOWN_MODEL_PRICE
    assert Price(3.0, 15.0).cost_nanos(1000, 100) == 4_500_000  # $0.003 + $0.0015, exactly
    assert max_output_tokens(SONNET) == 64_000 and max_output_tokens("meta.llama3-1-8b-instruct-v1:0") == 2048
    assert max_output_tokens("someone.new-model-v1:0") is None


def test_the_estimate_is_the_input_and_a_realistic_output_not_max_tokens(ddb):
    cost = limiter(ddb, max_tokens=4096)
    assert cost.estimate(7000) == Price(3.0, 15.0).cost_nanos(2000, OUTPUT_ALLOWANCE_TOKENS)
    assert limiter(ddb, max_tokens=100).estimate(7000) == Price(3.0, 15.0).cost_nanos(2000, 100)


def test_reserve_then_settle_records_the_actual_cost_once(ddb, at):
    cost = limiter(ddb)
    reservation = cost.reserve(20_000_000)
    assert cost.usage().spent_nanos == 20_000_000 and list(cost.usage().pending) == [reservation.id]
    actual = cost.settle(reservation, 800, 50)
    usage = cost.usage()
    assert actual == Price(3.0, 15.0).cost_nanos(800, 50)
    assert (usage.spent_nanos, usage.input_tokens, usage.output_tokens, usage.request_count) == (actual, 800, 50, 1)
    assert usage.pending == {}
    assert cost.settle(reservation, 800, 50) == 0 and cost.usage().spent_nanos == actual  # settling twice: no-op


def test_release_gives_the_reservation_back(ddb, at):
    cost = limiter(ddb)
    cost.release(cost.reserve(cost.estimate(300)))
    assert cost.usage().spent_nanos == 0 and cost.usage().pending == {}


def test_denied_when_the_estimate_would_pass_the_cap(ddb, at):
    cost = limiter(ddb, cap=0.05)
    cost.settle(cost.reserve(18_000_000), 6000, 0)  # $0.018 settled
    cost.settle(cost.reserve(18_000_000), 6000, 0)
    with pytest.raises(BudgetExceeded) as denied:
        cost.reserve(18_000_000)  # 3 x $0.018 > $0.05
    assert denied.value.http_status == 429 and denied.value.retry_after == 12 * 3600  # nothing pending: midnight
    body = denied.value.body()
    assert body["error"] == "Daily spending limit reached" and "$0.05" in body["message"]
    assert body["cost_info"]["current_cost"] == pytest.approx(0.036) and body["cost_info"]["request_count"] == 2
    assert cost.usage().spent_nanos == 36_000_000  # the refused reservation left nothing behind


def test_an_estimate_larger_than_the_cap_is_denied_on_an_empty_day(ddb, at):
    cost = limiter(ddb, cap=0.001)
    with pytest.raises(BudgetExceeded):
        cost.reserve(2_000_000)
    assert cost.usage().request_count == 0


def test_the_budget_resets_at_midnight_utc(ddb, at):
    cost = limiter(ddb, cap=0.02)
    cost.settle(cost.reserve(15_000_000), 5000, 0)
    with pytest.raises(BudgetExceeded):
        cost.reserve(15_000_000)
    at["now"] = datetime(2026, 11, 29, 0, 0, 1, tzinfo=UTC)
    cost.settle(cost.reserve(15_000_000), 5000, 0)
    assert cost.usage("2026-11-28").spent_nanos == cost.usage("2026-11-29").spent_nanos == 15_000_000
    assert seconds_to_midnight(datetime(2026, 11, 28, 23, 59, 30, tzinfo=UTC)) == 30


class _Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_killed_turns_reservation_lapses_at_the_invocations_deadline(ddb, at):
    cost = limiter(ddb, cap=0.05)
    cost.expire_with(_Context(300_000))  # the agent's 300 s timeout
    cost.reserve(40_000_000)  # the turn is killed: never settled, never released
    with pytest.raises(BudgetExceeded) as denied:
        cost.reserve(20_000_000)
    assert denied.value.retry_after == 302  # when the reservation lapses (deadline + 2 s grace), not midnight
    assert "retry in 302 s" in denied.value.body()["message"]
    at["now"] = NOON + timedelta(seconds=303)
    second = cost.reserve(20_000_000)
    usage = cost.usage()
    assert usage.spent_nanos == 20_000_000 and list(usage.pending) == [second.id]  # the lapsed one given back


def test_a_reservation_settled_after_it_lapsed_is_charged_in_full(ddb, at):
    cost = limiter(ddb, cap=1.0)
    slow = cost.reserve(10_000_000)  # no context: lapses after 15 minutes
    at["now"] = NOON + timedelta(minutes=16)
    cost.reserve(1_000_000)  # gives the lapsed one back
    assert cost.usage().spent_nanos == 1_000_000
    actual = cost.settle(slow, 1000, 100)
    assert cost.usage().spent_nanos == 1_000_000 + actual


def test_retry_after_is_midnight_when_pending_reservations_would_not_free_enough(ddb, at):
    cost = limiter(ddb, cap=0.05)
    cost.settle(cost.reserve(40_000_000), 13_334, 0)  # ~$0.04 spent for good
    cost.expire_with(_Context(60_000))
    cost.reserve(5_000_000)
    with pytest.raises(BudgetExceeded) as denied:
        cost.reserve(20_000_000)  # even with the pending $0.005 back, $0.04 + $0.02 > $0.05
    assert denied.value.retry_after == 12 * 3600


def test_a_reservation_racing_another_writer_rereads_and_respects_the_cap(ddb, at):
    """Between our read and our conditional write another container reserves: ours must retry
    against the new total (moto in-process is not atomic across threads, so the race is staged)."""
    cost = limiter(ddb, cap=0.05)
    rival = limiter(ddb, cap=0.05)

    class Racing:
        def __init__(self) -> None:
            self.raced = False

        def __getattr__(self, name: str):
            return getattr(ddb, name)

        def update_item(self, **kwargs):
            if not self.raced:
                self.raced = True
                rival.reserve(30_000_000)  # lands after our read, before our write
            return ddb.update_item(**kwargs)

    cost.dynamodb = Racing()
    with pytest.raises(BudgetExceeded):
        cost.reserve(30_000_000)  # alone it fits; after the rival's it does not
    assert cost.usage().spent_nanos == 30_000_000 and len(cost.usage().pending) == 1
    assert cost.reserve(20_000_000).nanos == 20_000_000 and cost.usage().spent_nanos == 50_000_000


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


def test_max_tokens_is_kept_within_the_models_limit():
    from services.agent.deps import model_max_tokens
    from services.core.settings import Settings

    assert model_max_tokens(Settings(bedrock_model_id=SONNET, bedrock_max_tokens=4096)) == 4096
    assert model_max_tokens(Settings(bedrock_model_id="meta.llama3-1-8b-instruct-v1:0", bedrock_max_tokens=4096)) == 2048
    assert model_max_tokens(Settings(bedrock_model_id="someone.new-v1:0", bedrock_max_tokens=9000)) == 9000
