"""Deterministic tee sheets for the fake cps.golf courses.

A course's sheet for a date is generated from a seed (sha256 of course id + ISO date): slots every
8–10 minutes from 07:00 to 17:00 local time, some players already booked, prices by time of day
and weekday/weekend. Same course and date → same sheet, on every machine and every run.

Tee-sheet ids encode course, date and slot index, so any id can be resolved without a search:
``(course_id * 100000 + days since 2020-01-01) * 1000 + index`` (e.g. 102145012).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

ID_EPOCH = date(2020, 1, 1)
FIRST_TEE = time(7, 0)
LAST_TEE = time(17, 0)
TAX_RATE = 0.06


@dataclass(frozen=True)
class FakeCourse:
    """A course as configured in ``courseInfo.yaml`` (reference §5.6), plus fake-only pricing."""

    course_id: int
    name: str
    origin: str
    website_id: str
    address: str
    timezone: str = "America/New_York"
    site_id: int = 3
    capacity: int = 4
    base_price: float = 42.0  # 18 holes, weekday, prime time


BIRDSFOOT = FakeCourse(
    course_id=1,
    name="Birdsfoot Golf Course",
    origin="https://birdsfoot.cps.golf",
    website_id="94fa26b7-2e63-4cbc-99e5-08d7d7f41522",
    address="225 Furnace Run Rd, Freeport, PA 16229",
    base_price=42.0,
)
TOTTERIDGE = FakeCourse(
    course_id=2,
    name="Totteridge",
    origin="https://totteridge.cps.golf",
    website_id="17691e46-9c9b-4e67-982f-08d7d8050db9",
    address="2029 Totteridge Dr Greensburg, PA 15601",
    base_price=55.0,
)
COURSES: tuple[FakeCourse, ...] = (BIRDSFOOT, TOTTERIDGE)


@dataclass(frozen=True)
class Slot:
    """One tee time of a generated sheet; ``start`` is naive local course time."""

    tee_sheet_id: int
    index: int
    start: datetime
    prebooked: int
    rate_name: str
    green_fee_18: float
    green_fee_9: float

    @property
    def day(self) -> date:
        return self.start.date()


def encode_tee_sheet_id(course_id: int, day: date, index: int) -> int:
    return (course_id * 100_000 + (day - ID_EPOCH).days) * 1000 + index


def decode_tee_sheet_id(tee_sheet_id: int) -> tuple[int, date, int] | None:
    if tee_sheet_id <= 0:
        return None
    head, index = divmod(tee_sheet_id, 1000)
    course_id, days = divmod(head, 100_000)
    return course_id, ID_EPOCH + timedelta(days=days), index


def _rng(course: FakeCourse, day: date) -> random.Random:
    seed = hashlib.sha256(f"{course.course_id}:{day.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _rate(course: FakeCourse, start: datetime) -> tuple[str, float]:
    weekend = start.weekday() >= 5
    base = course.base_price + (10.0 if weekend else 0.0)
    if start.hour < 11:
        return "Prime Time", base
    if start.hour < 14:
        return "Midday", base - 6.0
    return "Twilight", base - 14.0


@lru_cache(maxsize=512)
def generate_sheet(course: FakeCourse, day: date) -> tuple[Slot, ...]:
    """The full tee sheet (including full slots) of ``course`` on ``day``."""
    if day < ID_EPOCH:
        return ()
    rng = _rng(course, day)
    weekend = day.weekday() >= 5
    weights = [25, 15, 20, 15, 25] if weekend else [45, 15, 20, 10, 10]
    slots: list[Slot] = []
    start = datetime.combine(day, FIRST_TEE)
    end = datetime.combine(day, LAST_TEE)
    while start <= end and len(slots) < 1000:
        prebooked = rng.choices(range(course.capacity + 1), weights=weights[: course.capacity + 1])[0]
        rate_name, fee18 = _rate(course, start)
        slots.append(
            Slot(
                tee_sheet_id=encode_tee_sheet_id(course.course_id, day, len(slots)),
                index=len(slots),
                start=start,
                prebooked=prebooked,
                rate_name=rate_name,
                green_fee_18=fee18,
                green_fee_9=float(round(fee18 * 0.6)),
            )
        )
        start += timedelta(minutes=rng.choice((8, 9, 10)))
    return tuple(slots)


def find_slot(course: FakeCourse, tee_sheet_id: int) -> Slot | None:
    decoded = decode_tee_sheet_id(tee_sheet_id)
    if decoded is None or decoded[0] != course.course_id:
        return None
    _, day, index = decoded
    sheet = generate_sheet(course, day)
    return sheet[index] if index < len(sheet) else None


def with_tax(amount: float) -> float:
    return round(amount * (1 + TAX_RATE), 2)


def price_item(course: FakeCourse, slot: Slot, holes: int) -> dict[str, Any]:
    """One ``shItemPrices`` entry (per player) as the TeeTimes search returns it."""
    price = slot.green_fee_18 if holes == 18 else slot.green_fee_9
    code = f"GreenFee{holes}"
    return {
        "itemGuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{course.origin}/items/{code}/{slot.rate_name}")),
        "shItemCode": code,
        "itemCode": f"GF{holes}-{slot.rate_name.split()[0].upper()}",
        "price": price,
        "taxInclusivePrice": with_tax(price),
        "taxCode": "PA6",
        "itemDesc": f"{holes} Holes Green Fee - {slot.rate_name}",
        "classCode": "R",
        "rateCode": "N",
        "currentPrice": price,
        "priceType": 1,
        "priceTypeName": "Online Rate",
    }


def slot_json(course: FakeCourse, slot: Slot, participants: int, available: int) -> dict[str, Any]:
    """A TeeTimes search result (reference §6.2.2): ``participants`` booked, ``maxPlayer`` still open."""
    return {
        "teeSheetId": slot.tee_sheet_id,
        "startTime": slot.start.strftime("%Y-%m-%dT%H:%M:%S"),
        "courseTimeId": course.course_id * 10_000 + slot.start.hour * 60 + slot.start.minute,
        "startingTee": 1,
        "crossOverTeeSheetId": None,
        "participants": participants,
        "courseId": course.course_id,
        "courseDate": slot.day.strftime("%Y-%m-%dT00:00:00"),
        "defaultRateCode": "N",
        "teeTypeId": 1,
        "holes": 18,
        "defaultHoles": 18,
        "siteId": course.site_id,
        "courseName": course.name,
        "shItemPrices": [price_item(course, slot, 18), price_item(course, slot, 9)],
        "holesDisplay": "9 or 18",
        "playersDisplay": f"1 - {available}" if available > 1 else str(available),
        "minPlayer": 1 if available else 0,
        "maxPlayer": available,
        "availableParticipantNo": list(range(1, available + 1)),
        "defaultClassCode": "R",
        "teeSuffix": "",
    }
