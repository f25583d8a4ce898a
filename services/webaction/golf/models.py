"""What the golf API answers, reduced to what rez-agent uses (ORIGINAL_SYSTEM §6.2).

Times are kept as naive course-local wall-clock times: a slot ``2025-11-15T09:30:00`` and one
``2025-11-15T09:30:00-05:00`` both mean 9:30 at the course, which is what a search window
(``startSearchTime``/``endSearchTime``, also local) is compared with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.errors import UpstreamError

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_local_time(text: Any) -> datetime | None:
    """RFC 3339 or ``YYYY-MM-DDTHH:MM:SS`` → naive wall-clock time; ``None`` if neither."""
    if not isinstance(text, str) or not _TIME.match(text.strip()):
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


@dataclass(frozen=True)
class Price:
    amount: float
    description: str


@dataclass(frozen=True)
class TeeTimeSlot:
    tee_sheet_id: int
    start: datetime | None
    start_raw: str
    course_name: str
    holes: int | None
    green_fee_18: Price | None
    available: int | None

    @classmethod
    def from_json(cls, data: Any) -> TeeTimeSlot:
        if not isinstance(data, dict) or not isinstance(data.get("teeSheetId"), int):
            raise UpstreamError("failed to parse tee times response: slot without teeSheetId")
        fee = None
        for item in data.get("shItemPrices") or []:
            if isinstance(item, dict) and item.get("shItemCode") == "GreenFee18":
                try:
                    fee = Price(float(item.get("price")), str(item.get("itemDesc") or ""))
                except (TypeError, ValueError):
                    fee = None
                break
        return cls(tee_sheet_id=data["teeSheetId"], start=parse_local_time(data.get("startTime")),
                   start_raw=str(data.get("startTime") or ""), course_name=str(data.get("courseName") or ""),
                   holes=_int_or_none(data.get("holes")), green_fee_18=fee,
                   available=_int_or_none(data.get("maxPlayer")))


@dataclass(frozen=True)
class Reservation:
    reservation_id: int | None
    start: datetime | None
    start_raw: str
    course_name: str
    players: int | None
    confirmation_key: str

    @classmethod
    def from_json(cls, data: Any) -> Reservation:
        if not isinstance(data, dict):
            raise UpstreamError("failed to parse reservations response: item is not an object")
        return cls(reservation_id=_int_or_none(data.get("reservationId")),
                   start=parse_local_time(data.get("startTime")), start_raw=str(data.get("startTime") or ""),
                   course_name=str(data.get("courseName") or ""), players=_int_or_none(data.get("numberOfPlayer")),
                   confirmation_key=str(data.get("reservationConfirmKey") or ""))


@dataclass(frozen=True)
class Booking:
    """A completed reservation with what pricing said about it."""

    confirmation_key: str
    reservation_id: int | None
    tee_sheet_id: int
    start: datetime | None
    course_name: str
    holes: int | None
    players: int
    total: float | None
    due_at_course: float | None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
