"""Conformance tests for EventBridge Scheduler schedule expressions (services.core.schedule_expression).

Expected fire times were worked out by hand from a printed calendar and the zones' DST dates, not
produced by the code under test. 2026 dates used below: Jan 1 is a Thursday, May 13 a Wednesday.
DST in 2026: New York Mar 8 02:00 → 03:00 and Nov 1 02:00 → 01:00; London Mar 29 01:00 → 02:00 and
Oct 25 02:00 → 01:00; Sydney Apr 5 03:00 → 02:00 and Oct 4 02:00 → 03:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.schedule_expression import (
    AtExpression,
    CronExpression,
    InvalidScheduleExpression,
    InvalidTimezone,
    RateExpression,
    parse_expression,
    resolve_timezone,
    wall_to_instant,
)


def utc(text: str) -> datetime:
    """'2026-05-13T09:00' / '2026-05-13T09:00:30' → aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def successive_fires(expression: str, tz: str, after: str, count: int, **bounds: str) -> list[datetime]:
    """Up to `count` fires obtained by chaining next_fire (stops early at None)."""
    expr = parse_expression(expression)
    kwargs = {name: utc(value) for name, value in bounds.items()}
    fires: list[datetime] = []
    cursor = utc(after)
    while len(fires) < count:
        fire = expr.next_fire(cursor, tz, **kwargs)
        if fire is None:
            break
        fires.append(fire)
        cursor = fire
    return fires


