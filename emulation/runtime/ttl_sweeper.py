"""The DynamoDB TTL sweeper: deletes expired items, which moto never does.

Every table of the manifest with a TTL attribute is swept through the AWS API: a Scan (keys and
the TTL attribute only) finds items whose TTL (epoch seconds, a Number) is before the platform
clock's now, and each is removed with a DeleteItem conditioned on still being expired (so an item
whose TTL was just extended survives, as in AWS). Items without the attribute, with a non-number
value, or expired more than five years ago are left alone, as AWS documents.

When: a sweep is a platform-clock timer, every 5 minutes of platform time, and at the first whole
minute after the earliest expiry it knows of (AWS deletes "within a few days", typically minutes —
a minute is a fair stand-in). While the clock jumps (``advance(3 days)``) the periodic sweep runs
once, at the end of the jump (``PlatformClock.next_periodic``), so "gone after 72 h" costs a few
scans, not 864; expiries known before the jump are still swept at their minute.

LIMITATIONS: Scan + DeleteItem is fine for local tables of thousands of items, not for millions;
no DynamoDB Streams REMOVE records with the TTL service principal are produced (moto's streams
are not wired here); TTL on tables not in the manifest is not swept; an item written since the
last sweep and expiring in the middle of a clock jump is deleted at the end of the jump.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from emulation.runtime.clock import PlatformClock
from infra import manifest
from infra.manifest import Naming

logger = logging.getLogger(__name__)

FIVE_YEARS = 5 * 365 * 86_400


@dataclass(frozen=True)
class TtlTable:
    name: str
    keys: tuple[str, ...]
    attribute: str


def manifest_tables(naming: Naming) -> list[TtlTable]:
    return [TtlTable(naming.table(t.key), tuple(k for k in (t.hash_key, t.range_key) if k), t.ttl_attribute)
            for t in manifest.TABLES.values() if t.ttl_attribute]


class TtlSweeper:
    def __init__(self, clock: PlatformClock, dynamodb: Any, tables: list[TtlTable], *,
                 interval: timedelta = timedelta(minutes=5)) -> None:
        self._clock, self._db, self._tables, self._interval = clock, dynamodb, tables, interval
        self._lock = threading.Lock()
        self._timer: Any = None
        self._stopped = False
        self.deleted = 0

    def start(self) -> None:
        self._arm(self._clock.next_periodic(self._interval))

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._clock.cancel(self._timer)

    def _arm(self, due: datetime) -> None:
        with self._lock:
            if not self._stopped:
                self._timer = self._clock.call_at(due, self._tick)

    def _tick(self) -> None:
        now = self._clock.now()
        due = self._clock.next_periodic(self._interval)  # during a clock jump: its end
        try:
            next_expiry = self.sweep(now)
            if next_expiry is not None:
                # The first whole minute at which the item is strictly expired (TTL < now).
                due = min(due, datetime.fromtimestamp((next_expiry // 60 + 1) * 60, UTC))
        except Exception:
            logger.exception("TTL sweep failed")
        finally:
            self._arm(max(due, now + timedelta(seconds=1)))

    def sweep(self, now: datetime | None = None) -> int | None:
        """Delete every expired item; returns the earliest TTL still in the future (epoch seconds)."""
        epoch = int((now or self._clock.now()).timestamp())
        upcoming: int | None = None
        for table in self._tables:
            for item in self._scan(table):
                ttl = _number(item.get(table.attribute))
                if ttl is None or ttl < epoch - FIVE_YEARS:
                    continue
                if ttl >= epoch:
                    upcoming = ttl if upcoming is None else min(upcoming, ttl)
                    continue
                self._delete(table, item, epoch)
        return upcoming

    def _scan(self, table: TtlTable):
        names = {f"#k{i}": key for i, key in enumerate(table.keys)} | {"#ttl": table.attribute}
        request: dict[str, Any] = {"TableName": table.name, "ProjectionExpression": ", ".join(names),
                                   "ExpressionAttributeNames": names}
        while True:
            try:
                response = self._db.scan(**request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return
                raise
            yield from response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _delete(self, table: TtlTable, item: dict[str, Any], epoch: int) -> None:
        try:
            self._db.delete_item(TableName=table.name, Key={k: item[k] for k in table.keys},
                                 ConditionExpression="#ttl < :now", ExpressionAttributeNames={"#ttl": table.attribute},
                                 ExpressionAttributeValues={":now": {"N": str(epoch)}})
            self.deleted += 1
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def _number(value: dict[str, Any] | None) -> int | None:
    if not value or "N" not in value:
        return None
    try:
        return int(float(value["N"]))
    except ValueError:
        return None
