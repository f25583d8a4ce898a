"""Amazon EventBridge Scheduler schedule expressions: parse, validate and evaluate them.

Pure and dependency-free: no I/O and no clock reads. Every "now" is an argument, so the API can
reject a bad expression with a clear message and the local schedule engine can compute fire times
on a frozen or fast-forwarded clock.

* ``cron(minutes hours day-of-month month day-of-week year)`` — grammar in :mod:`services.core.cron`;
  evaluated on the wall clock of the schedule's IANA time zone.
* ``rate(value unit)`` — a fixed interval of elapsed time from the StartDate (or creation time).
* ``at(yyyy-mm-ddThh:mm:ss)`` — one wall-clock moment in the schedule's time zone.

Daylight saving time follows the EventBridge Scheduler user guide ("Daylight saving time on
EventBridge Scheduler", https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html,
and the AWS re:Post article "eventbridge-scheduler-adjust-dst"): a cron time that falls in the hour
skipped in spring does not run that day; a cron time in the hour repeated in autumn runs once, at
its first occurrence; a ``rate()`` is pure elapsed time (a day is 24 hours), so DST never moves it.

All datetimes in and out are timezone-aware; results are in UTC.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.core.cron import CronSpec, CronSyntaxError, parse_cron

# Length limits of the CreateSchedule API model (ScheduleExpression 1-256, ScheduleExpressionTimezone 1-50).
MAX_EXPRESSION_LENGTH = 256
MAX_TIMEZONE_LENGTH = 50

_RATE_UNITS = ("minute", "minutes", "hour", "hours", "day", "days")
_AT_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})")
_EXPRESSION = re.compile(r"(cron|rate|at)\((.*)\)", re.DOTALL)

TimezoneLike = str | tzinfo


class InvalidScheduleExpression(ValueError):
    """The expression is not one EventBridge Scheduler accepts; the message names the problem."""


class InvalidTimezone(ValueError):
    """The ScheduleExpressionTimezone is not a known IANA time zone name."""


def resolve_timezone(tz: TimezoneLike) -> tzinfo:
    """Return ``tz`` itself if it is a tzinfo, else load the IANA zone of that name."""
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str) or not 1 <= len(tz) <= MAX_TIMEZONE_LENGTH:
        raise InvalidTimezone(f"timezone must be an IANA name of 1-{MAX_TIMEZONE_LENGTH} characters")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(
            f"unknown timezone {tz!r} (expected an IANA name such as America/New_York)"
        ) from None


def wall_to_instant(wall: datetime, zone: tzinfo) -> tuple[datetime, bool]:
    """Map a naive wall-clock time in ``zone`` to a UTC instant.

    Returns ``(instant, exists)``. For a wall time the clocks show twice (autumn), the instant is the
    first showing. For one they skip (spring), ``exists`` is False and the instant is where the time
    lands when read with the pre-transition offset, i.e. pushed forward by the gap (02:30 → 03:30).
    """
    if wall.tzinfo is not None or wall.fold:  # (replace() is the hot spot of a long walk; skip if we can)
        wall = wall.replace(tzinfo=None, fold=0)
    before = zone.utcoffset(wall)
    after = zone.utcoffset(wall.replace(fold=1))
    if before is None or after is None:
        raise ValueError(f"time zone {zone!r} gives no UTC offset")
    # PEP 495: inside a gap fold=0 reads the pre-transition offset and fold=1 the post one, so a gap is
    # exactly where the fold=1 offset is the larger.
    return (wall - before).replace(tzinfo=UTC), after <= before


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class ScheduleExpression(ABC):
    """A parsed schedule expression. ``text`` is the expression as given (surrounding spaces removed)."""

    text: str

    kind: ClassVar[Literal["cron", "rate", "at"]]
    recurring: ClassVar[bool]

    def __str__(self) -> str:
        return self.text

    def next_fire(
        self,
        after: datetime,
        tz: TimezoneLike,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        anchor: datetime | None = None,
    ) -> datetime | None:
        """The first fire time strictly after ``after`` (UTC), or None if the schedule never fires again.

        ``start``/``end`` are the schedule's StartDate/EndDate: recurring fires happen at or after
        ``start`` and strictly before ``end``; one-time ``at()`` schedules ignore both, as AWS does.
        ``anchor`` is the creation time, which places ``rate()`` fires when there is no ``start``.
        """
        return next(self.fire_times(after, None, tz, start=start, end=end, anchor=anchor), None)

    def fire_times(
        self,
        after: datetime,
        until: datetime | None,
        tz: TimezoneLike,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        anchor: datetime | None = None,
    ) -> Iterator[datetime]:
        """Fire times ``t`` with ``after < t <= until`` (no upper bound if ``until`` is None), ascending.

        Arguments as for :meth:`next_fire`; they are checked now, not on first iteration.
        """
        after_utc = _utc(after, "after")
        until_utc = _utc(until, "until")
        fires = self._fires(
            after_utc, resolve_timezone(tz), _utc(start, "start"), _utc(end, "end"), _utc(anchor, "anchor")
        )
        return fires if until_utc is None else _until(fires, until_utc)

    @abstractmethod
    def _fires(
        self,
        after: datetime,
        zone: tzinfo,
        start: datetime | None,
        end: datetime | None,
        anchor: datetime | None,
    ) -> Iterator[datetime]:
        """All fires strictly after ``after``, ascending; arguments are already UTC."""


def _until(fires: Iterator[datetime], until: datetime) -> Iterator[datetime]:
    for fire in fires:
        if fire > until:
            return
        yield fire


@dataclass(frozen=True)
class CronExpression(ScheduleExpression):
    """``cron(...)``: fires at every wall-clock minute the six fields select, in the schedule's zone."""

    spec: CronSpec

    kind: ClassVar[Literal["cron"]] = "cron"
    recurring: ClassVar[bool] = True

    def _fires(
        self,
        after: datetime,
        zone: tzinfo,
        start: datetime | None,
        end: datetime | None,
        anchor: datetime | None,
    ) -> Iterator[datetime]:
        # Anchor only places rate() fires.
        # Fires must be > after and >= start; express both as one exclusive lower bound.
        lower = after if start is None or start <= after else start - timedelta(microseconds=1)
        return self._walk(lower, zone, end)

    def _walk(self, lower: datetime, zone: tzinfo, end: datetime | None) -> Iterator[datetime]:
        # Walk wall times from the wall clock at `lower`. Mapping each existing wall time to its first
        # instant is strictly increasing, so no earlier wall time can map past `lower`; wall times in
        # the repeated autumn hour can map before it and are simply passed over.
        for wall in self.spec.wall_times(lower.astimezone(zone)):
            instant, exists = wall_to_instant(wall, zone)
            if not exists:
                continue  # in the hour skipped in spring: AWS skips the invocation
            if instant <= lower:
                continue
            if end is not None and instant >= end:
                return
            yield instant