# (expression, time zone, after, {start/end/anchor}, expected fires in UTC). A list shorter than the
# number asked for means the schedule is exhausted after those fires.
CONFORMANCE = [
    # --- The AWS documentation examples (evaluated in UTC) ---
    ("cron(0 10 * * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-13T10:00", "2026-05-14T10:00"]),
    ("cron(15 12 * * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-13T12:15", "2026-05-14T12:15"]),
    ("cron(0 18 ? * MON-FRI *)", "UTC", "2026-05-15T19:00", {}, ["2026-05-18T18:00", "2026-05-19T18:00"]),
    ("cron(0 8 1 * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-06-01T08:00", "2026-07-01T08:00"]),
    (
        "cron(0/15 * * * ? *)",
        "UTC",
        "2026-05-13T09:07:30",
        {},
        ["2026-05-13T09:15", "2026-05-13T09:30", "2026-05-13T09:45", "2026-05-13T10:00"],
    ),
    (
        "cron(0/10 * ? * MON-FRI *)",
        "UTC",
        "2026-05-15T23:45",
        {},
        ["2026-05-15T23:50", "2026-05-18T00:00", "2026-05-18T00:10"],
    ),
    (
        "cron(0/5 8-17 ? * MON-FRI *)",
        "UTC",
        "2026-05-13T17:52",
        {},
        ["2026-05-13T17:55", "2026-05-14T08:00", "2026-05-14T08:05"],
    ),
    ("cron(0 9 ? * 2#1 *)", "UTC", "2026-05-13T09:00", {}, ["2026-06-01T09:00", "2026-07-06T09:00"]),
    ("cron(0 12 L * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-31T12:00", "2026-06-30T12:00"]),
    ("cron(0 12 L * ? *)", "UTC", "2026-02-01T00:00", {}, ["2026-02-28T12:00"]),
    ("cron(0 12 L * ? *)", "UTC", "2028-02-01T00:00", {}, ["2028-02-29T12:00"]),
    ("cron(0 12 ? * 6L *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-29T12:00", "2026-06-26T12:00"]),
    ("cron(0 12 15W * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-15T12:00", "2026-06-15T12:00"]),
    # Aug 15 2026 is a Saturday → Friday 14th; Nov 15 is a Sunday → Monday 16th.
    ("cron(0 12 15W * ? *)", "UTC", "2026-07-16T00:00", {}, ["2026-08-14T12:00", "2026-09-15T12:00"]),
    ("cron(0 12 15W * ? *)", "UTC", "2026-11-01T00:00", {}, ["2026-11-16T12:00"]),
    ("cron(0 12 * * ? 2030)", "UTC", "2026-05-13T09:00", {}, ["2030-01-01T12:00", "2030-01-02T12:00"]),
    ("cron(0 12 * * ? 2030)", "UTC", "2030-12-31T12:00", {}, []),
    # --- More of the grammar ---
    ("cron(0 9 LW * ? *)", "UTC", "2026-05-01T00:00", {}, ["2026-05-29T09:00", "2026-06-30T09:00"]),
    ("cron(0 9 L-2 * ? *)", "UTC", "2026-02-01T00:00", {}, ["2026-02-26T09:00", "2026-03-29T09:00"]),
    ("cron(0 9 1W * ? *)", "UTC", "2026-07-15T00:00", {}, ["2026-08-03T09:00"]),  # Sat 1st → Mon 3rd
    # 31W: April has no 31st; May 31 is a Sunday and the last day → Friday 29th; July 31 is a Friday.
    ("cron(0 9 31W * ? *)", "UTC", "2026-04-01T00:00", {}, ["2026-05-29T09:00", "2026-07-31T09:00"]),
    ("cron(0 9 ? * 2#5 *)", "UTC", "2026-04-01T00:00", {}, ["2026-06-29T09:00"]),  # first 5th Monday
    ("cron(0 9 ? * L *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-16T09:00"]),  # L alone = SAT
    ("cron(0 9 ? * 1,7 *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-16T09:00", "2026-05-17T09:00"]),
    ("cron(0 9 ? jan-mar mon *)", "UTC", "2026-05-13T09:00", {}, ["2027-01-04T09:00"]),
    (
        "cron(0 22-2 ? * FRI-MON *)",  # both ranges wrap
        "UTC",
        "2026-05-13T09:00",
        {},
        ["2026-05-15T00:00", "2026-05-15T01:00", "2026-05-15T02:00", "2026-05-15T22:00"],
    ),
    (
        "cron(10-50/20 * * * ? *)",
        "UTC",
        "2026-05-13T09:00",
        {},
        ["2026-05-13T09:10", "2026-05-13T09:30", "2026-05-13T09:50", "2026-05-13T10:10"],
    ),
    ("cron(*/20 * * * ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-05-13T09:20", "2026-05-13T09:40"]),
    ("cron(0 0 1 1/4 ? *)", "UTC", "2026-05-13T09:00", {}, ["2026-09-01T00:00", "2027-01-01T00:00"]),
    (
        "cron(0 0 1 1 ? 2028-2032/2)",
        "UTC",
        "2026-05-13T09:00",
        {},
        ["2028-01-01T00:00", "2030-01-01T00:00", "2032-01-01T00:00"],
    ),
    ("cron(0 0 30 2 ? *)", "UTC", "2026-05-13T09:00", {}, []),  # February 30th never comes
    ("cron(0 12 * * ? 2199)", "UTC", "2026-05-13T09:00", {}, ["2199-01-01T12:00"]),
    # --- Other time zones ---
    ("cron(0 10 * * ? *)", "America/New_York", "2026-05-13T09:00", {}, ["2026-05-13T14:00"]),
    ("cron(0 10 * * ? *)", "America/New_York", "2026-01-15T00:00", {}, ["2026-01-15T15:00"]),
    (
        "cron(0 18 ? * MON-FRI *)",
        "Europe/London",
        "2026-06-05T12:00",
        {},
        ["2026-06-05T17:00", "2026-06-08T17:00"],
    ),
    (
        "cron(0 18 ? * MON-FRI *)",
        "Europe/London",
        "2026-01-16T12:00",
        {},
        ["2026-01-16T18:00", "2026-01-19T18:00"],
    ),
    (
        "cron(0 10 * * ? *)",
        "Australia/Sydney",
        "2026-01-15T00:00",
        {},
        ["2026-01-15T23:00", "2026-01-16T23:00"],
    ),
    ("cron(0 10 * * ? *)", "Australia/Sydney", "2026-06-30T12:00", {}, ["2026-07-01T00:00"]),
    # --- DST: New York, spring forward (2026-03-08) ---
    (  # 02:30 does not exist on Mar 8: that day's run is skipped
        "cron(30 2 * * ? *)",
        "America/New_York",
        "2026-03-07T00:00",
        {},
        ["2026-03-07T07:30", "2026-03-09T06:30", "2026-03-10T06:30"],
    ),
    (
        "cron(30 1 * * ? *)",
        "America/New_York",
        "2026-03-07T00:00",
        {},
        ["2026-03-07T06:30", "2026-03-08T06:30", "2026-03-09T05:30"],
    ),
    (  # 01:45 EST is followed directly by 03:00 EDT
        "cron(0/15 * * * ? *)",
        "America/New_York",
        "2026-03-08T06:40",
        {},
        ["2026-03-08T06:45", "2026-03-08T07:00", "2026-03-08T07:15"],
    ),
    # --- DST: New York, fall back (2026-11-01) ---
    (  # 01:30 happens twice on Nov 1: the schedule runs once, at the first (EDT) one
        "cron(30 1 * * ? *)",
        "America/New_York",
        "2026-10-31T00:00",
        {},
        ["2026-10-31T05:30", "2026-11-01T05:30", "2026-11-02T06:30"],
    ),
    (
        "cron(30 2 * * ? *)",
        "America/New_York",
        "2026-10-31T00:00",
        {},
        ["2026-10-31T06:30", "2026-11-01T07:30", "2026-11-02T07:30"],
    ),
    (  # asked during the second 01:xx hour (EST), 01:30 has already run today
        "cron(30 1 * * ? *)",
        "America/New_York",
        "2026-11-01T06:10",
        {},
        ["2026-11-02T06:30"],
    ),
    (  # the repeated 01:00-01:59 does not fire again
        "cron(0/15 * * * ? *)",
        "America/New_York",
        "2026-11-01T05:40",
        {},
        ["2026-11-01T05:45", "2026-11-01T07:00", "2026-11-01T07:15"],
    ),
    # --- DST elsewhere ---
    ("cron(30 1 * * ? *)", "Europe/London", "2026-03-28T12:00", {}, ["2026-03-30T00:30"]),
    ("cron(30 1 * * ? *)", "Europe/London", "2026-10-24T12:00", {}, ["2026-10-25T00:30", "2026-10-26T01:30"]),
    (
        "cron(30 2 * * ? *)",
        "Australia/Sydney",
        "2026-04-04T00:00",
        {},
        ["2026-04-04T15:30", "2026-04-05T16:30"],
    ),
    ("cron(30 2 * * ? *)", "Australia/Sydney", "2026-10-03T00:00", {}, ["2026-10-04T15:30"]),
    # --- StartDate (inclusive) and EndDate (exclusive) ---
    ("cron(0 10 * * ? *)", "UTC", "2026-05-13T09:00", {"start": "2026-06-01T10:00"}, ["2026-06-01T10:00"]),
    (
        "cron(0 10 * * ? *)",
        "UTC",
        "2026-05-13T09:00",
        {"end": "2026-05-15T10:00"},
        ["2026-05-13T10:00", "2026-05-14T10:00"],
    ),
    # --- rate(): anchor (creation time) or StartDate + n * interval; the time zone plays no part ---
    (
        "rate(5 minutes)",
        "UTC",
        "2026-05-13T09:10",
        {"anchor": "2026-05-13T09:02"},
        ["2026-05-13T09:12", "2026-05-13T09:17"],
    ),
    (  # the first fire is the anchor itself
        "rate(5 minutes)",
        "UTC",
        "2026-05-13T09:00",
        {"anchor": "2026-05-13T09:02"},
        ["2026-05-13T09:02", "2026-05-13T09:07"],
    ),
    (
        "rate(1 hour)",
        "America/New_York",
        "2026-05-13T09:00",
        {"start": "2026-05-13T08:30", "anchor": "2026-01-01T00:07"},
        ["2026-05-13T09:30", "2026-05-13T10:30"],
    ),
    (  # a day is 24 hours across the spring-forward night: 07:00 EST, then 08:00 EDT local
        "rate(1 day)",
        "America/New_York",
        "2026-03-07T12:00",
        {"anchor": "2026-03-07T12:00"},
        ["2026-03-08T12:00", "2026-03-09T12:00"],
    ),
    (
        "rate(1 day)",
        "UTC",
        "2026-05-13T09:00",
        {"anchor": "2026-05-10T06:00", "end": "2026-05-16T06:00"},
        ["2026-05-14T06:00", "2026-05-15T06:00"],
    ),
    # --- at(): wall time in the schedule's zone; fires once; ignores StartDate/EndDate ---
    ("at(2026-07-04T09:00:00)", "America/New_York", "2026-05-13T09:00", {}, ["2026-07-04T13:00"]),
    ("at(2026-12-25T08:00:00)", "Australia/Sydney", "2026-05-13T09:00", {}, ["2026-12-24T21:00"]),
    ("at(2026-07-04T09:00:00)", "UTC", "2026-07-04T09:00", {}, []),  # strictly after
    (
        "at(2026-07-04T09:00:00)",
        "UTC",
        "2026-05-13T09:00",
        {"start": "2026-08-01T00:00", "end": "2026-06-01T00:00"},
        ["2026-07-04T09:00"],
    ),
    # A skipped wall time fires where it lands with the pre-jump offset (03:30 EDT); a repeated one once.
    ("at(2026-03-08T02:30:00)", "America/New_York", "2026-03-01T00:00", {}, ["2026-03-08T07:30"]),
    ("at(2026-11-01T01:30:00)", "America/New_York", "2026-10-01T00:00", {}, ["2026-11-01T05:30"]),
]


