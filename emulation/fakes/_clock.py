"""Clocks for the fakes: every time-based behaviour of a fake reads one injected clock.

A clock is any object with ``now() -> datetime`` returning an aware UTC datetime. The platform
clock has that method, so it can be passed straight to every fake factory. ``SystemClock`` is the
fallback; ``ManualClock`` is for tests that advance time instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 11, 14, 13, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; returns the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)


def utc_now(clock: Clock) -> datetime:
    """``clock.now()`` checked to be aware and converted to UTC."""
    now = clock.now()
    if now.tzinfo is None:
        raise ValueError("clock.now() must return an aware datetime")
    return now.astimezone(UTC)