@dataclass(frozen=True)
class RateExpression(ScheduleExpression):
    """``rate(value unit)``: fires at ``origin + n * interval`` for n = 0, 1, 2, ...

    The origin is the StartDate, or the creation time (``anchor``) when there is none: AWS starts a
    rate schedule at its StartDate, or immediately when it has none. The time zone plays no part.
    """

    value: int
    unit: str

    kind: ClassVar[Literal["rate"]] = "rate"
    recurring: ClassVar[bool] = True

    @property
    def interval(self) -> timedelta:
        return _rate_interval(self.value, self.unit)

    def _fires(
        self,
        after: datetime,
        zone: tzinfo,
        start: datetime | None,
        end: datetime | None,
        anchor: datetime | None,
    ) -> Iterator[datetime]:
        # The zone plays no part in rate().
        origin = start if start is not None else anchor
        if origin is None:
            raise ValueError("rate() fires are counted from start or anchor (creation time); pass one")
        return self._walk(origin, after, end)

    def _walk(self, origin: datetime, after: datetime, end: datetime | None) -> Iterator[datetime]:
        interval = self.interval
        n = 0 if after < origin else (after - origin) // interval + 1
        try:
            fire = origin + n * interval
            while end is None or fire < end:
                yield fire
                fire += interval
        except OverflowError:  # past datetime.max: the schedule has nothing left to fire
            return