@pytest.mark.parametrize(
    ("expression", "tz", "after", "bounds", "expected"),
    CONFORMANCE,
    ids=[f"{row[0]}@{row[1]}>{row[2]}" for row in CONFORMANCE],
)
def test_conformance(expression, tz, after, bounds, expected):
    asked = len(expected) + 1  # one more than expected, so an unexpected extra fire is caught
    fires = successive_fires(expression, tz, after, asked, **bounds)
    if len(fires) == asked:
        fires = fires[:-1]
        assert len(expected) == len(fires), f"{expression} kept firing after {expected}"
    assert fires == [utc(e) for e in expected]


# (expression, fragment of the error message)
REJECTED = [
    ("", "schedule expression is empty"),
    ("   ", "schedule expression is empty"),
    ("x" * 257, "the maximum is 256"),
    ("every day", "must be cron(...), rate(...) or at(...)"),
    ("cron 0 12 * * ? *", "must be cron(...), rate(...) or at(...)"),
    ("CRON(0 12 * * ? *)", "must be cron(...), rate(...) or at(...)"),
    ("cron(0 12 * * ? *", "must be cron(...), rate(...) or at(...)"),
    ("cron(0 12 * * ?)", "cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"),
    (
        "cron(0 12 * * ? * *)",
        "cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got 7",
    ),
    ("cron()", "got 0"),
    ("cron(0 12 * * * *)", "day-of-month and day-of-week cannot both be specified; use ? in one of them"),
    ("cron(0 12 1 * MON *)", "day-of-month and day-of-week cannot both be specified; use ? in one of them"),
    ("cron(0 12 ? * ? *)", "day-of-month and day-of-week cannot both be ?"),
    ("cron(60 12 * * ? *)", "minutes value 60 is out of range 0-59"),
    ("cron(0 24 * * ? *)", "hours value 24 is out of range 0-23"),
    ("cron(0 12 32 * ? *)", "day-of-month value 32 is out of range 1-31"),
    ("cron(0 12 0 * ? *)", "day-of-month value 0 is out of range 1-31"),
    ("cron(0 12 * 13 ? *)", "month value 13 is out of range 1-12 or JAN-DEC"),
    ("cron(0 12 ? * 8 *)", "day-of-week value 8 is out of range 1-7 or SUN-SAT"),
    ("cron(0 12 ? * 0 *)", "day-of-week value 0 is out of range 1-7 or SUN-SAT"),
    ("cron(0 12 * * ? 1969)", "year value 1969 is out of range 1970-2199"),
    ("cron(0 12 * * ? 2200)", "year value 2200 is out of range 1970-2199"),
    ("cron(0 12 * * ? 2030-2025)", "year range '2030-2025' runs backwards"),
    ("cron(every tuesday-ish * * ? *)", "invalid minutes value 'every'"),
    ("cron(0 12 * FOO ? *)", "invalid month value 'FOO' (expected 1-12 or JAN-DEC)"),
    ("cron(0 12 ? * FUNDAY *)", "invalid day-of-week value 'FUNDAY'"),
    ("cron(0 ? * * ? *)", "? is only allowed in day-of-month or day-of-week, not in hours"),
    ("cron(0 12 ?,1 * ? *)", "? must be the whole day-of-month field"),
    ("cron(0 12 1#2 * ? *)", "# is only allowed in day-of-week"),
    ("cron(0 12 ? * 2W *)", "W is only allowed in day-of-month"),
    ("cron(0 12 ? * 3#1,6#3 *)", "only one # expression is allowed"),
    ("cron(0 12 ? * 3#6 *)", "must be between 1 and 5"),
    ("cron(0 12 ? * 9#2 *)", "day-of-week value 9 is out of range"),
    ("cron(0 12 L,15 * ? *)", "L and W must stand alone"),
    ("cron(0 12 1-15W * ? *)", "L and W must stand alone"),
    ("cron(0 12 32W * ? *)", "day-of-month value 32 is out of range 1-31"),
    ("cron(0 12 L-31 * ? *)", "must be between 1 and 30"),
    ("cron(0 12 ? * MON,L *)", "L must stand alone"),
    ("cron(0/0 12 * * ? *)", "minutes step 0 in '0/0' must be between 1 and 60"),
    ("cron(0/x 12 * * ? *)", "invalid step 'x'"),
    ("cron(0,,5 12 * * ? *)", "empty entry in minutes"),
    ("rate(5 minute)", "use the plural unit 'minutes' when the value is greater than 1"),
    ("rate(1 hours)", "use the singular unit 'hour' when the value is 1"),
    ("rate(1 days)", "use the singular unit 'day' when the value is 1"),
    ("rate(0 minutes)", "value must be a positive integer"),
    ("rate(-5 minutes)", "value must be a positive integer"),
    ("rate(1.5 hours)", "value must be a positive integer"),
    ("rate(5 weeks)", "rate(): unit must be minute, minutes, hour, hours, day or days"),
    ("rate(5 Minutes)", "rate(): unit must be minute, minutes, hour, hours, day or days"),
    ("rate(5)", "rate(): expected rate(value unit)"),
    ("rate(5 minutes please)", "rate(): expected rate(value unit)"),
    ("rate(999999999999 days)", "is too large"),
    ("at(2026-07-04 09:00:00)", "at(): expected yyyy-mm-ddThh:mm:ss"),
    ("at(2026-07-04T09:00)", "at(): expected yyyy-mm-ddThh:mm:ss"),
    ("at(2026-07-04T09:00:00Z)", "at(): expected yyyy-mm-ddThh:mm:ss"),
    ("at(2026-02-30T09:00:00)", "at(): 2026-02-30T09:00:00 is not a real date and time"),
    ("at(2026-07-04T24:00:00)", "is not a real date and time"),
]


