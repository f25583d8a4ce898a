"""The console's next-fire computation: in the schedule's own timezone, across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime

from emulation.console.schedules import next_fires


def test_next_fires_are_shown_in_the_schedules_timezone_across_a_dst_change():
    # US daylight saving time ends on Sunday 2026-11-01: 07:00 EDT is 11:00 UTC, 07:00 EST is 12:00 UTC.
    fires = next_fires("cron(0 7 * * ? *)", "America/New_York", datetime(2026, 10, 30, 12, tzinfo=UTC), count=3)
    assert [f["local"] for f in fires] == ["Sat 2026-10-31 07:00 EDT", "Sun 2026-11-01 07:00 EST",
                                           "Mon 2026-11-02 07:00 EST"]
    assert [f["utc"] for f in fires] == ["2026-10-31T11:00:00+00:00", "2026-11-01T12:00:00+00:00",
                                         "2026-11-02T12:00:00+00:00"]


def test_rate_counts_from_its_anchor_and_an_end_date_stops_it():
    now = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    fires = next_fires("rate(30 minutes)", "UTC", now, anchor=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                       end=datetime(2026, 12, 1, 11, 15, tzinfo=UTC))
    assert [f["utc"][11:16] for f in fires] == ["10:30", "11:00"]


def test_a_bad_expression_or_timezone_has_no_next_fires():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert next_fires("every tuesday-ish", "UTC", now) == []
    assert next_fires("rate(1 hour)", "Mars/Olympus_Mons", now) == []