@dataclass(frozen=True)
class AtExpression(ScheduleExpression):
    """``at(...)``: fires once, when the schedule's zone shows ``wall`` (a naive datetime).

    A wall time skipped by DST fires when that local time would have been, read with the offset in
    force before the jump (02:30 → 03:30); a repeated one fires at its first occurrence. (AWS does not
    document this case; this is what java.time and PEP 495 both do.)
    """

    wall: datetime

    kind: ClassVar[Literal["at"]] = "at"
    recurring: ClassVar[bool] = False

    def instant(self, tz: TimezoneLike) -> datetime:
        """The UTC instant this one-time schedule fires at in time zone ``tz``."""
        return wall_to_instant(self.wall, resolve_timezone(tz))[0]

    def _fires(
        self,
        after: datetime,
        zone: tzinfo,
        start: datetime | None,
        end: datetime | None,
        anchor: datetime | None,
    ) -> Iterator[datetime]:
        # AWS ignores Start/EndDate for at().
        instant = wall_to_instant(self.wall, zone)[0]
        return iter([instant] if instant > after else [])


def _rate_interval(value: int, unit: str) -> timedelta:
    plural = unit if unit.endswith("s") else unit + "s"
    return timedelta(**{plural: value})


def _parse_rate(text: str, body: str) -> RateExpression:
    parts = body.split()
    if len(parts) != 2:
        raise InvalidScheduleExpression("rate(): expected rate(value unit), e.g. rate(5 minutes)")
    value_text, unit = parts
    if not re.fullmatch(r"[0-9]+", value_text) or int(value_text) < 1:
        raise InvalidScheduleExpression(f"rate(): value must be a positive integer, got {value_text!r}")
    value = int(value_text)
    if unit not in _RATE_UNITS:
        raise InvalidScheduleExpression(
            f"rate(): unit must be minute, minutes, hour, hours, day or days, got {unit!r}"
        )
    # EventBridge: "If the value is equal to 1, then the unit must be singular. If the value is
    # greater than 1, the unit must be plural."
    if value == 1 and unit.endswith("s"):
        raise InvalidScheduleExpression(f"rate(): use the singular unit '{unit[:-1]}' when the value is 1")
    if value > 1 and not unit.endswith("s"):
        raise InvalidScheduleExpression(
            f"rate(): use the plural unit '{unit}s' when the value is greater than 1"
        )
    try:
        _rate_interval(value, unit)
    except OverflowError:
        raise InvalidScheduleExpression(f"rate(): value {value} is too large") from None
    return RateExpression(text=text, value=value, unit=unit)


def _parse_at(text: str, body: str) -> AtExpression:
    match = _AT_FORMAT.fullmatch(body.strip())
    if not match:
        raise InvalidScheduleExpression(f"at(): expected yyyy-mm-ddThh:mm:ss, got {body!r}")
    try:
        wall = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidScheduleExpression(f"at(): {body.strip()} is not a real date and time") from None
    return AtExpression(text=text, wall=wall)


def parse_expression(text: str) -> ScheduleExpression:
    """Parse a ScheduleExpression; raise :class:`InvalidScheduleExpression` naming the problem if invalid."""
    if not isinstance(text, str):
        raise InvalidScheduleExpression("schedule expression must be a string")
    stripped = text.strip()
    if not stripped:
        raise InvalidScheduleExpression("schedule expression is empty")
    if len(stripped) > MAX_EXPRESSION_LENGTH:
        raise InvalidScheduleExpression(
            f"schedule expression is {len(stripped)} characters long; the maximum is {MAX_EXPRESSION_LENGTH}"
        )
    match = _EXPRESSION.fullmatch(stripped)
    if not match:
        raise InvalidScheduleExpression(
            f"schedule expression must be cron(...), rate(...) or at(...), got {stripped!r}"
        )
    kind, body = match.groups()
    if kind == "rate":
        return _parse_rate(stripped, body)
    if kind == "at":
        return _parse_at(stripped, body)
    try:
        return CronExpression(text=stripped, spec=parse_cron(body))
    except CronSyntaxError as exc:
        raise InvalidScheduleExpression(str(exc)) from None