@pytest.mark.parametrize(("expression", "fragment"), REJECTED, ids=[row[0][:40] for row in REJECTED])
def test_rejected(expression, fragment):
    with pytest.raises(InvalidScheduleExpression) as caught:
        parse_expression(expression)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers may catch ValueError → HTTP 400


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 12 * * ? *)",
        "  cron(30 5 * * ? *)  ",
        "cron(0 9 ? * MON-FRI *)",
        "cron(0 9 ? * mon-fri *)",
        "cron(0 12 LW * ? *)",
        "cron(0 12 ? * FRIL *)",
        "cron(0 12 ? * TUE#2 *)",
        "cron(0 12 ? * 2/2 *)",
        "cron(0 12 ? JAN,JUL * 2026,2028)",
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(2 hours)",
        "rate(7 days)",
        "at(2030-01-01T00:00:00)",
    ],
)
def test_accepted(expression):
    parsed = parse_expression(expression)
    assert str(parsed) == expression.strip()


def test_parsed_shapes():
    cron = parse_expression("cron(0 12 * * ? *)")
    rate = parse_expression("rate(2 hours)")
    at = parse_expression("at(2030-01-01T00:00:00)")
    assert isinstance(cron, CronExpression) and cron.kind == "cron" and cron.recurring
    assert isinstance(rate, RateExpression) and rate.interval == timedelta(hours=2) and rate.recurring
    assert isinstance(at, AtExpression) and at.wall == datetime(2030, 1, 1) and not at.recurring
    assert at.instant("Asia/Kolkata") == utc("2029-12-31T18:30")


