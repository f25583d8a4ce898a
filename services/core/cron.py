"""The six-field AWS cron() grammar and its wall-clock calendar arithmetic.

This module knows nothing about time zones: it parses the inside of ``cron(...)`` into a
:class:`CronSpec` and enumerates the *local wall-clock* minutes that the spec selects. Converting
those wall times to instants (and the daylight-saving rules that go with it) is the job of
:mod:`services.core.schedule_expression`, which is the public entry point.

Grammar, as documented in the EventBridge cron reference
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html):

============  ===================  =================
Field         Values               Wildcards
============  ===================  =================
Minutes       0-59                 , - * /
Hours         0-23                 , - * /
Day-of-month  1-31                 , - * ? / L W
Month         1-12 or JAN-DEC      , - * /
Day-of-week   1-7 or SUN-SAT       , - * ? L #
Year          1970-2199            , - * /
============  ===================  =================

AWS's cron is the Quartz ``CronExpression`` dialect without the seconds field, so where the AWS page
is silent this module follows Quartz: ``a/n`` runs from ``a`` to the field maximum, ranges on cyclic
fields may wrap (``FRI-MON``, ``22-2``), ``L-n`` is "n days before the last day", ``LW`` is the last
weekday of the month, ``nL`` in day-of-week is "the last <n>-day of the month", and the ``L``/``W``/
``#`` forms must stand alone in their field. ``/`` is accepted in day-of-week as Quartz does, even
though the AWS table omits it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

FIELD_ORDER = "minutes hours day-of-month month day-of-week year"
YEAR_MIN, YEAR_MAX = 1970, 2199

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # AWS numbers them 1-7 from SUN
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {name: number for number, name in enumerate(_WEEKDAY_NAMES, 1)}
_DIGITS = re.compile(r"[0-9]+")


class CronSyntaxError(ValueError):
    """A cron() body that AWS would reject; the message is ready to show to a user."""


@dataclass(frozen=True)
class _Field:
    """Value domain of one cron field."""

    name: str
    lo: int
    hi: int
    names: Mapping[str, int] | None = None
    cyclic: bool = True  # ranges may wrap (FRI-MON); years are not cyclic

    @property
    def size(self) -> int:
        return self.hi - self.lo + 1

    @property
    def expected(self) -> str:
        if self.names:
            first, last = list(self.names)[0], list(self.names)[-1]
            return f"{self.lo}-{self.hi} or {first}-{last}"
        return f"{self.lo}-{self.hi}"


MINUTES = _Field("minutes", 0, 59)
HOURS = _Field("hours", 0, 23)
DAY_OF_MONTH = _Field("day-of-month", 1, 31)
MONTH = _Field("month", 1, 12, _MONTHS)
DAY_OF_WEEK = _Field("day-of-week", 1, 7, _WEEKDAYS)
YEAR = _Field("year", YEAR_MIN, YEAR_MAX, cyclic=False)


def _fail(message: str) -> CronSyntaxError:
    return CronSyntaxError(f"cron(): {message}")


def _value(token: str, field: _Field) -> int:
    """One number or name, range-checked."""
    if field.names and token.upper() in field.names:
        return field.names[token.upper()]
    if not _DIGITS.fullmatch(token):
        raise _fail(f"invalid {field.name} value {token!r} (expected {field.expected})")
    value = int(token)
    if not field.lo <= value <= field.hi:
        raise _fail(f"{field.name} value {value} is out of range {field.expected}")
    return value


def _walk(lo: int, hi: int, step: int, field: _Field) -> list[int]:
    """Values from lo to hi inclusive, every step-th; wraps past the field maximum when hi < lo."""
    if lo <= hi:
        return list(range(lo, hi + 1, step))
    cycle = list(range(lo, field.hi + 1)) + list(range(field.lo, hi + 1))
    return cycle[::step]


def _item(item: str, field: _Field) -> list[int]:
    """Expand one comma-separated entry: ``*``, ``v``, ``a-b``, each optionally ``/step``."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not _DIGITS.fullmatch(step_text):
            raise _fail(f"invalid step {step_text!r} in {field.name} {item!r}")
        step = int(step_text)
        if not 1 <= step <= field.size:
            raise _fail(f"{field.name} step {step} in {item!r} must be between 1 and {field.size}")
    if base == "*":
        return _walk(field.lo, field.hi, step, field)
    if "-" in base:
        first, _, last = base.partition("-")
        lo, hi = _value(first, field), _value(last, field)
        if hi < lo and not field.cyclic:
            raise _fail(f"{field.name} range {base!r} runs backwards")
        return _walk(lo, hi, step, field)
    lo = _value(base, field)
    # Quartz: "5/15" means "from 5, every 15, up to the field maximum".
    return _walk(lo, field.hi if slash else lo, step, field)


