"""Booking state of one fake cps.golf course: locks, price transactions, reservations.

Pure state and rules, no HTTP. Time comes from the injected clock; slot times are naive local
course time and are compared with the clock converted to the course's time zone.

Rules:
* a slot's open capacity = capacity − pre-booked − reserved − players locked by *other* sessions;
* a lock holds ``numberOfPlayer`` places for ``lock_ttl`` (default 5 min) and is keyed by sessionId;
  locking again with the same sessionId replaces the previous lock;
* pricing needs a live lock of the same golfer on the slot and creates a transaction;
* reserving needs the live lock and the transaction; it consumes capacity and drops the lock;
* a slot in the past, or a date before today / after the booking window, cannot be searched or locked.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from emulation.fakes._clock import Clock, utc_now
from emulation.fakes.golf_teesheet import FakeCourse, Slot, find_slot, generate_sheet, with_tax

RESULT_OK = 1
RESULT_LOCK_MISSING = 2  # lock unknown, expired, or not this golfer's
RESULT_TRANSACTION_MISSING = 3
RESULT_SOLD_OUT = 4


class BookingError(Exception):
    """A request the course refuses with an HTTP error (status + message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class TeeLock:
    session_id: str
    golfer_id: int
    email: str
    tee_sheet_ids: list[int]
    players: int
    expires_at: datetime


@dataclass
class Transaction:
    transaction_id: str
    golfer_id: int
    acct: str
    tee_sheet_id: int
    players: int
    holes: int
    subtotal: float
    total: float


@dataclass
class Reservation:
    reservation_id: int
    booking_ids: list[int]
    confirmation_key: str
    golfer_id: int
    acct: str
    email: str
    tee_sheet_id: int
    start: datetime  # naive local course time
    players: int
    holes: int
    course_name: str
    created_at: datetime = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = self.start.strftime("%Y-%m-%dT%H:%M:%S")
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass
class LockOutcome:
    tee_sheet_ids: list[int]
    error: str | None = None
    warning: str | None = None


class GolfBook:
    """All mutable state of one course; thread-safe."""

    def __init__(
        self,
        course: FakeCourse,
        clock: Clock,
        *,
        lock_ttl: timedelta = timedelta(minutes=5),
        booking_window_days: int = 14,
    ) -> None:
        self.course = course
        self.clock = clock
        self.lock_ttl = lock_ttl
        self.booking_window_days = booking_window_days
        self._tz = ZoneInfo(course.timezone)
        self._mutex = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._mutex:
            self.locks: dict[str, TeeLock] = {}
            self.transactions: dict[str, Transaction] = {}
            self.reservations: list[Reservation] = []
            self._reserved: dict[int, int] = {}
            self._tx_counter = 0

    # -- time and capacity ----------------------------------------------------------------------
    def local_now(self) -> datetime:
        return utc_now(self.clock).astimezone(self._tz).replace(tzinfo=None)

    def bookable_day(self, day: date) -> bool:
        today = self.local_now().date()
        return today <= day <= today + timedelta(days=self.booking_window_days)

    def _expire_locks(self) -> None:
        now = utc_now(self.clock)
        for sid in [sid for sid, lock in self.locks.items() if lock.expires_at <= now]:
            del self.locks[sid]

    def booked(self, slot: Slot) -> int:
        return slot.prebooked + self._reserved.get(slot.tee_sheet_id, 0)

    def available(self, slot: Slot, *, except_session: str | None = None) -> int:
        with self._mutex:
            self._expire_locks()
            locked = sum(
                lock.players
                for sid, lock in self.locks.items()
                if sid != except_session and slot.tee_sheet_id in lock.tee_sheet_ids
            )
            return max(0, self.course.capacity - self.booked(slot) - locked)

    def search(self, day: date, players: int) -> list[tuple[Slot, int, int]]:
        """Open slots of ``day`` with room for ``players``: ``(slot, participants, available)``."""
        if not self.bookable_day(day):
            return []
        now = self.local_now()
        with self._mutex:
            rows = [(s, self.booked(s), self.available(s)) for s in generate_sheet(self.course, day)]
        return [row for row in rows if row[0].start > now and row[2] >= players]

    # -- lock, price, reserve -------------------------------------------------------------------
    def lock(self, *, golfer_id: int, email: str, session_id: str, tee_sheet_ids: list[int], players: int) -> LockOutcome:
        with self._mutex:
            self._expire_locks()
            slots: list[Slot] = []
            for tee_sheet_id in tee_sheet_ids:
                slot = find_slot(self.course, tee_sheet_id)
                if slot is None:
                    return LockOutcome([], error=f"Tee time {tee_sheet_id} was not found.")
                if slot.start <= self.local_now() or not self.bookable_day(slot.day):
                    return LockOutcome([], error="The selected tee time is no longer available for booking.")
                if self.available(slot, except_session=session_id) < players:
                    return LockOutcome([], error="The selected tee time is no longer available. Please select another time.")
                slots.append(slot)
            self.locks[session_id] = TeeLock(
                session_id, golfer_id, email, list(tee_sheet_ids), players, utc_now(self.clock) + self.lock_ttl
            )
            days = {s.day for s in slots}
            if any(r.golfer_id == golfer_id and r.start.date() in days for r in self.reservations):
                day = min(days)
                return LockOutcome(
                    list(tee_sheet_ids),
                    warning=f"You already have a reservation on {day:%m/%d/%Y} at {self.course.name}. "
                    "Please review your existing reservation before booking another tee time.",
                )
            return LockOutcome(list(tee_sheet_ids))

    def _live_lock_for(self, golfer_id: int, tee_sheet_id: int) -> TeeLock | None:
        self._expire_locks()
        for lock in self.locks.values():
            if lock.golfer_id == golfer_id and tee_sheet_id in lock.tee_sheet_ids:
                return lock
        return None

    def price(self, *, golfer_id: int, acct: str, tee_sheet_id: int, players: int, holes: int) -> tuple[Slot, Transaction]:
        with self._mutex:
            slot = find_slot(self.course, tee_sheet_id)
            if slot is None:
                raise BookingError(404, f"Tee time {tee_sheet_id} was not found.")
            lock = self._live_lock_for(golfer_id, tee_sheet_id)
            if lock is None:
                raise BookingError(400, "The tee time is not locked for this golfer or the lock has expired.")
            if players != lock.players:
                raise BookingError(400, f"numberOfPlayer {players} does not match the {lock.players} locked.")
            if holes not in (9, 18):
                raise BookingError(400, "holes must be 9 or 18.")
            fee = slot.green_fee_18 if holes == 18 else slot.green_fee_9
            self._tx_counter += 1
            tx = Transaction(
                transaction_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.course.origin}/tx/{self._tx_counter}")),
                golfer_id=golfer_id,
                acct=acct,
                tee_sheet_id=tee_sheet_id,
                players=players,
                holes=holes,
                subtotal=round(fee * players, 2),
                total=round(with_tax(fee) * players, 2),
            )
            self.transactions[tx.transaction_id] = tx
            return slot, tx

    def reserve(self, *, golfer_id: int, acct: str, email: str, session_id: str, transaction_id: str) -> tuple[int, Reservation | None]:
        """Returns ``(reservationResult, reservation)``; result 1 means booked."""
        with self._mutex:
            self._expire_locks()
            lock = self.locks.get(session_id)
            if lock is None or lock.golfer_id != golfer_id:
                return RESULT_LOCK_MISSING, None
            tx = self.transactions.get(transaction_id)
            if tx is None or tx.golfer_id != golfer_id or tx.tee_sheet_id not in lock.tee_sheet_ids:
                return RESULT_TRANSACTION_MISSING, None
            slot = find_slot(self.course, tx.tee_sheet_id)
            if slot is None or self.available(slot, except_session=session_id) < lock.players:
                return RESULT_SOLD_OUT, None
            del self.locks[session_id]
            del self.transactions[transaction_id]
            return RESULT_OK, self._book(slot, golfer_id, acct, email, lock.players, tx.holes)

    def _book(self, slot: Slot, golfer_id: int, acct: str, email: str, players: int, holes: int) -> Reservation:
        reservation_id = self.course.course_id * 1_000_000 + 52_000 + len(self.reservations) + 1
        digest = hashlib.sha256(f"{self.course.origin}/{reservation_id}".encode()).digest()
        reservation = Reservation(
            reservation_id=reservation_id,
            booking_ids=[reservation_id * 10 + i for i in range(1, players + 1)],
            confirmation_key=base64.b32encode(digest).decode()[:10],
            golfer_id=golfer_id,
            acct=acct,
            email=email,
            tee_sheet_id=slot.tee_sheet_id,
            start=slot.start,
            players=players,
            holes=holes,
            course_name=self.course.name,
            created_at=utc_now(self.clock),
        )
        self.reservations.append(reservation)
        self._reserved[slot.tee_sheet_id] = self._reserved.get(slot.tee_sheet_id, 0) + players
        return reservation

    def add_reservation(self, *, golfer_id: int, tee_sheet_id: int, players: int, acct: str = "", email: str = "") -> Reservation:
        """Seed a reservation directly (tests, demos); capacity rules still apply."""
        with self._mutex:
            slot = find_slot(self.course, tee_sheet_id)
            if slot is None:
                raise BookingError(404, f"Tee time {tee_sheet_id} was not found.")
            if self.available(slot) < players:
                raise BookingError(409, f"Tee time {tee_sheet_id} has fewer than {players} open places.")
            return self._book(slot, golfer_id, acct, email, players, 18)

    # -- queries --------------------------------------------------------------------------------
    def upcoming(self, golfer_id: int) -> list[Reservation]:
        now = self.local_now()
        with self._mutex:
            mine = [r for r in self.reservations if r.golfer_id == golfer_id and r.start >= now]
        return sorted(mine, key=lambda r: r.start)

    def live_locks(self) -> list[TeeLock]:
        with self._mutex:
            self._expire_locks()
            return list(self.locks.values())
