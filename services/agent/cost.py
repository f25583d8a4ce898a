"""The daily Bedrock budget (seed "Cost Tracking and Rate Limiting"; ORIGINAL_SYSTEM §12.7 as intended).

One item per UTC day in the cost table: ``{id: "bedrock", date: "YYYY-MM-DD", spent_nanos,
request_count, input_tokens, output_tokens, updated_at, ttl}``. A new day is a new item, so the
budget resets at midnight UTC (by ``services.core.clock``).

Every model call is bracketed:

1. ``reserve(estimate)`` — before the call, one conditional ``ADD spent_nanos :estimate`` that
   succeeds only while ``spent_nanos <= cap - estimate``. DynamoDB applies conditional updates
   one at a time per item, so concurrent requests can never reserve past the cap together.
   Refused → ``SpendingLimitError`` (429) and the model is not called.
2. ``settle(reservation, input_tokens, output_tokens)`` — after the call, ``ADD spent_nanos
   (actual - estimate)`` and the *actual* token counts: the estimate is replaced, never added to
   the actual (the original's double counting, §17 item 16). A failed call settles at zero.

The estimate is an upper bound (``estimate_tokens``: ~3 characters per token for the input, the
full ``max_tokens`` for the output), so settling lowers the total: spending never passes the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from services.agent.pricing import Price, price_for, usd
from services.core import clock
from services.core.dynamo import error_code, from_item
from services.core.errors import SpendingLimitError

COST_ID = "bedrock"
CHARS_PER_TOKEN = 3
RETENTION = timedelta(days=90)


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


@dataclass
class Usage:
    date: str
    spent_nanos: int = 0
    request_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class BudgetExceeded(SpendingLimitError):
    def __init__(self, message: str, cost_info: dict[str, Any], retry_after: int) -> None:
        super().__init__(message)
        self.cost_info = cost_info
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"error": "Daily spending limit reached", "message": self.message, "cost_info": self.cost_info}


@dataclass
class CostLimiter:
    dynamodb: Any
    table: str
    model_id: str
    cap_usd: float
    max_tokens: int
    price: Price = field(init=False)

    def __post_init__(self) -> None:
        self.price = price_for(self.model_id)

    @property
    def cap_nanos(self) -> int:
        return round(self.cap_usd * 1_000_000_000)

    def estimate(self, input_chars: int) -> int:
        return self.price.cost_nanos(estimate_input_tokens(input_chars), self.max_tokens)

    def reserve(self, nanos: int) -> Reservation:
        now = clock.now()
        date = day_key(now)
        room = self.cap_nanos - nanos
        if room < 0:
            self._deny(date, nanos, now)
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key=self._key(date),
                UpdateExpression="ADD spent_nanos :n, request_count :one SET updated_at = :at, #ttl = :ttl",
                ConditionExpression="attribute_not_exists(spent_nanos) OR spent_nanos <= :room",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":n": {"N": str(nanos)}, ":one": {"N": "1"},
                                           ":room": {"N": str(room)}, ":at": {"S": clock.iso(now)},
                                           ":ttl": {"N": str(int((now + RETENTION).timestamp()))}})
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            self._deny(date, nanos, now)
        return Reservation(date=date, nanos=nanos)

    def settle(self, reservation: Reservation, input_tokens: int, output_tokens: int) -> int:
        """Replace the reservation by the actual cost; returns the actual cost (nano-dollars)."""
        if reservation.settled:
            return 0
        actual = self.price.cost_nanos(input_tokens, output_tokens)
        self.dynamodb.update_item(
            TableName=self.table, Key=self._key(reservation.date),
            UpdateExpression="ADD spent_nanos :d, input_tokens :i, output_tokens :o SET updated_at = :at",
            ExpressionAttributeValues={":d": {"N": str(actual - reservation.nanos)}, ":i": {"N": str(input_tokens)},
                                       ":o": {"N": str(output_tokens)}, ":at": {"S": clock.iso(clock.now())}})
        reservation.settled = True
        return actual

    def release(self, reservation: Reservation) -> None:
        """The call did not happen (or failed): give the reservation back."""
        self.settle(reservation, 0, 0)

    def usage(self, date: str | None = None) -> Usage:
        date = date or day_key(clock.now())
        item = self.dynamodb.get_item(TableName=self.table, Key=self._key(date), ConsistentRead=True).get("Item")
        data = from_item(item) if item else {}
        return Usage(date=date, spent_nanos=int(data.get("spent_nanos", 0)),
                     request_count=int(data.get("request_count", 0)), input_tokens=int(data.get("input_tokens", 0)),
                     output_tokens=int(data.get("output_tokens", 0)))

    def cost_info(self, usage: Usage, estimate_nanos: int = 0) -> dict[str, Any]:
        return {
            "date": usage.date, "current_cost": round(usd(usage.spent_nanos), 6),
            "estimated_cost": round(usd(estimate_nanos), 6), "daily_cap": self.cap_usd,
            "remaining_budget": round(max(0.0, usd(self.cap_nanos - usage.spent_nanos)), 6),
            "request_count": usage.request_count, "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens, "reset_time": f"{usage.date} 23:59:59 UTC",
        }

    def _deny(self, date: str, nanos: int, now: datetime) -> None:
        usage = self.usage(date)
        raise BudgetExceeded(
            f"Daily spending cap of ${self.cap_usd:.2f} would be exceeded. Current usage: "
            f"${usd(usage.spent_nanos):.4f}, estimated request cost: ${usd(nanos):.4f}. Resets at midnight UTC.",
            self.cost_info(usage, nanos), seconds_to_midnight(now))

    def _key(self, date: str) -> dict[str, Any]:
        return {"id": {"S": COST_ID}, "date": {"S": date}}
