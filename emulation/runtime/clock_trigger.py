"""A platform-clock timer that is pulled forward to "now" when the clock sits still.

Periodic work on the platform clock (the schedule engine's sync, the TTL sweep) must run *first*
in every ``advance``: a schedule created or an item written since the last run has to be seen
before time moves on. The clock has no "advance started" hook, so a poll thread watches it: when
the clock is frozen and has not moved for one poll (idle between advances), the pending timer is
moved to the current instant, which the next ``advance`` pops before anything else. Optionally,
while the clock runs in real time, the timer is also pulled to "now" every ``pull_every`` seconds.

The callback re-arms the trigger itself (``arm``) with whatever next time it wants.

LIMITATIONS: "idle" is seen by polling every 20 ms, so work done by a client less than two polls
before its next ``advance`` is not guaranteed to be seen first (``due`` tells whether it will be).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from emulation.runtime.clock import PlatformClock

logger = logging.getLogger(__name__)


class ClockTrigger:
    def __init__(self, clock: PlatformClock, callback: Callable[[], None], *, name: str,
                 pull_every: float | None = None, poll_seconds: float = 0.02) -> None:
        self._clock, self._callback, self._name = clock, callback, name
        self._pull_every, self._poll_seconds = pull_every, poll_seconds
        self._lock = threading.Lock()
        self._timer: Any = None
        self._due: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def due(self) -> datetime | None:
        return self._due

    def start(self) -> None:
        self.arm(self._clock.now())
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        with self._lock:
            if self._timer is not None:
                self._clock.cancel(self._timer)
                self._timer = None

    def arm(self, due: datetime) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._timer is not None:
                self._clock.cancel(self._timer)
            self._due = due
            self._timer = self._clock.call_at(due, self._run)

    def _run(self) -> None:
        # ``_due`` stays at this (past) time while the callback runs, so the poll thread does not
        # pull a second run in behind it; the callback's ``arm`` replaces it.
        with self._lock:
            self._timer = None
        try:
            self._callback()
        except Exception:
            logger.exception("%s failed", self._name)

    def _pull(self) -> None:
        now = self._clock.now()
        with self._lock:
            if self._due is not None and self._due <= now:
                return
        self.arm(now)

    def _loop(self) -> None:
        previous: datetime | None = None
        last_pull = time.monotonic()
        while not self._stop.wait(self._poll_seconds):
            now = self._clock.now()
            idle = self._clock.frozen and now == previous
            previous = now
            periodic = (self._pull_every is not None and not self._clock.frozen
                        and time.monotonic() - last_pull >= self._pull_every)
            if idle or periodic:
                last_pull = time.monotonic()
                self._pull()
