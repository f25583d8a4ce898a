"""Golf notification texts (ORIGINAL_SYSTEM §6.2.1–§6.2.3) and the fixes around them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from services.core.courses import find_by_id
from services.core.errors import ConflictError, ForbiddenError, UpstreamError
from services.core.jwt_verify import GolferClaims
from services.webaction.golf.book import book_tee_time
from services.webaction.golf.format import (
    clock_time,
    format_booking,
    format_reservations,
    format_search,
    long_date,
    search_date,
)
from services.webaction.golf.models import Booking, Reservation, TeeTimeSlot, parse_local_time
from services.webaction.golf.search import in_window, parse_slots, tee_times_url


def slot_json(tee_sheet_id: int, start: str, price: float = 42.0) -> dict[str, Any]:
    return {"teeSheetId": tee_sheet_id, "startTime": start, "courseName": "Birdsfoot Golf Course", "holes": 18,
            "maxPlayer": 4, "shItemPrices": [
                {"shItemCode": "GreenFee9", "price": 25.0, "itemDesc": "9 Holes"},
                {"shItemCode": "GreenFee18", "price": price, "itemDesc": "18 Holes Green Fee - Prime Time"}]}


def test_time_texts() -> None:
    moment = datetime(2025, 11, 15, 14, 5)
    assert clock_time(moment) == "2:05 PM"
    assert clock_time(datetime(2025, 11, 15, 0, 7)) == "12:07 AM"
    assert clock_time(datetime(2025, 11, 15, 12, 0)) == "12:00 PM"
    assert long_date(moment) == "Sat, Nov 15 at 2:05 PM"
    assert search_date(datetime(2025, 11, 5)) == "Wed Nov 5 2025"


@pytest.mark.parametrize("text, expected", [
    ("2025-10-29T08:30:00-04:00", datetime(2025, 10, 29, 8, 30)),
    ("2025-10-29T08:30:00Z", datetime(2025, 10, 29, 8, 30)),
    ("2025-10-29T08:30:00", datetime(2025, 10, 29, 8, 30)),
    ("", None), ("2025-10-29", None), ("October 29, 2025 8:30 AM", None), ("not-a-date", None), (None, None),
])
def test_slot_time_parsing(text: Any, expected: datetime | None) -> None:
    assert parse_local_time(text) == expected


def test_query_string_in_the_documented_order() -> None:
    url = tee_times_url("https://x/TeeTimes", datetime(2025, 11, 15, 9, 30), 2, 1)
    assert url == ("https://x/TeeTimes?searchDate=Sat%20Nov%2015%202025&holes=0&numberOfPlayer=2&courseIds=1"
                   "&searchTimeType=0&teeSheetSearchView=5&classCode=R&defaultOnlineRate=N"
                   "&isUseCapacityPricing=false&memberStoreId=1&searchType=1")


def test_window_is_inclusive_and_sorted_earliest_first() -> None:
    slots = parse_slots([slot_json(3, "2025-11-15T11:00:00"), slot_json(1, "2025-11-15T09:30:00"),
                         slot_json(2, "2025-11-15T08:00:00"), slot_json(4, "2025-11-15T16:30:00"),
                         slot_json(5, "2025-11-15T16:31:00"), slot_json(6, "garbage")])
    kept = in_window(slots, datetime(2025, 11, 15, 9, 30), datetime(2025, 11, 15, 16, 30))
    assert [s.tee_sheet_id for s in kept] == [1, 3, 4]
    assert [s.tee_sheet_id for s in in_window(slots, datetime(2025, 11, 15, 9, 30), None)] == [1, 3, 4, 5]


def test_no_teetimes_answer_and_garbage() -> None:
    assert parse_slots({"messageKey": "NO_TEETIMES"}) == []
    with pytest.raises(UpstreamError):
        parse_slots({"unexpected": True})


def test_search_text() -> None:
    slots = parse_slots([slot_json(102145012, "2025-11-15T09:30:00"), slot_json(102145013, "2025-11-15T09:40:00")])
    text = format_search(slots, "Sat Nov 15 2025", 2)
    assert text == (
        "⛳ Available Tee Times\n\nDate: Sat Nov 15 2025\nPlayers: 2\n\n"
        "1. 9:30 AM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 102145012\n"
        "   💵 $42.00 - 18 Holes Green Fee - Prime Time\n"
        "\n"
        "2. 9:40 AM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 102145013\n"
        "   💵 $42.00 - 18 Holes Green Fee - Prime Time\n"
        "\n\nFound 2 available time(s)")


def test_search_text_honours_max_results() -> None:
    slots = parse_slots([slot_json(i, f"2025-11-15T{7 + i:02d}:00:00") for i in range(1, 10)])
    assert format_search(slots, "d", 1).endswith("Found 5 available time(s)")
    assert format_search(slots, "d", 1, limit=8).count("Tee Sheet ID") == 8
    assert format_search(slots, "d", 1, limit=2).endswith("Found 2 available time(s)")


def test_search_text_without_results() -> None:
    assert format_search([], "Sat Nov 15 2025", 1) == (
        "⛳ Tee Time Search Results\n\nNo available tee times found for Sat Nov 15 2025\nTry adjusting your time range.")


def reservation(rid: int, start: str, key: str = "ABC") -> Reservation:
    return Reservation.from_json({"reservationId": rid, "startTime": start, "courseName": "Totteridge",
                                  "numberOfPlayer": 2, "reservationConfirmKey": key})


def test_reservations_text_names_the_course_and_sorts() -> None:
    text = format_reservations([reservation(2, "2025-11-20T10:00:00", ""), reservation(1, "2025-11-16T08:08:00")],
                               "Totteridge")
    assert text == ("⛳ Current Reservations at Totteridge\n\n"
                    "- Sun, Nov 16 at 8:08 AM\n\t2 player(s)\n\tConfirmation: ABC\n"
                    "\n"
                    "- Thu, Nov 20 at 10:00 AM\n\t2 player(s)\n"
                    "\n\n🏌️ Total: 2 upcoming reservation(s)")


def test_reservations_text_limits_and_empty() -> None:
    many = [reservation(i, f"2025-11-{10 + i:02d}T08:00:00") for i in range(12)]
    text = format_reservations(many, "Birdsfoot Golf Course", limit=3)
    assert text.count("\t2 player(s)") == 3 and text.endswith("Total: 12 upcoming reservation(s) (showing 3)")
    assert format_reservations([], "Totteridge") == "⛳ Golf Reservations at Totteridge\n\nNo tee-times found.\n"


def test_booking_text() -> None:
    booking = Booking(confirmation_key="K7Q2", reservation_id=1052001, tee_sheet_id=1, players=2,
                      start=datetime(2025, 11, 15, 9, 30), course_name="Birdsfoot Golf Course", holes=18,
                      total=89.04, due_at_course=89.04)
    assert format_booking(booking, "Birdsfoot Golf Course") == (
        "⛳ Tee Time Booked Successfully at Birdsfoot Golf Course!\n\n"
        "Confirmation: K7Q2\nReservation ID: 1052001\n\n"
        "Date/Time: Sat, Nov 15 at 9:30 AM\nCourse: Birdsfoot Golf Course\nHoles: 18\nPlayers: 2\n\n"
        "Total: $89.04\nDue at Course: $89.04\n\nSee you on the course!")


# -- the booking flow against a scripted course ---------------------------------------------------------

class ScriptedSession:
    """Stands in for GolfSession: records calls, answers from a script."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.course = find_by_id(1)
        self.claims = GolferClaims(golfer_id="40021", acct="G40021", email="golfer@example.com", subject=None,
                                   expires_at=datetime(2030, 1, 1), claims={})
        self.answers = answers
        self.calls: list[tuple[str, Any, bool | None]] = []

    def url(self, action: str) -> str:
        return f"https://birdsfoot.cps.golf/{action}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"client-id": "onlineresweb", **extra}

    def site_headers(self) -> dict[str, str]:
        return self.headers(**{"x-websiteid": self.course.websiteid})

    def call(self, method: str, url: str, *, what: str, headers=None, body=None, idempotent=None):
        action = url.rsplit("/", 1)[-1]
        self.calls.append((action, body, idempotent))
        return self.answers[action], 200