def _plain(text: str, field: _Field) -> tuple[int, ...]:
    """A field made only of lists, ranges, steps and ``*``; returned sorted and de-duplicated."""
    if "?" in text:
        raise _fail(f"? is only allowed in day-of-month or day-of-week, not in {field.name}")
    if "#" in text:
        raise _fail(f"# is only allowed in day-of-week, not in {field.name}")
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _fail(f"empty entry in {field.name} {text!r}")
        values.update(_item(item, field))
    return tuple(sorted(values))


def aws_weekday(year: int, month: int, day: int) -> int:
    """AWS day-of-week number of a date: 1=SUN ... 7=SAT (Python's Monday=0 shifted)."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


@dataclass(frozen=True)
class DayOfMonth:
    """The day-of-month field. Exactly one of the selectors is in use (``?`` → ``any``)."""

    any: bool = False
    days: tuple[int, ...] = ()
    last_offset: int | None = None  # L → 0, L-3 → 3
    last_weekday: bool = False  # LW
    nearest_weekday: int | None = None  # 15W

    def days_in(self, year: int, month: int) -> list[int]:
        """Days of this month the field selects, ascending."""
        ndays = calendar.monthrange(year, month)[1]
        if self.last_offset is not None:
            day = ndays - self.last_offset
            return [day] if day >= 1 else []
        if self.last_weekday:
            day = ndays
            while aws_weekday(year, month, day) in (1, 7):
                day -= 1
            return [day]
        if self.nearest_weekday is not None:
            return _nearest_weekday(year, month, self.nearest_weekday, ndays)
        return [d for d in self.days if d <= ndays]


def _nearest_weekday(year: int, month: int, day: int, ndays: int) -> list[int]:
    """Quartz ``nW``: the Mon-Fri day nearest to ``day`` without leaving the month.

    A Saturday moves to Friday (or to Monday the 3rd when it is the 1st); a Sunday moves to Monday
    (or to Friday when it is the last day). A day the month does not have selects nothing, the same
    as a plain ``31`` in April.
    """
    if day > ndays:
        return []
    dow = aws_weekday(year, month, day)
    if dow == 7:
        return [3 if day == 1 else day - 1]
    if dow == 1:
        return [day - 2 if day == ndays else day + 1]
    return [day]


@dataclass(frozen=True)
class DayOfWeek:
    """The day-of-week field, in AWS numbering (1=SUN ... 7=SAT)."""

    any: bool = False
    days: tuple[int, ...] = ()
    last_of: int | None = None  # 6L → last Friday of the month
    nth: tuple[int, int] | None = None  # 3#2 → (3, 2): second Tuesday

    def days_in(self, year: int, month: int) -> list[int]:
        """Days of this month the field selects, ascending."""
        ndays = calendar.monthrange(year, month)[1]
        first_dow = aws_weekday(year, month, 1)
        if self.last_of is not None:
            last_dow = aws_weekday(year, month, ndays)
            return [ndays - (last_dow - self.last_of) % 7]
        if self.nth is not None:
            weekday, k = self.nth
            day = 1 + (weekday - first_dow) % 7 + 7 * (k - 1)
            return [day] if day <= ndays else []
        return [d for d in range(1, ndays + 1) if (first_dow + d - 2) % 7 + 1 in self.days]


def _day_of_month(text: str) -> DayOfMonth:
    upper = text.upper()
    if upper == "?":
        return DayOfMonth(any=True)
    if "?" in upper:
        raise _fail("? must be the whole day-of-month field")
    if "#" in upper:
        raise _fail("# is only allowed in day-of-week, not in day-of-month")
    if upper == "L":
        return DayOfMonth(last_offset=0)
    if upper == "LW":
        return DayOfMonth(last_weekday=True)
    if match := re.fullmatch(r"L-([0-9]+)", upper):
        offset = int(match[1])
        if not 1 <= offset <= 30:
            raise _fail(f"day-of-month offset in {text!r} must be between 1 and 30")
        return DayOfMonth(last_offset=offset)
    if match := re.fullmatch(r"([0-9]+)W", upper):
        return DayOfMonth(nearest_weekday=_value(match[1], DAY_OF_MONTH))
    if "L" in upper or "W" in upper:
        raise _fail(
            f"day-of-month {text!r}: L and W must stand alone (L, L-3, LW or a single day such as 15W), "
            "not inside a list or range"
        )
    return DayOfMonth(days=_plain(text, DAY_OF_MONTH))


def _day_of_week(text: str) -> DayOfWeek:
    upper = text.upper()
    if upper == "?":
        return DayOfWeek(any=True)
    if "?" in upper:
        raise _fail("? must be the whole day-of-week field")
    if "W" in upper.replace("WED", ""):
        raise _fail("W is only allowed in day-of-month, not in day-of-week")
    if "#" in upper:
        # AWS: "If you use the '#' character, you can define only one expression in the
        # day-of-week field. For example, "3#1,6#3" is not valid."
        if "," in upper:
            raise _fail(f"day-of-week {text!r}: only one # expression is allowed (e.g. 3#2), not a list")
        match = re.fullmatch(r"([0-9A-Z]+)#([0-9]+)", upper)
        if not match:
            raise _fail(f"invalid day-of-week {text!r} (expected weekday#n, e.g. 3#2 or TUE#2)")
        k = int(match[2])
        if not 1 <= k <= 5:
            raise _fail(f"day-of-week {text!r}: the week number after # must be between 1 and 5")
        return DayOfWeek(nth=(_value(match[1], DAY_OF_WEEK), k))
    if upper == "L":  # Quartz/AWS: L alone in day-of-week is the last day of the week, SAT (7)
        return DayOfWeek(days=(7,))
    if match := re.fullmatch(r"([0-9A-Z]+)L", upper):
        return DayOfWeek(last_of=_value(match[1], DAY_OF_WEEK))
    if "L" in upper:
        raise _fail(f"day-of-week {text!r}: L must stand alone (L or e.g. 6L), not inside a list or range")
    return DayOfWeek(days=_plain(text, DAY_OF_WEEK))


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron() body. Plain fields are sorted tuples of the values they select."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: DayOfMonth
    months: tuple[int, ...]
    day_of_week: DayOfWeek
    years: tuple[int, ...]

    def days(self, year: int, month: int) -> list[int]:
        """Days of the given month selected by whichever day field is not ``?``."""
        if self.day_of_month.any:
            return self.day_of_week.days_in(year, month)
        return self.day_of_month.days_in(year, month)

    def matches(self, wall: datetime) -> bool:
        """Whether a wall-clock time (seconds ignored) is selected by every field."""
        return (
            wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and wall.year in self.years
            and wall.day in self.days(wall.year, wall.month)
        )

    def wall_times(self, start: datetime) -> Iterator[datetime]:
        """Naive wall-clock minutes selected by the spec, ascending, from ``start``'s minute on.

        Walks year → month → day → hour → minute over the selected values only, so a yearly schedule
        costs a handful of steps and an every-minute schedule costs one step per fire.
        """
        s = start.replace(tzinfo=None, second=0, microsecond=0)
        for year in self.years:
            if year < s.year:
                continue
            for month in self.months:
                if (year, month) < (s.year, s.month):
                    continue
                same_month = (year, month) == (s.year, s.month)
                for day in self.days(year, month):
                    if same_month and day < s.day:
                        continue
                    same_day = same_month and day == s.day
                    for hour in self.hours:
                        if same_day and hour < s.hour:
                            continue
                        same_hour = same_day and hour == s.hour
                        for minute in self.minutes:
                            if same_hour and minute < s.minute:
                                continue
                            yield datetime(year, month, day, hour, minute)


def parse_cron(body: str) -> CronSpec:
    """Parse the text between ``cron(`` and ``)``; raise :class:`CronSyntaxError` if AWS would not."""
    fields = body.split()
    if len(fields) != 6:
        raise CronSyntaxError(f"cron() needs 6 fields ({FIELD_ORDER}), got {len(fields)}")
    minutes, hours, dom_text, month, dow_text, year = fields
    spec = CronSpec(
        minutes=_plain(minutes, MINUTES),
        hours=_plain(hours, HOURS),
        day_of_month=_day_of_month(dom_text),
        months=_plain(month, MONTH),
        day_of_week=_day_of_week(dow_text),
        years=_plain(year, YEAR),
    )
    # AWS: "You can't specify the Day-of-month and Day-of-week fields in the same cron expression.
    # If you specify a value or a * (asterisk) in one of the fields, you must use a ? in the other."
    if spec.day_of_month.any and spec.day_of_week.any:
        raise _fail("day-of-month and day-of-week cannot both be ?; give a value in one of them")
    if not spec.day_of_month.any and not spec.day_of_week.any:
        raise _fail("day-of-month and day-of-week cannot both be specified; use ? in one of them")
    return spec
