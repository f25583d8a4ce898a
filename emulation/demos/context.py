"""Where a demo starts on the platform clock, its variables, and moving a recording to another start.

A demo always starts on a Monday at 00:00 UTC, later than the stack's clock (the platform clock
only moves forward). Two runs that start on different Mondays differ by whole weeks, so a
recording made on one is moved to the other by shifting its dates (``shift_dates``): weekdays and
times of day stay the same, and the replay compares like with like.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulation.demos.spec import Start

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# How the agent's tools and models write a day: "Tue Dec 8 2026", "Tue, Dec 8", "Dec 8".
_HUMAN = re.compile(r"\b(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(,?) )?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"(\d{1,2})(?:( )(\d{4}))?\b")
DAYS = 14


class DemoError(Exception):
    """A demo step did not show what it should (or could not run): the message says what."""


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def start_for(start: Start, now: datetime) -> datetime:
    """The demo's start: the first Monday 00:00 UTC from tomorrow (UTC) on, so always later than ``now``."""
    earliest = (now + timedelta(days=1)).astimezone(UTC).date()
    if start.rule == "next_monday":
        day = _monday_on_or_after(earliest)
    else:
        day = _week_before_dst_start(ZoneInfo(start.timezone or "America/New_York"), earliest)
    return datetime.combine(day, time(0), UTC)


def _week_before_dst_start(zone: ZoneInfo, earliest: date) -> date:
    """The Monday six days before the next day on which ``zone`` springs forward."""
    day = earliest + timedelta(days=6)
    for _ in range(800):
        before = datetime.combine(day - timedelta(days=1), time(12), UTC).astimezone(zone).utcoffset()
        after = datetime.combine(day, time(12), UTC).astimezone(zone).utcoffset()
        if after > before:
            monday = day - timedelta(days=6)
            if monday.weekday() == 0:
                return monday
        day += timedelta(days=1)
    raise DemoError(f"{zone.key} has no daylight saving change starting on a Sunday in the next two years")


class Variables(dict):
    """Demo variables; ``${name}`` in any string of a step is replaced by its value."""

    @classmethod
    def for_start(cls, start: datetime) -> Variables:
        found = cls(start=start.isoformat().replace("+00:00", "Z"))
        for n in range(DAYS):
            found[f"day{n}"] = (start + timedelta(days=n)).strftime("%Y-%m-%d")
        return found

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _VAR.fullmatch(value)
            if whole:
                return self._get(whole.group(1))
            return _VAR.sub(lambda m: str(self._get(m.group(1))), value)
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def _get(self, name: str) -> Any:
        if name not in self:
            raise DemoError(f"${{{name}}} is not set by an earlier step (known: {', '.join(sorted(self))})")
        return self[name]


def shift_dates(value: Any, days: int, around: date | None = None) -> Any:
    """Every day written in ``value`` (strings, recursively) moved by ``days`` days.

    ``YYYY-MM-DD`` and the human forms the tools write ("Tue Dec 8 2026", "Tue, Dec 8"); a day
    written without its year is taken in the year that puts it nearest ``around``.
    """
    if not days:
        return value
    if isinstance(value, str):
        return _HUMAN.sub(lambda m: _shift_human(m, days, around), _DATE.sub(lambda m: _shift_iso(m, days), value))
    if isinstance(value, dict):
        return {k: shift_dates(v, days, around) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, days, around) for v in value]
    return value


def _shift_iso(m: re.Match, days: int) -> str:
    try:
        return (date(int(m[1]), int(m[2]), int(m[3])) + timedelta(days=days)).isoformat()
    except ValueError:
        return m[0]


def _shift_human(m: re.Match, days: int, around: date | None) -> str:
    weekday, comma, month, day, space, year = m.groups()
    try:
        if year:
            found = date(int(year), _MONTHS.index(month) + 1, int(day))
        else:
            near = around or date.today()
            found = min((date(y, _MONTHS.index(month) + 1, int(day)) for y in (near.year - 1, near.year, near.year + 1)),
                        key=lambda d: abs((d - near).days))
    except ValueError:
        return m[0]
    moved = found + timedelta(days=days)
    text = f"{_MONTHS[moved.month - 1]} {moved.day}" + (f" {moved.year}" if year else "")
    return f"{_WEEKDAYS[moved.weekday()]}{comma} {text}" if weekday else text