def answers(**overrides: Any) -> dict[str, Any]:
    base = {"lock-tee-time": {"teeSheetIds": [7], "sessionId": "S1", "error": None, "warning": None},
            "price-calculation": {"transactionId": "T1", "startTime": "2025-11-15T09:30:00",
                                  "courseName": "Birdsfoot Golf Course", "holes": 18,
                                  "summaryDetail": {"total": 89.04, "totalDueAtCourse": 89.04}},
            "book-tee-time": {"reservationId": 9, "confirmationKey": "K", "reservationResult": 1}}
    base.update(overrides)
    return base


def test_booking_locks_prices_then_reserves_once_with_one_entry_per_player() -> None:
    session = ScriptedSession(answers())
    slept: list[float] = []
    booking, status, _ = book_tee_time(session, 7, 3, pause=0.25, sleep=slept.append,  # type: ignore[arg-type]
                                       new_session_id=lambda: "S1")
    assert [c[0] for c in session.calls] == ["lock-tee-time", "price-calculation", "book-tee-time"]
    assert slept == [0.25]
    lock_body, price_body, reserve_body = (c[1] for c in session.calls)
    assert lock_body["golferId"] == 40021 and lock_body["email"] == "golfer@example.com"
    assert [e["participantNo"] for e in price_body["bookingList"]] == [1, 2, 3]
    assert price_body["bookingList"][0]["acct"] == "G40021" and price_body["numberOfPlayer"] == 3
    assert reserve_body["lockedTeeTimesSessionId"] == "S1" and reserve_body["transactionId"] == "T1"
    assert session.calls[2][2] is False  # the reserve call is never retried
    assert (booking.confirmation_key, booking.players, booking.total, status) == ("K", 3, 89.04, 200)


