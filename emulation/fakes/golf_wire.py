"""Wire shapes of the fake cps.golf API (reference §6.2): request models and response builders.

Request models require the fields the reference documents as sent by the client and ignore
unknown ones, as an ASP.NET model binder does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulation.fakes.golf_book import Reservation, Transaction
from emulation.fakes.golf_teesheet import FakeCourse, Slot, price_item, slot_json, with_tax


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LockRequest(_Wire):
    teeSheetIds: list[int] = Field(min_length=1)
    email: str
    action: str
    sessionId: str = Field(min_length=1)
    golferId: int
    classCode: str
    numberOfPlayer: int = Field(ge=1, le=4)
    navigateUrl: str
    isGroupBooking: bool


class BookingListItem(_Wire):
    teeSheetId: int
    holes: int
    participantNo: int
    golferId: int
    rateCode: str
    isUnAssignedPlayer: bool = False
    memberClassCode: str
    memberStoreId: str
    cartType: int
    playerId: str
    acct: str
    isGuestOf: bool = False
    isUseCapacityPricing: bool = False


class PricingRequest(_Wire):
    selectedTeeSheetId: int
    bookingList: list[BookingListItem] = Field(min_length=1)
    holes: int
    numberOfPlayer: int = Field(ge=1, le=4)
    numberOfRider: int = 0
    cartType: int = 0
    coupon: str | None = None
    depositType: int = 0
    depositAmount: float = 0
    selectedValuePackageCode: str | None = None
    isUseCapacityPricing: bool = False
    thirdPartyId: str | None = None
    ibxCardOnFile: Any = None
    transactionId: str | None = None


class CreditCardInfo(_Wire):
    cardNumber: str | None = None
    cardHolder: str | None = None
    expireMM: str | None = None
    expireYY: str | None = None
    cvv: str | None = None
    email: str
    cardToken: str | None = None


class FinalizeSaleModel(_Wire):
    acct: str
    playerId: int
    isGuest: bool
    creditCardInfo: CreditCardInfo
    monerisCC: Any = None
    ibxCC: Any = None


class ReserveRequest(_Wire):
    cancelReservationLink: str
    homePageLink: str
    affiliateId: Any = None
    finalizeSaleModel: FinalizeSaleModel
    sessionGuid: str | None = None
    lockedTeeTimesSessionId: str = Field(min_length=1)
    transactionId: str = Field(min_length=1)


def problem(status: int, title: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """An ASP.NET Core ProblemDetails body."""
    body: dict[str, Any] = {"type": "https://tools.ietf.org/html/rfc7231#section-6.5.1", "title": title, "status": status}
    if errors:
        body["errors"] = errors
    return body


def validation_problem(exc: ValidationError) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "$"
        errors.setdefault(key, []).append(err["msg"])
    return problem(400, "One or more validation errors occurred.", errors)


def pricing_json(course: FakeCourse, slot: Slot, tx: Transaction, participants: int, available: int) -> dict[str, Any]:
    """TeeTimePricesCalculation response (reference §6.2.3 step 2)."""
    base = slot_json(course, slot, participants, available)
    item = price_item(course, slot, tx.holes)
    per_player = [
        {**item, "participantNo": n, "priceBeforeDiscount": item["price"],
         "taxInclusivePriceBeforeDiscount": item["taxInclusivePrice"], "extendedPrice": item["price"]}
        for n in range(1, tx.players + 1)
    ]
    group = {
        "qty": tx.players,
        "itemCode": item["itemCode"],
        "itemDesc": item["itemDesc"],
        "price": item["price"],
        "taxInclusivePrice": item["taxInclusivePrice"],
        "taxCode": item["taxCode"],
        "extendedPrice": tx.subtotal,
        "rateCodes": ["N"],
        "classCodes": ["R"],
        "priceBeforeDiscount": item["price"],
        "taxInclusivePriceBeforeDiscount": with_tax(item["price"]),
        "priceTypes": [1],
        "priceTypeNames": ["Online Rate"],
        "storeIds": [1],
    }
    keep = ("teeSheetId", "startTime", "courseTimeId", "startingTee", "participants", "courseId", "courseDate",
            "teeTypeId", "defaultHoles", "siteId", "courseName", "holesDisplay", "playersDisplay", "minPlayer",
            "maxPlayer", "availableParticipantNo", "defaultClassCode")
    return {
        **{k: base[k] for k in keep},
        "holes": tx.holes,
        "courseNameIncludeCrossOver": course.name,
        "shItemPrices": per_player,
        "shItemPricesGroup": [group],
        "summaryDetail": {"subTotal": tx.subtotal, "total": tx.total, "totalDueAtCourse": tx.total},
        "playersRateCode": ["N"] * tx.players,
        "playerNames": [f"Player {n}" for n in range(1, tx.players + 1)],
        "blockTexts": [],
        "transactionId": tx.transaction_id,
    }


def reserve_json(result: int, reservation: Reservation | None, golfer_id: int) -> dict[str, Any]:
    """ReserveTeeTimes response (reference §6.2.3 step 3)."""
    return {
        "reservationId": reservation.reservation_id if reservation else 0,
        "bookingIds": list(reservation.booking_ids) if reservation else [],
        "confirmationKey": reservation.confirmation_key if reservation else None,
        "reservationResult": result,
        "bookingGolferId": golfer_id,
    }


def reservation_item_json(reservation: Reservation) -> dict[str, Any]:
    """An UpcomingReservation item (reference §6.2.1) with a few extra fields a real item carries."""
    return {
        "reservationId": reservation.reservation_id,
        "startTime": reservation.start.strftime("%Y-%m-%dT%H:%M:%S"),
        "courseName": reservation.course_name,
        "numberOfPlayer": reservation.players,
        "reservationConfirmKey": reservation.confirmation_key,
        "teeSheetId": reservation.tee_sheet_id,
        "holes": reservation.holes,
        "bookingIds": list(reservation.booking_ids),
        "golferId": reservation.golfer_id,
    }