def test_rate_needs_start_or_anchor():
    with pytest.raises(ValueError, match="start or anchor"):
        parse_expression("rate(5 minutes)").next_fire(utc("2026-05-13T09:00"), "UTC")


def test_times_must_be_timezone_aware():
    expr = parse_expression("cron(0 12 * * ? *)")
    with pytest.raises(ValueError, match="timezone-aware"):
        expr.next_fire(datetime(2026, 5, 13, 9), "UTC")
    with pytest.raises(ValueError, match="end must be a timezone-aware datetime"):
        expr.fire_times(utc("2026-05-13T09:00"), None, "UTC", end=datetime(2026, 6, 1))  # checked eagerly


def test_timezones():
    assert resolve_timezone("Europe/London") == ZoneInfo("Europe/London")
    assert resolve_timezone(UTC) is UTC
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "x" * 51):
        with pytest.raises(InvalidTimezone):
            resolve_timezone(bad)
    with pytest.raises(InvalidTimezone, match="unknown timezone 'Mars/Olympus'"):
        parse_expression("cron(0 12 * * ? *)").next_fire(utc("2026-05-13T09:00"), "Mars/Olympus")


def test_results_are_utc_whatever_zone_after_is_in():
    after = datetime(2026, 5, 13, 5, 0, tzinfo=ZoneInfo("America/New_York"))  # 09:00Z
    fire = parse_expression("cron(0 10 * * ? *)").next_fire(after, "UTC")
    assert fire == utc("2026-05-13T10:00") and fire.tzinfo is UTC