def test_booking_for_another_golfer_is_forbidden_before_any_call() -> None:
    session = ScriptedSession(answers())
    with pytest.raises(ForbiddenError, match="cannot book for different user"):
        book_tee_time(session, 7, 1, golfer_id=99999)  # type: ignore[arg-type]
    assert session.calls == []


@pytest.mark.parametrize("lock_answer, message", [
    ({"warning": "You already have a reservation on 11/15/2025"}, "reservation conflict"),
    ({"error": "The selected tee time is no longer available."}, "issue with locking"),
])
def test_lock_refusals_are_conflicts_and_nothing_is_reserved(lock_answer: dict, message: str) -> None:
    session = ScriptedSession(answers(**{"lock-tee-time": {"teeSheetIds": [7], "sessionId": "S1", **lock_answer}}))
    with pytest.raises(ConflictError, match=message):
        book_tee_time(session, 7, 1)  # type: ignore[arg-type]
    assert [c[0] for c in session.calls] == ["lock-tee-time"]


def test_reservation_result_other_than_one_is_a_conflict() -> None:
    session = ScriptedSession(answers(**{"book-tee-time": {"reservationResult": 4}}))
    with pytest.raises(ConflictError, match="result code: 4"):
        book_tee_time(session, 7, 1)  # type: ignore[arg-type]


def test_slot_model_reads_the_green_fee() -> None:
    slot = TeeTimeSlot.from_json(slot_json(1, "2025-11-15T09:30:00", 37.5))
    assert slot.green_fee_18 is not None and slot.green_fee_18.amount == 37.5


def test_reserve_failure_that_may_have_booked_is_not_retried() -> None:
    from services.webaction.golf.book import ReservationOutcomeUnknown

    class FailingReserve(ScriptedSession):
        def call(self, method, url, *, what, headers=None, body=None, idempotent=None):
            if url.endswith("book-tee-time"):
                raise UpstreamError("reservation: HTTP 502")
            return super().call(method, url, what=what, headers=headers, body=body, idempotent=idempotent)

    with pytest.raises(ReservationOutcomeUnknown, match="check the reservations") as info:
        book_tee_time(FailingReserve(answers()), 7, 1)  # type: ignore[arg-type]
    assert not info.value.retryable
