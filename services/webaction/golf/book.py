"""Book a tee time (ORIGINAL_SYSTEM §6.2.3): lock → price → reserve.

Fixes and choices:

* the golfer is the one in the verified token; a payload ``golferId`` that is someone else is
  refused (``ForbiddenError``: "forbidden: cannot book for different user");
* the pricing request lists one booking-list entry per player (participant 1 is the golfer, the
  others unassigned), as the course's own web client does;
* no fixed 3 s pause between pricing and reserving: ``pause`` (seconds, default 0) is slept through
  the injected ``sleep``. Nothing in the documented contract needs the pause (the lock holds the
  slot for minutes, the transaction exists once pricing answered), a Lambda pays for every idle
  second, and the local fake does not need it; a deployment that finds the real API does can set it;
* the reserve call is not idempotent: it is never retried after it may have reached the server
  (a retry could book twice) — a 5xx/timeout there is ``ReservationOutcomeUnknown`` (not retried,
  neither in process nor by SQS) — and a lock answer "already have a reservation" is a conflict.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from services.core.errors import ConflictError, ForbiddenError, UpstreamError
from services.webaction.golf.models import Booking, parse_local_time
from services.webaction.golf.session import BROWSER_USER_AGENT, GolfSession

HOLES = 18


class ReservationOutcomeUnknown(UpstreamError):
    """The reserve call failed in a way that may have booked (5xx, timeout, dropped connection).

    Not retryable: repeating the booking could book twice or end in a conflict that hides the
    booking. The message fails with this text; the golfer (or agent) checks the reservations.
    """

    retryable = False


def book_tee_time(session: GolfSession, tee_sheet_id: int, players: int, *, golfer_id: int | None = None,
                  pause: float = 0.0, sleep: Callable[[float], None] | None = None,
                  new_session_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> tuple[Booking, int, str]:
    """Book ``tee_sheet_id`` for ``players``; returns the booking, the reserve status code and URL."""
    claims = session.claims
    if golfer_id is not None and str(golfer_id) != claims.golfer_id:
        raise ForbiddenError("forbidden: cannot book for different user")
    golfer = int(claims.golfer_id)
    lock_session = lock(session, tee_sheet_id, players, golfer, new_session_id())
    pricing = price(session, tee_sheet_id, players, golfer)
    if pause > 0 and sleep is not None:
        sleep(pause)
    url = session.url("book-tee-time")
    body = {
        "cancelReservationLink": session.url("cancel-reservation-link"),
        "homePageLink": session.url("home-page-link"),
        "affiliateId": None,
        "finalizeSaleModel": {
            "acct": claims.acct, "playerId": 0, "isGuest": False,
            "creditCardInfo": {"cardNumber": None, "cardHolder": None, "expireMM": None, "expireYY": None,
                               "cvv": None, "email": claims.email, "cardToken": None},
            "monerisCC": None, "ibxCC": None,
        },
        "sessionGuid": None,
        "lockedTeeTimesSessionId": lock_session,
        "transactionId": pricing["transactionId"],
    }
    headers = {**session.site_headers(), "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": "macOS",
               "sec-fetch-dest": "empty", "sec-fetch-mode": "cors", "sec-fetch-site": "same-origin",
               "user-agent": BROWSER_USER_AGENT}
    try:
        answer, status = session.call("POST", url, what="reservation", headers=headers, body=body,
                                      idempotent=False)
    except UpstreamError as exc:
        if not exc.retryable:
            raise
        raise ReservationOutcomeUnknown(
            f"reservation outcome unknown ({exc.message}); check the reservations before booking again") from None
    if not isinstance(answer, dict):
        raise UpstreamError("reservation failed: unreadable response")
    if answer.get("reservationResult") != 1:
        raise ConflictError(f"reservation failed with result code: {answer.get('reservationResult')}")
    summary = pricing.get("summaryDetail") if isinstance(pricing.get("summaryDetail"), dict) else {}
    booking = Booking(
        confirmation_key=str(answer.get("confirmationKey") or ""),
        reservation_id=answer.get("reservationId") if isinstance(answer.get("reservationId"), int) else None,
        tee_sheet_id=tee_sheet_id, start=parse_local_time(pricing.get("startTime")),
        course_name=str(pricing.get("courseName") or session.course.name),
        holes=pricing.get("holes") if isinstance(pricing.get("holes"), int) else None, players=players,
        total=_number(summary.get("total")), due_at_course=_number(summary.get("totalDueAtCourse")),
    )
    return booking, status, url


def lock(session: GolfSession, tee_sheet_id: int, players: int, golfer: int, session_id: str) -> str:
    body = {"teeSheetIds": [tee_sheet_id], "email": session.claims.email, "action": "Online Reservation V5",
            "sessionId": session_id, "golferId": golfer, "classCode": "R", "numberOfPlayer": players,
            "navigateUrl": "", "isGroupBooking": False}
    headers = session.headers(**{"content-type": "application/json", "x-websiteid": session.course.websiteid})
    answer, _ = session.call("POST", session.url("lock-tee-time"), what="tee time lock", headers=headers,
                             body=body, idempotent=True)
    if not isinstance(answer, dict):
        raise UpstreamError("failed to lock tee time: unreadable response")
    warning, error = answer.get("warning") or "", answer.get("error") or ""
    if "already have a reservation" in str(warning).lower():
        raise ConflictError(f"reservation conflict: {warning}")
    if error:
        raise ConflictError(f"issue with locking a tee time: {error}")
    return str(answer.get("sessionId") or session_id)


def price(session: GolfSession, tee_sheet_id: int, players: int, golfer: int) -> dict[str, Any]:
    entries = [{"teeSheetId": tee_sheet_id, "holes": HOLES, "participantNo": n,
                "golferId": golfer if n == 1 else 0, "rateCode": "N", "isUnAssignedPlayer": n != 1,
                "memberClassCode": "R", "memberStoreId": "1", "cartType": 1, "playerId": "0",
                "acct": session.claims.acct if n == 1 else "", "isGuestOf": False,
                "isUseCapacityPricing": False}
               for n in range(1, players + 1)]
    body = {"selectedTeeSheetId": tee_sheet_id, "bookingList": entries, "holes": HOLES,
            "numberOfPlayer": players, "numberOfRider": 1, "cartType": 1, "coupon": None, "depositType": 0,
            "depositAmount": 0, "selectedValuePackageCode": None, "isUseCapacityPricing": False,
            "thirdPartyId": None, "ibxCardOnFile": None, "transactionId": None}
    answer, _ = session.call("POST", session.url("price-calculation"), what="pricing calculation",
                             headers=session.site_headers(), body=body, idempotent=True)
    if not isinstance(answer, dict) or not answer.get("transactionId"):
        raise UpstreamError("pricing calculation failed: no transactionId in the response")
    return answer


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
