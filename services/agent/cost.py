"""The daily Bedrock budget (seed "Cost Tracking and Rate Limiting"; ORIGINAL_SYSTEM §12.7 as intended).

One item per UTC day in the cost table: ``{id: "bedrock", date: "YYYY-MM-DD", spent_nanos,
request_count, input_tokens, output_tokens, pending, updated_at, ttl}``. A new day is a
new item, so the budget resets at midnight UTC (by ``services.core.clock``).

Every model call is bracketed:

1. ``reserve(estimate)`` — before the call. ``spent_nanos`` counts settled costs plus the
   reservations still pending, each also listed in ``pending`` as ``{id: {n, exp}}`` with the
   instant it lapses: when the invocation must have ended (``expire_with(context)``: the Lambda
   context's remaining time; 15 minutes, Lambda's longest timeout, without one). Reserving reads
   the item, then in one conditional update gives back the lapsed reservations of turns that were
   killed or timed out (each only once: the condition requires it still listed) and ``ADD``s the
   estimate while ``spent_nanos <= cap - estimate``. DynamoDB applies conditional updates one at a
   time per item, so concurrent requests never reserve past the cap together; a failed condition
   is read again and retried. Refused -> ``SpendingLimitError`` (429) with a
   ``Retry-After`` of the seconds until enough pending reservations lapse, or until midnight UTC
   when only the new day frees enough; the model is not called.
2. ``settle(reservation, input_tokens, output_tokens)`` — after the call: the estimate is replaced
   by the actual cost, never added to it (the original's double counting, §17 item 16). A
   reservation that had already lapsed and been given back is charged in full. A failed call
   settles at zero.

The estimate is close to the actual cost, not a worst case: input at ``CHARS_PER_TOKEN`` and an
output allowance of ``OUTPUT_ALLOWANCE_TOKENS`` (an agent turn answers with a tool call or a
short reply), so the cap is not reached early by reservations of ``maxTokens`` that never happen.
The other side of that bargain: a call that writes more than its allowance can pass the cap by
that much; the next reservation is then refused.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from services.agent.pricing import Price, max_output_tokens, price_for, usd
from services.core import clock
from services.core.dynamo import error_code, from_item
from services.core.errors import SpendingLimitError

COST_ID = "bedrock"
CHARS_PER_TOKEN = 3.5
OUTPUT_ALLOWANCE_TOKENS = 150
RETENTION = timedelta(days=90)
DEFAULT_HOLD = timedelta(minutes=15)  # Lambda's longest timeout: no turn outlives it
DEADLINE_GRACE = timedelta(seconds=2)
WRITE_ATTEMPTS = 8


def day_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def seconds_to_midnight(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(1, math.ceil((midnight - moment).total_seconds()))


def estimate_input_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


@dataclass
class Reservation:
    date: str
    nanos: int
    settled: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    expires_at: datetime | None = None


@dataclass
class Usage:
    date: str
    spent_nanos: int = 0
    request_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    pending: dict[str, tuple[int, float]] = field(default_factory=dict)  # id -> (nanos, lapses at, epoch s)
    has_pending_map: bool = False

    def lapsed_nanos(self, reservation_id: str) -> int:
        return self.pending[reservation_id][0]

    def without(self, reservation_ids: list[str]) -> Usage:
        """This usage with those pending reservations given back."""
        return replace(self, spent_nanos=self.spent_nanos - sum(self.lapsed_nanos(r) for r in reservation_ids),
                       pending={k: v for k, v in self.pending.items() if k not in reservation_ids})


class BudgetExceeded(SpendingLimitError):
    def __init__(self, message: str, cost_info: dict[str, Any], retry_after: int) -> None:
        super().__init__(message)
        self.cost_info = cost_info
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"error": "Daily spending limit reached", "message": self.message, "cost_info": self.cost_info}


def seconds_until_room(usage: Usage, nanos: int, cap: int, now: datetime) -> int | None:
    """Seconds until enough pending reservations lapse to make room for ``nanos``; None if they cannot."""
    spent = usage.spent_nanos
    for pending_nanos, lapses in sorted(usage.pending.values(), key=lambda p: p[1]):
        spent -= pending_nanos
        if spent + nanos <= cap:
            return max(1, math.ceil(lapses - now.timestamp()))
    return None


@dataclass
class CostLimiter:
    dynamodb: Any
    table: str
    model_id: str
    cap_usd: float
    max_tokens: int
    price: Price = field(init=False)
    _deadline: datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.price = price_for(self.model_id)

    @property
    def cap_nanos(self) -> int:
        return round(self.cap_usd * 1_000_000_000)

    @property
    def output_allowance(self) -> int:
        return min(OUTPUT_ALLOWANCE_TOKENS, self.max_tokens, max_output_tokens(self.model_id) or self.max_tokens)

    def estimate(self, input_chars: int) -> int:
        return self.price.cost_nanos(estimate_input_tokens(input_chars), self.output_allowance)

    def expire_with(self, context: Any) -> None:
        """Reservations made from now on lapse when this invocation must have ended."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        self._deadline = clock.now() + timedelta(milliseconds=remaining()) + DEADLINE_GRACE if remaining else None

    def _lapses_at(self, now: datetime) -> datetime:
        return self._deadline if self._deadline is not None and self._deadline > now else now + DEFAULT_HOLD

    def reserve(self, nanos: int) -> Reservation:
        now = clock.now()
        date = day_key(now)
        reservation = Reservation(date=date, nanos=nanos, expires_at=self._lapses_at(now))
        for _ in range(WRITE_ATTEMPTS):
            usage = self.usage(date)
            lapsed = [rid for rid, (_, lapses) in usage.pending.items() if lapses <= now.timestamp()]
            live = usage.without(lapsed)
            if live.spent_nanos + nanos > self.cap_nanos:
                self._deny(live, nanos, now)
            try:
                self._write_reservation(usage, reservation, lapsed, now)
                return reservation
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
        raise BudgetExceeded("The budget is busy with concurrent requests; please retry.",
                             self.cost_info(self.usage(date), nanos), 1)

    def _write_reservation(self, usage: Usage, reservation: Reservation, lapsed: list[str], now: datetime) -> None:
        # ADD, not SET: concurrent reservations that both fit add up, and the condition keeps the
        # total under the cap (DynamoDB applies one conditional update at a time per item).
        delta = reservation.nanos - sum(usage.lapsed_nanos(rid) for rid in lapsed)
        entry = {"M": {"n": {"N": str(reservation.nanos)}, "exp": {"N": str(reservation.expires_at.timestamp())}}}
        names: dict[str, str] = {"#ttl": "ttl"}
        values: dict[str, Any] = {
            ":d": {"N": str(delta)}, ":room": {"N": str(self.cap_nanos - delta)}, ":one": {"N": "1"},
            ":at": {"S": clock.iso(now)}, ":ttl": {"N": str(int((now + RETENTION).timestamp()))}, ":entry": entry}
        conditions = ["(attribute_not_exists(spent_nanos) OR spent_nanos <= :room)"]
        if usage.has_pending_map:
            names["#new"] = reservation.id
            sets = ["pending.#new = :entry"]
        else:  # the first reservation of the day (or of an item written before reservations expired)
            values[":entry"] = {"M": {reservation.id: entry}}
            sets = ["pending = :entry"]
            conditions.append("attribute_not_exists(pending)")
        removes = []
        for index, rid in enumerate(lapsed):  # given back once: a second reserver's condition fails
            names[f"#l{index}"] = rid
            removes.append(f"pending.#l{index}")
            conditions.append(f"attribute_exists(pending.#l{index})")
        expression = (f"SET {', '.join([*sets, 'updated_at = :at', '#ttl = :ttl'])} "
                      "ADD spent_nanos :d, request_count :one")
        if removes:
            expression += f" REMOVE {', '.join(removes)}"
        self.dynamodb.update_item(TableName=self.table, Key=self._key(usage.date), UpdateExpression=expression,
                                  ConditionExpression=" AND ".join(conditions), ExpressionAttributeNames=names,
                                  ExpressionAttributeValues=values)

    def settle(self, reservation: Reservation, input_tokens: int, output_tokens: int) -> int:
        """Replace the reservation by the actual cost; returns the actual cost (nano-dollars)."""
        if reservation.settled:
            return 0
        actual = self.price.cost_nanos(input_tokens, output_tokens)
        values = {":i": {"N": str(input_tokens)}, ":o": {"N": str(output_tokens)},
                  ":at": {"S": clock.iso(clock.now())}}
        common = dict(TableName=self.table, Key=self._key(reservation.date))
        try:
            self.dynamodb.update_item(
                **common, ConditionExpression="attribute_exists(pending.#id)",
                UpdateExpression="ADD spent_nanos :d, input_tokens :i, output_tokens :o "
                                 "SET updated_at = :at REMOVE pending.#id",
                ExpressionAttributeNames={"#id": reservation.id},
                ExpressionAttributeValues={**values, ":d": {"N": str(actual - reservation.nanos)}})
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            # It lapsed and was given back meanwhile: the call happened after all, charge it whole.
            self.dynamodb.update_item(
                **common, UpdateExpression="ADD spent_nanos :d, input_tokens :i, output_tokens :o "
                                           "SET updated_at = :at",
                ExpressionAttributeValues={**values, ":d": {"N": str(actual)}})
        reservation.settled = True
        return actual

    def release(self, reservation: Reservation) -> None:
        """The call did not happen (or failed): give the reservation back."""
        self.settle(reservation, 0, 0)

    def usage(self, date: str | None = None) -> Usage:
        date = date or day_key(clock.now())
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(date), ConsistentRead=True).get("Item")
        data = from_item(item) if item else {}
        pending = {rid: (int(p.get("n", 0)), float(p.get("exp", 0))) for rid, p in (data.get("pending") or {}).items()}
        return Usage(date=date, spent_nanos=int(data.get("spent_nanos", 0)),
                     request_count=int(data.get("request_count", 0)), input_tokens=int(data.get("input_tokens", 0)),
                     output_tokens=int(data.get("output_tokens", 0)), pending=pending,
                     has_pending_map="pending" in data)

    def cost_info(self, usage: Usage, estimate_nanos: int = 0) -> dict[str, Any]:
        return {
            "date": usage.date, "current_cost": round(usd(usage.spent_nanos), 6),
            "estimated_cost": round(usd(estimate_nanos), 6), "daily_cap": self.cap_usd,
            "remaining_budget": round(max(0.0, usd(self.cap_nanos - usage.spent_nanos)), 6),
            "request_count": usage.request_count, "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens, "reset_time": f"{usage.date} 23:59:59 UTC",
            "pending_reservations": len(usage.pending),
        }

    def _deny(self, usage: Usage, nanos: int, now: datetime) -> None:
        frees = seconds_until_room(usage, nanos, self.cap_nanos, now) if nanos <= self.cap_nanos else None
        midnight = seconds_to_midnight(now)
        when = (f"In-flight requests hold part of it; retry in {frees} s." if frees is not None and frees < midnight
                else "Resets at midnight UTC.")
        raise BudgetExceeded(
            f"Daily spending cap of ${self.cap_usd:.2f} would be exceeded. Current usage: "
            f"${usd(usage.spent_nanos):.4f}, estimated request cost: ${usd(nanos):.4f}. {when}",
            self.cost_info(usage, nanos), min(frees, midnight) if frees is not None else midnight)

    def _key(self, date: str) -> dict[str, Any]:
        return {"id": {"S": COST_ID}, "date": {"S": date}}
