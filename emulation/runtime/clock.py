"""The platform clock: one time for the whole local stack.

Real time by default. It can be frozen at an instant and advanced; advancing fires every timer
that falls due, in order, each seeing the clock at its own due time. Schedules, TTL expiry,
queue visibility timeouts and function contexts all read this clock, so "daily at noon" or
"gone after 72 h" is tested in milliseconds.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

logger = logging.getLogger(__name__)


@dataclass(order=True)
class _Timer:
    due: datetime
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class PlatformClock:
    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = frozen_at
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._advancing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._target: datetime | None = None
        # (wall-clock instant, frozen instant or None, offset) from each change of the mapping on, so
        # wall-clock stamps made by others (the emulator's SentTimestamp) can be read as platform time.
        self._history: deque[tuple[datetime, datetime | None, timedelta]] = deque(maxlen=4096)
        self._remember()

    # --- reading ------------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def at_wall(self, wall: datetime) -> datetime:
        """The platform time it was at the wall-clock instant ``wall`` (frozen, offset or advanced)."""
        with self._lock:
            history = list(self._history)
        index = max(0, bisect.bisect_right([h[0] for h in history], wall) - 1)
        _, frozen, offset = history[index]
        return frozen if frozen is not None else wall + offset

    def _remember(self) -> None:
        self._history.append((datetime.now(UTC), self._frozen, self._offset))

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def state(self) -> dict:
        with self._lock:
            return {"now": self.now().isoformat().replace("+00:00", "Z"), "frozen": self.frozen,
                    "offset_seconds": self._offset.total_seconds(),
                    "pending_timers": sum(1 for t in self._timers if not t.cancelled)}

    # --- controlling --------------------------------------------------------------------------
    def freeze(self, at: datetime | None = None) -> None:
        with self._lock:
            self._frozen = (at or self.now()).astimezone(UTC)
            self._remember()
            self._wake.notify_all()

    def unfreeze(self) -> None:
        """Run in real time again, continuing from the frozen instant."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(UTC)
                self._frozen = None
                self._remember()
            self._wake.notify_all()

    def advance(self, delta: timedelta) -> int:
        """Move time forward by ``delta``, firing due timers in order. Returns how many fired."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._advancing:
            target = self.now() + delta
            self._target = target
            fired = 0
            while True:
                with self._lock:
                    timer = self._pop_due(target)
                    if timer is None:
                        self._set_now(target)
                        self._target = None
                        break
                    self._set_now(max(timer.due, self.now()))
                self._run(timer)
                fired += 1
            return fired

    def next_periodic(self, interval: timedelta) -> datetime:
        """When a periodic job (metrics, alarms, TTL) should run next.

        Normally one interval from now. While the clock jumps (``advance(3 days)``), once at the end
        of the jump instead of every interval on the way: what such a job observes is the state
        of the world, which only changes when something else fires in between.
        """
        due = self.now() + interval
        target = self._target
        return max(due, target) if target is not None else due

    def _set_now(self, moment: datetime) -> None:
        if self._frozen is not None:
            self._frozen = moment
        else:
            self._offset = moment - datetime.now(UTC)
        self._remember()
        self._wake.notify_all()

    # --- timers -------------------------------------------------------------------------------
    def call_at(self, due: datetime, callback: Callable[[], None]) -> _Timer:
        with self._lock:
            timer = _Timer(due.astimezone(UTC), next(self._seq), callback)
            heapq.heappush(self._timers, timer)
            self._wake.notify_all()
            return timer

    def call_later(self, delay: timedelta, callback: Callable[[], None]) -> _Timer:
        return self.call_at(self.now() + delay, callback)

    @staticmethod
    def cancel(timer: _Timer) -> None:
        timer.cancelled = True

    def _pop_due(self, until: datetime) -> _Timer | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        if self._timers and self._timers[0].due <= until:
            return heapq.heappop(self._timers)
        return None

    @staticmethod
    def _run(timer: _Timer) -> None:
        try:
            timer.callback()
        except Exception:  # a failing timer must not stop the clock
            logger.exception("timer callback failed")

    def start(self) -> None:
        """Fire timers as real time passes (frozen: only ``advance`` fires them)."""
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="platform-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._stopped:
                    return
                timer = None if self._frozen is not None or self._advancing.locked() else self._pop_due(self.now())
                if timer is None:
                    wait = 1.0
                    if self._frozen is None and self._timers:
                        wait = min(max((self._timers[0].due - self.now()).total_seconds(), 0.0), 1.0)
                    self._wake.wait(timeout=wait)
                    continue
            self._run(timer)
