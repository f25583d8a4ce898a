"""Schedules for the console: the application's records joined with EventBridge Scheduler's, and
the next fire times of each enabled one, computed by the same expression library the engine uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.core.schedule_expression import InvalidScheduleExpression, InvalidTimezone, parse_expression


def next_fires(expression: str, timezone: str, now: datetime, *, start: datetime | None = None,
               end: datetime | None = None, anchor: datetime | None = None, count: int = 3) -> list[dict[str, str]]:
    """The next ``count`` fire times after ``now``, each in UTC and in the schedule's own timezone."""
    try:
        fires = parse_expression(expression).fire_times(now, None, timezone or "UTC", start=start, end=end,
                                                        anchor=anchor)
        zone = ZoneInfo(timezone or "UTC")
    except (InvalidScheduleExpression, InvalidTimezone, ValueError):
        return []
    out = []
    for fire in fires:
        out.append({"utc": fire.isoformat(), "local": fire.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")})
        if len(out) >= count:
            break
    return out


def schedules_view(stored: list[dict[str, Any]], scheduler: Any, now: datetime) -> list[dict[str, Any]]:
    """``stored``: the application's schedule records (its schedules table)."""
    records = {record["eventbridge_name"]: record for record in stored if record.get("eventbridge_name")}
    rows: list[dict[str, Any]] = []
    for page in scheduler.get_paginator("list_schedules").paginate():
        for summary in page.get("Schedules", []):
            detail = scheduler.get_schedule(GroupName=summary["GroupName"], Name=summary["Name"])
            record = records.pop(summary["Name"], None)
            rows.append(_row(detail, record, now))
    for record in records.values():  # saved by the API, not (yet, or any more) in the Scheduler API
        rows.append({"name": record["name"], "id": record["id"], "status": record["status"],
                     "expression": record["schedule_expression"], "timezone": record["timezone"],
                     "state": "-", "next": [], "source": "app", "record": record})
    return sorted(rows, key=lambda r: (r["next"][0]["utc"] if r["next"] else "9999", r["name"]))


def _row(detail: dict[str, Any], record: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    enabled = detail.get("State") == "ENABLED"
    expression, timezone = detail["ScheduleExpression"], detail.get("ScheduleExpressionTimezone") or "UTC"
    fires = next_fires(expression, timezone, now, start=detail.get("StartDate"), end=detail.get("EndDate"),
                       anchor=detail.get("CreationDate")) if enabled else []
    row = {"name": record["name"] if record else detail["Name"], "id": record["id"] if record else None,
           "status": record["status"] if record else ("active" if enabled else "disabled"),
           "scheduler_name": detail["Name"], "group": detail.get("GroupName", "default"),
           "expression": expression, "timezone": timezone, "state": detail.get("State"), "next": fires,
           "source": "app" if record else "platform"}
    if record:
        row["record"] = record
    return row