def test_fire_times_matches_chained_next_fire_and_bounds():
    expr = parse_expression("cron(0/10 8-9 ? * MON-FRI *)")
    window = list(expr.fire_times(utc("2026-05-15T08:00"), utc("2026-05-18T09:00"), "UTC"))
    assert window[0] == utc("2026-05-15T08:10")  # strictly after `after`
    assert window[-1] == utc("2026-05-18T09:00")  # `until` is inclusive
    assert window == successive_fires("cron(0/10 8-9 ? * MON-FRI *)", "UTC", "2026-05-15T08:00", len(window))
    assert len(window) == 11 + 7


def test_a_month_of_minutes_across_spring_forward():
    # Every minute of March 2026 in New York, minus the 60 that do not exist on the 8th.
    expr = parse_expression("cron(* * * * ? *)")
    zone = ZoneInfo("America/New_York")
    first = datetime(2026, 3, 1, tzinfo=zone)
    last = datetime(2026, 3, 31, 23, 59, tzinfo=zone)
    fires = list(expr.fire_times(first - timedelta(seconds=1), last, zone))
    assert len(fires) == 31 * 24 * 60 - 60
    assert all(b - a == timedelta(minutes=1) for a, b in zip(fires, fires[1:], strict=False))


def test_far_future_yearly_schedule_is_cheap():
    # Leap-day schedule in a single far year: found by skipping years/months, not scanning minutes.
    expr = parse_expression("cron(0 0 29 FEB ? 2196)")
    assert expr.next_fire(utc("1970-01-01T00:00"), "UTC") == utc("2196-02-29T00:00")


def test_wall_to_instant_reports_gaps_and_first_of_repeats():
    ny = ZoneInfo("America/New_York")
    assert wall_to_instant(datetime(2026, 3, 8, 2, 30), ny) == (utc("2026-03-08T07:30"), False)
    assert wall_to_instant(datetime(2026, 11, 1, 1, 30), ny) == (utc("2026-11-01T05:30"), True)
    assert wall_to_instant(datetime(2026, 7, 1, 12, 0), ny) == (utc("2026-07-01T16:00"), True)


# ---------------------------------------------------------------------------------------------------
# Property: next_fire is the first minute after `after` whose (first-occurrence) local time matches.

_MINUTES = ["*", "0", "59", "0/15", "*/7", "5-10", "10-50/20", "0,30"]
_HOURS = ["*", "0", "2", "1-3", "*/6", "22-2", "9,17"]
_DAYS = [
    ("*", "?"),
    ("?", "*"),
    ("L", "?"),
    ("15W", "?"),
    ("LW", "?"),
    ("1,15", "?"),
    ("?", "MON-FRI"),
    ("?", "6L"),
    ("?", "2#1"),
    ("?", "L"),
    ("?", "SUN"),
]
_MONTHS = ["*", "JAN-MAR", "*/2", "11-2"]
_ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]
_SCAN = timedelta(days=2)


@settings(max_examples=60, deadline=None, database=None)
@given(
    minutes=st.sampled_from(_MINUTES),
    hours=st.sampled_from(_HOURS),
    days=st.sampled_from(_DAYS),
    months=st.sampled_from(_MONTHS),
    zone_name=st.sampled_from(_ZONES),
    after=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
)
def test_next_fire_is_the_first_matching_minute(minutes, hours, days, months, zone_name, after):
    expr = parse_expression(f"cron({minutes} {hours} {days[0]} {months} {days[1]} *)")
    assert isinstance(expr, CronExpression)
    zone = ZoneInfo(zone_name)
    fire = expr.next_fire(after, zone_name)
    assert fire is not None and fire > after and fire.second == 0 and fire.microsecond == 0
    local = fire.astimezone(zone)
    assert expr.spec.matches(local.replace(tzinfo=None))
    assert local.fold == 0  # a repeated wall time fires at its first occurrence only

    # Brute force: no earlier UTC minute has a first-occurrence local time that matches.
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < min(fire, after + _SCAN):
        wall = minute.astimezone(zone)
        assert wall.fold == 1 or not expr.spec.matches(wall.replace(tzinfo=None)), minute
        minute += timedelta(minutes=1)
