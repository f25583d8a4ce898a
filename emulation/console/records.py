"""The application's records, read straight from the stack's AWS endpoint (DynamoDB).

The console polls every second or two. Through the HTTP API each poll would be a request — and a
trace — of its own, and the traces a person opens the console to see would drown in the console's.
Reads go here; actions (redrive, pause, resume, DLQ inspection) go through the HTTP API, as a user's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_DESERIALIZE = TypeDeserializer().deserialize


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return _plain({k: _DESERIALIZE(v) for k, v in raw.items()})


def _pages(ddb: Any, operation: str, **request: Any):
    for page in ddb.get_paginator(operation).paginate(**request):
        yield from (_item(raw) for raw in page.get("Items", []))


def messages(ddb: Any, table: str, *, status: str | None = None, message_type: str | None = None,
             limit: int = 50) -> list[dict[str, Any]]:
    """Newest first. A filter reads the matching index; no filter scans (a local table is small)."""
    if status or message_type:
        field, value = ("status", status) if status else ("message_type", message_type)
        found = _pages(ddb, "query", TableName=table, IndexName=f"{field}-created_date-index",
                       KeyConditionExpression="#f = :v", ExpressionAttributeNames={"#f": field},
                       ExpressionAttributeValues={":v": {"S": value}}, ScanIndexForward=False)
        rows = [m for m in found if not message_type or m.get("message_type") == message_type]
    else:
        rows = list(_pages(ddb, "scan", TableName=table))
    rows.sort(key=lambda m: m.get("created_date", ""), reverse=True)
    return rows[:limit]


def message(ddb: Any, table: str, message_id: str) -> dict[str, Any] | None:
    raw = ddb.get_item(TableName=table, Key={"id": {"S": message_id}}, ConsistentRead=True).get("Item")
    return _item(raw) if raw else None


def results(ddb: Any, table: str, message_id: str) -> list[dict[str, Any]]:
    rows = _pages(ddb, "query", TableName=table, IndexName="message_id-index",
                  KeyConditionExpression="message_id = :m", ExpressionAttributeValues={":m": {"S": message_id}})
    return sorted(rows, key=lambda r: r.get("created_date", ""))


def schedules(ddb: Any, table: str) -> list[dict[str, Any]]:
    return list(_pages(ddb, "scan", TableName=table))
