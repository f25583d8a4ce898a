"""The TTL sweeper against moto's DynamoDB (which keeps expired items forever), on a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from emulation.runtime.clock import PlatformClock
from emulation.runtime.ttl_sweeper import TtlSweeper, manifest_tables
from infra.manifest import Naming
from tests.support.aws import provision_manifest

NAMING = Naming()
START = datetime(2027, 3, 1, tzinfo=UTC)
EPOCH = int(START.timestamp())
RESULTS = NAMING.table("results")
COST = NAMING.table("cost")


@pytest.fixture()
def db():
    with mock_aws():
        provision_manifest(NAMING)
        yield boto3.client("dynamodb", region_name="us-east-1")


def put(db, item_id: str, ttl: dict | None, table: str = RESULTS, **extra) -> None:
    item = {"id": {"S": item_id}, **extra}
    if ttl is not None:
        item["ttl"] = ttl
    db.put_item(TableName=table, Item=item)


def ids(db, table: str = RESULTS) -> set[str]:
    return {i["id"]["S"] for i in db.scan(TableName=table)["Items"]}


def test_manifest_tables_with_a_ttl_attribute_are_swept_with_their_keys():
    tables = {t.name: t for t in manifest_tables(NAMING)}
    assert tables[RESULTS].keys == ("id",) and tables[COST].keys == ("id", "date")
    assert all(t.attribute == "ttl" for t in tables.values())


def test_a_sweep_deletes_expired_items_only_as_aws_does(db):
    put(db, "expired", {"N": str(EPOCH - 10)})
    put(db, "now", {"N": str(EPOCH)})  # not yet: expiry means TTL < now
    put(db, "future", {"N": str(EPOCH + 3600)})
    put(db, "forever", None)
    put(db, "text", {"S": str(EPOCH - 10)})  # not a Number: ignored by TTL
    put(db, "ancient", {"N": str(EPOCH - 6 * 365 * 86_400)})  # more than five years past: never deleted
    put(db, "cost-expired", {"N": str(EPOCH - 1)}, table=COST, date={"S": "2027-02-28"})
    sweeper = TtlSweeper(PlatformClock(frozen_at=START), db, manifest_tables(NAMING))
    assert sweeper.sweep(START) == EPOCH  # the earliest expiry still to come
    assert ids(db) == {"now", "future", "forever", "text", "ancient"}
    assert ids(db, COST) == set() and sweeper.deleted == 2


def test_items_go_at_the_first_minute_after_expiry_as_the_clock_advances(db):
    clock = PlatformClock(frozen_at=START)
    sweeper = TtlSweeper(clock, db, manifest_tables(NAMING))
    sweeper.start()
    try:
        put(db, "result", {"N": str(EPOCH + 72 * 3600)})
        assert clock.advance(timedelta(hours=72)) <= 3  # a few sweeps, not one every 5 minutes
        assert ids(db) == {"result"}, "expired too early"
        clock.advance(timedelta(minutes=1))
        assert ids(db) == set()
        put(db, "later", {"N": str(EPOCH + 73 * 3600)})
        clock.advance(timedelta(minutes=59))  # seen by the next periodic sweep; at 73 h exactly not yet expired
        assert ids(db) == {"later"}
        clock.advance(timedelta(hours=1))
        assert ids(db) == set()
    finally:
        sweeper.stop()


def test_an_item_whose_ttl_was_extended_is_not_deleted(db):
    put(db, "renewed", {"N": str(EPOCH - 10)})
    sweeper = TtlSweeper(PlatformClock(frozen_at=START), db, manifest_tables(NAMING))
    table = next(t for t in manifest_tables(NAMING) if t.name == RESULTS)
    scanned = list(sweeper._scan(table))  # what a sweep saw...
    put(db, "renewed", {"N": str(EPOCH + 10)})  # ...before the item was renewed
    sweeper._delete(table, scanned[0], EPOCH)  # the delete is conditional on the item still being expired
    assert ids(db) == {"renewed"}
