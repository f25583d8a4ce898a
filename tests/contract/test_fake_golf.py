"""The fake cps.golf course origin against the reference §6.2 wire contract."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from emulation.fakes._clock import ManualClock
from emulation.fakes.golf import API, TEE_TIMES_QUERY, create_course_origin_app
from emulation.fakes.golf_teesheet import BIRDSFOOT, COURSES, TOTTERIDGE
from emulation.fakes.identity import DEFAULT_SCOPES, DEFAULT_USERS
from emulation.fakes.serve import serve_app

GOLFER, PARTNER = DEFAULT_USERS
SATURDAY = "Sat Nov 15 2025"  # the clock starts Fri 2025-11-14 08:00 America/New_York


class Golf:
    """Speaks to the fake exactly as the original client does (reference §6.2, §7.1)."""

    def __init__(self, client: TestClient, course=BIRDSFOOT, user=GOLFER) -> None:
        self.client, self.course, self.user = client, course, user
        self.token = self.login()

    def login(self) -> str:
        response = self.client.post(
            "/identityapi/connect/token",
            data={"grant_type": "password", "username": self.user.username, "password": self.user.password,
                  "scope": DEFAULT_SCOPES},
            headers={"client-id": "onlineresweb", "origin": self.course.origin},
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def headers(self, **extra: str) -> dict[str, str]:
        return {"accept": "application/json, text/plain, */*", "authorization": f"Bearer {self.token}",
                "client-id": "onlineresweb", "x-componentid": "1", "x-websiteid": self.course.website_id, **extra}

    def search(self, date: str = SATURDAY, players: int = 1, **overrides: Any) -> httpx.Response:
        query = {"searchDate": date, "holes": 0, "numberOfPlayer": players, "courseIds": self.course.course_id,
                 "searchTimeType": 0, "teeSheetSearchView": 5, "classCode": "R", "defaultOnlineRate": "N",
                 "isUseCapacityPricing": "false", "memberStoreId": 1, "searchType": 1, **overrides}
        return self.client.get(f"{API}/TeeTimes", params={k: v for k, v in query.items() if v is not None},
                               headers=self.headers())

    def slots(self, date: str = SATURDAY, players: int = 1) -> list[dict[str, Any]]:
        body = self.search(date, players).json()
        assert isinstance(body, list), body
        return body

    def lock(self, tee_sheet_id: int, players: int = 1, session_id: str | None = None) -> httpx.Response:
        body = {"teeSheetIds": [tee_sheet_id], "email": self.user.email, "action": "Online Reservation V5",
                "sessionId": session_id or str(uuid.uuid4()), "golferId": self.user.golfer_id, "classCode": "R",
                "numberOfPlayer": players, "navigateUrl": "", "isGroupBooking": False}
        return self.client.post(f"{API}/LockTeeTimes", json=body, headers=self.headers())

    def price(self, tee_sheet_id: int, players: int = 1) -> httpx.Response:
        body = {"selectedTeeSheetId": tee_sheet_id,
                "bookingList": [{"teeSheetId": tee_sheet_id, "holes": 18, "participantNo": 1,
                                 "golferId": self.user.golfer_id, "rateCode": "N", "isUnAssignedPlayer": False,
                                 "memberClassCode": "R", "memberStoreId": "1", "cartType": 1, "playerId": "0",
                                 "acct": self.user.acct, "isGuestOf": False, "isUseCapacityPricing": False}],
                "holes": 18, "numberOfPlayer": players, "numberOfRider": 1, "cartType": 1, "coupon": None,
                "depositType": 0, "depositAmount": 0, "selectedValuePackageCode": None,
                "isUseCapacityPricing": False, "thirdPartyId": None, "ibxCardOnFile": None, "transactionId": None}
        return self.client.post(f"{API}/TeeTimePricesCalculation", json=body,
                                headers=self.headers(**{"x-ismobile": "true", "x-moduleid": "7"}))

    def reserve(self, session_id: str, transaction_id: str) -> httpx.Response:
        origin = self.course.origin
        body = {"cancelReservationLink": f"{origin}/onlineresweb/auth/verify-email?returnUrl=cancel-booking",
                "homePageLink": f"{origin}/onlineresweb", "affiliateId": None,
                "finalizeSaleModel": {"acct": self.user.acct, "playerId": 0, "isGuest": False,
                                      "creditCardInfo": {"cardNumber": None, "cardHolder": None, "expireMM": None,
                                                         "expireYY": None, "cvv": None, "email": self.user.email,
                                                         "cardToken": None},
                                      "monerisCC": None, "ibxCC": None},
                "sessionGuid": None, "lockedTeeTimesSessionId": session_id, "transactionId": transaction_id}
        return self.client.post(f"{API}/ReserveTeeTimes", json=body, headers=self.headers())

    def upcoming(self, page_size: int = 14, page: int = 1, golfer_id: int | None = None) -> httpx.Response:
        query = {"golferId": golfer_id or self.user.golfer_id, "pageSize": page_size, "currentPage": page}
        return self.client.get(f"{API}/UpcomingReservation", params=query, headers=self.headers())

    def book(self, tee_sheet_id: int, players: int = 1) -> dict[str, Any]:
        session_id = str(uuid.uuid4())
        lock = self.lock(tee_sheet_id, players, session_id).json()
        assert lock["error"] is None, lock
        pricing = self.price(tee_sheet_id, players).json()
        result = self.reserve(session_id, pricing["transactionId"]).json()
        assert result["reservationResult"] == 1, result
        return result


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock):
    return create_course_origin_app(BIRDSFOOT, clock=clock)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, base_url=BIRDSFOOT.origin)


@pytest.fixture
def golf(client) -> Golf:
    return Golf(client)


SLOT_FIELDS = {
    "teeSheetId": int, "startTime": str, "courseTimeId": int, "startingTee": int, "participants": int,
    "courseId": int, "courseDate": str, "defaultRateCode": str, "teeTypeId": int, "holes": int, "defaultHoles": int,
    "siteId": int, "courseName": str, "shItemPrices": list, "holesDisplay": str, "playersDisplay": str,
    "minPlayer": int, "maxPlayer": int, "availableParticipantNo": list, "defaultClassCode": str, "teeSuffix": str,
}
PRICE_FIELDS = {"itemGuid": str, "shItemCode": str, "itemCode": str, "price": float, "taxInclusivePrice": float,
                "taxCode": str, "itemDesc": str, "classCode": str, "rateCode": str, "currentPrice": float,
                "priceType": int, "priceTypeName": str}


def assert_fields(obj: dict[str, Any], fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        assert name in obj, f"missing {name}"
        assert isinstance(obj[name], kind) and not isinstance(obj[name], bool), f"{name}={obj[name]!r}"


def test_tee_times_shape(golf):
    slots = golf.slots(players=2)
    assert 20 < len(slots) < 80
    for slot in slots:
        assert_fields(slot, SLOT_FIELDS)
        assert "crossOverTeeSheetId" in slot
        assert slot["startTime"].startswith("2025-11-15T") and len(slot["startTime"]) == 19
        assert slot["courseName"] == "Birdsfoot Golf Course" and slot["courseId"] == 1
        assert slot["maxPlayer"] >= 2 and slot["participants"] + slot["maxPlayer"] <= 4
        assert slot["availableParticipantNo"] == list(range(1, slot["maxPlayer"] + 1))
        green18 = [p for p in slot["shItemPrices"] if p["shItemCode"] == "GreenFee18"]
        assert len(green18) == 1
        for price in slot["shItemPrices"]:
            assert_fields(price, PRICE_FIELDS)
    times = [s["startTime"] for s in slots]
    assert times == sorted(times) and times[0][11:16] >= "07:00" and times[-1][11:16] <= "17:00"


def test_only_slots_with_room_for_the_party(golf, client):
    sheet = client.get("/_fake/golf/teesheet", params={"date": "2025-11-15"}).json()["slots"]
    for players in (1, 2, 3, 4):
        expected = [s["teeSheetId"] for s in sheet if s["maxPlayer"] >= players]
        assert [s["teeSheetId"] for s in golf.slots(players=players)] == expected
    assert any(s["maxPlayer"] == 0 for s in sheet)  # some slots are full and never listed


def test_sheet_is_deterministic_per_course_and_date(golf, clock):
    other = Golf(TestClient(create_course_origin_app(BIRDSFOOT, clock=clock), base_url=BIRDSFOOT.origin))
    assert golf.slots() == other.slots()
    assert golf.slots("Sun Nov 16 2025") != golf.slots()
    totteridge = Golf(TestClient(create_course_origin_app(TOTTERIDGE, clock=clock), base_url=TOTTERIDGE.origin),
                      course=TOTTERIDGE)
    assert [s["startTime"] for s in totteridge.slots()] != [s["startTime"] for s in golf.slots()]
    assert {s["courseName"] for s in totteridge.slots()} == {"Totteridge"}


def test_past_slots_and_days_are_not_offered(golf):
    today = golf.slots("Fri Nov 14 2025")
    assert today and all(s["startTime"] > "2025-11-14T08:00:00" for s in today)
    for date in ("Thu Nov 13 2025", "Sat Dec 20 2025"):  # yesterday; beyond the 14-day window
        body = golf.search(date).json()
        assert not isinstance(body, list) and body["messageKey"] == "NO_TEETIMES"


def test_no_tee_times_body_is_not_an_array(golf):
    response = golf.search(courseIds=99)
    assert response.status_code == 200
    assert not isinstance(response.json(), list)
    assert "NO_TEETIMES" in response.text


@pytest.mark.parametrize(
    "overrides",
    [{"searchDate": None}, {"searchType": None}, {"searchDate": "2025-11-15"}, {"searchDate": "Sun Nov 15 2025"},
     {"numberOfPlayer": 5}, {"numberOfPlayer": 0}, {"holes": 12}, {"courseIds": "one"}],
)
def test_tee_times_rejects_bad_queries(golf, overrides):
    response = golf.search(**overrides)
    assert response.status_code == 400
    assert response.json()["status"] == 400 and response.json()["errors"]


def test_all_documented_query_params_are_required(golf):
    for name in TEE_TIMES_QUERY:
        assert golf.search(**{name: None}).status_code == 400, name


def test_full_booking_flow(golf):
    slot = golf.slots(players=2)[0]
    session_id = str(uuid.uuid4())

    lock = golf.lock(slot["teeSheetId"], 2, session_id)
    assert lock.status_code == 200
    assert lock.json() == {"teeSheetIds": [slot["teeSheetId"]], "sessionId": session_id, "error": None, "warning": None}

    pricing = golf.price(slot["teeSheetId"], 2).json()
    for name in ("teeSheetId", "startTime", "courseTimeId", "startingTee", "participants", "courseId", "courseDate",
                 "teeTypeId", "holes", "defaultHoles", "siteId", "courseName", "courseNameIncludeCrossOver",
                 "shItemPrices", "shItemPricesGroup", "holesDisplay", "playersDisplay", "minPlayer", "maxPlayer",
                 "availableParticipantNo", "summaryDetail", "playersRateCode", "playerNames", "blockTexts",
                 "defaultClassCode", "transactionId"):
        assert name in pricing, name
    assert pricing["startTime"] == slot["startTime"] and pricing["holes"] == 18
    assert pricing["courseName"] == "Birdsfoot Golf Course"
    assert [p["participantNo"] for p in pricing["shItemPrices"]] == [1, 2]
    for key in ("qty", "itemCode", "itemDesc", "price", "taxInclusivePrice", "taxCode", "extendedPrice", "rateCodes",
                "classCodes", "priceBeforeDiscount", "taxInclusivePriceBeforeDiscount", "priceTypes",
                "priceTypeNames", "storeIds"):
        assert key in pricing["shItemPricesGroup"][0], key
    fee = next(p for p in slot["shItemPrices"] if p["shItemCode"] == "GreenFee18")
    summary = pricing["summaryDetail"]
    assert summary["subTotal"] == pytest.approx(2 * fee["price"])
    assert summary["total"] == pytest.approx(2 * fee["taxInclusivePrice"]) == summary["totalDueAtCourse"]

    result = golf.reserve(session_id, pricing["transactionId"]).json()
    assert set(result) == {"reservationId", "bookingIds", "confirmationKey", "reservationResult", "bookingGolferId"}
    assert result["reservationResult"] == 1 and isinstance(result["reservationId"], int)
    assert len(result["bookingIds"]) == 2 and result["bookingGolferId"] == GOLFER.golfer_id
    assert isinstance(result["confirmationKey"], str) and result["confirmationKey"]

    upcoming = golf.upcoming().json()
    assert upcoming["totalItems"] == 1 and upcoming["currentPage"] == 1 and upcoming["totalPages"] == 1
    item = upcoming["items"][0]
    assert (item["reservationId"], item["startTime"], item["numberOfPlayer"], item["reservationConfirmKey"]) == (
        result["reservationId"], slot["startTime"], 2, result["confirmationKey"])
    assert item["courseName"] == "Birdsfoot Golf Course"


def test_booking_consumes_capacity(golf):
    slot = next(s for s in golf.slots() if s["maxPlayer"] == 4)
    golf.book(slot["teeSheetId"], 3)
    after = {s["teeSheetId"]: s for s in golf.slots()}[slot["teeSheetId"]]
    assert (after["participants"], after["maxPlayer"]) == (3, 1)
    assert slot["teeSheetId"] not in {s["teeSheetId"] for s in golf.slots(players=2)}


def test_second_booking_same_day_warns(golf):
    first, second = golf.slots(players=1)[:2]
    golf.book(first["teeSheetId"])
    lock = golf.lock(second["teeSheetId"]).json()
    assert lock["warning"] and "already have a reservation" in lock["warning"]
    assert lock["error"] is None
    other_day = golf.slots("Sun Nov 16 2025")[0]
    assert golf.lock(other_day["teeSheetId"]).json()["warning"] is None


def test_locking_a_full_slot_sets_error(golf, client):
    sheet = client.get("/_fake/golf/teesheet", params={"date": "2025-11-15"}).json()["slots"]
    full = next(s for s in sheet if s["maxPlayer"] == 0)
    body = golf.lock(full["teeSheetId"]).json()
    assert body["error"] and body["teeSheetIds"] == []
    assert golf.lock(999_999_999).json()["error"]


def test_lock_holds_places_until_it_expires(golf, client, clock):
    partner = Golf(client, user=PARTNER)
    slot = next(s for s in golf.slots() if s["maxPlayer"] == 2)
    assert golf.lock(slot["teeSheetId"], 2).json()["error"] is None
    assert partner.lock(slot["teeSheetId"], 1).json()["error"]
    assert slot["teeSheetId"] not in {s["teeSheetId"] for s in partner.slots()}
    assert len(client.get("/_fake/golf/locks").json()["locks"]) == 1
    clock.advance(minutes=5)
    assert client.get("/_fake/golf/locks").json()["locks"] == []
    assert partner.lock(slot["teeSheetId"], 1).json()["error"] is None


def test_expired_lock_cannot_be_priced_or_reserved(golf, clock):
    slot = golf.slots()[0]
    session_id = str(uuid.uuid4())
    golf.lock(slot["teeSheetId"], 1, session_id)
    pricing = golf.price(slot["teeSheetId"]).json()
    clock.advance(minutes=5, seconds=1)
    assert golf.reserve(session_id, pricing["transactionId"]).json()["reservationResult"] == 2
    assert golf.price(slot["teeSheetId"]).status_code == 400
    assert golf.upcoming().json()["totalItems"] == 0


def test_price_requires_a_lock_and_reserve_a_transaction(golf):
    slot = golf.slots()[0]
    assert golf.price(slot["teeSheetId"]).status_code == 400
    session_id = str(uuid.uuid4())
    golf.lock(slot["teeSheetId"], 1, session_id)
    assert golf.reserve(session_id, str(uuid.uuid4())).json()["reservationResult"] == 3
    assert golf.reserve(str(uuid.uuid4()), str(uuid.uuid4())).json()["reservationId"] == 0


def test_relocking_same_session_replaces_lock(golf, client):
    first, second = golf.slots()[:2]
    session_id = str(uuid.uuid4())
    golf.lock(first["teeSheetId"], 1, session_id)
    golf.lock(second["teeSheetId"], 1, session_id)
    locks = client.get("/_fake/golf/locks").json()["locks"]
    assert [lock["tee_sheet_ids"] for lock in locks] == [[second["teeSheetId"]]]


def test_upcoming_pagination_and_past_reservations(golf, client, clock):
    for slot in golf.slots()[:3]:
        golf.book(slot["teeSheetId"])
    page = golf.upcoming(page_size=2, page=2).json()
    assert (page["totalItems"], page["totalPages"], page["currentPage"], len(page["items"])) == (3, 2, 2, 1)
    clock.advance(days=2)
    golf.token = golf.login()
    assert golf.upcoming().json() == {"items": [], "totalItems": 0, "currentPage": 1, "totalPages": 0, "pageSize": 14}


# -- authentication -----------------------------------------------------------------------------------


def api_calls(golf: Golf) -> list[httpx.Response]:
    slot_id = 102_145_001
    return [golf.search(), golf.lock(slot_id), golf.price(slot_id), golf.reserve("s", "t"), golf.upcoming()]


def assert_all_401(golf: Golf) -> None:
    for response in api_calls(golf):
        assert response.status_code == 401, response.request.url
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("token", ["", "not-a-jwt", "eyJhbGciOiJub25lIn0.e30."])
def test_missing_or_garbage_token_is_401(golf, token):
    golf.token = token
    assert_all_401(golf)


@pytest.mark.parametrize("defect", ["expired", "not_yet_valid", "unknown_key", "bad_signature", "wrong_issuer",
                                    "wrong_audience"])
def test_defective_tokens_are_401(golf, client, defect):
    client.post("/_fake/identity/token-defects", json={"defects": [defect], "count": 1})
    golf.token = golf.login()
    assert_all_401(golf)


def test_token_expires_with_the_injected_clock(golf, clock):
    assert golf.search().status_code == 200
    clock.advance(hours=1, minutes=4)  # within ASP.NET's 5-minute clock skew
    assert golf.search().status_code == 200
    clock.advance(minutes=1)
    assert golf.search().status_code == 401
    assert "expired" in golf.search().json()["error_description"]


def test_rotated_keys_invalidate_old_tokens(golf, client):
    client.post("/_fake/identity/rotate-keys")
    assert_all_401(golf)
    golf.token = golf.login()
    assert golf.search().status_code == 200


def test_token_of_another_origin_is_401(golf, clock):
    other = Golf(TestClient(create_course_origin_app(TOTTERIDGE, clock=clock), base_url=TOTTERIDGE.origin),
                 course=TOTTERIDGE)
    golf.token = other.token
    assert_all_401(golf)


def test_golf_api_keeps_working_while_identity_is_down(golf, client):
    client.post("/_fake/identity/down")
    assert client.post("/identityapi/connect/token", data={"grant_type": "password"}).status_code == 503
    assert golf.search().status_code == 200


def test_claims_must_match_the_request(golf):
    assert golf.upcoming(golfer_id=PARTNER.golfer_id).status_code == 403
    golf.user = PARTNER  # bodies now carry the partner's golferId/acct/email, the token is still the golfer's
    assert golf.lock(golf.slots()[0]["teeSheetId"]).status_code == 403
    assert golf.price(golf.slots()[0]["teeSheetId"]).status_code == 403
    assert golf.reserve("s", "t").status_code == 403


def test_post_contract_checks(golf, client):
    url = f"{API}/LockTeeTimes"
    assert client.post(url, json={"teeSheetIds": [1]}, headers=golf.headers()).json()["errors"]
    assert client.post(url, content="{", headers=golf.headers(**{"content-type": "application/json"})).status_code == 400
    assert client.post(url, content="x", headers=golf.headers(**{"content-type": "text/plain"})).status_code == 415
    assert client.post(url, json={}, headers=golf.headers(**{"x-websiteid": TOTTERIDGE.website_id})).status_code == 400


# -- inspection and controls ------------------------------------------------------------------------------


def test_inspection_routes(golf, client, clock):
    result = golf.book(golf.slots()[0]["teeSheetId"], 2)
    reservations = client.get("/_fake/golf/reservations").json()["reservations"]
    assert [r["reservation_id"] for r in reservations] == [result["reservationId"]]
    assert reservations[0]["golfer_id"] == GOLFER.golfer_id and reservations[0]["players"] == 2
    logged = client.get("/_fake/golf/requests").json()["requests"]
    assert [r["path"].rsplit("/", 1)[-1] for r in logged] == [
        "TeeTimes", "LockTeeTimes", "TeeTimePricesCalculation", "ReserveTeeTimes"]
    assert logged[1]["headers"]["x-websiteid"] == BIRDSFOOT.website_id and logged[1]["body"]["numberOfPlayer"] == 2
    state = client.get("/_fake/golf/state").json()
    assert state["course"]["website_id"] == BIRDSFOOT.website_id and state["localNow"] == "2025-11-14T08:00:00"
    assert client.get("/_fake/golf/teesheet").status_code == 400


def test_seed_reservation_control(golf, client):
    slot = golf.slots()[0]
    made = client.post("/_fake/golf/reservations",
                       json={"golferId": GOLFER.golfer_id, "teeSheetId": slot["teeSheetId"], "numberOfPlayer": 1})
    assert made.status_code == 201
    assert golf.upcoming().json()["items"][0]["reservationId"] == made.json()["reservation_id"]
    assert "already have a reservation" in golf.lock(golf.slots()[1]["teeSheetId"]).json()["warning"]
    full = client.post("/_fake/golf/reservations",
                       json={"golferId": 1, "teeSheetId": slot["teeSheetId"], "numberOfPlayer": 4})
    assert full.status_code == 409


def test_reset_clears_bookings_locks_and_identity_controls(golf, client):
    golf.book(golf.slots()[0]["teeSheetId"])
    golf.lock(golf.slots()[1]["teeSheetId"])
    client.post("/_fake/identity/down")
    assert client.post("/_fake/reset").status_code == 200
    assert client.get("/_fake/golf/reservations").json() == {"reservations": []}
    assert client.get("/_fake/golf/locks").json() == {"locks": []}
    assert client.get("/_fake/identity/state").json()["down"] is False
    assert golf.upcoming().json()["totalItems"] == 0  # keys kept: the old token still works


def test_golf_faults_through_the_origin(golf, client):
    client.post("/_fake/faults", json={"status": 500, "times": 1, "path_prefix": API})
    assert golf.login()  # identity is outside the prefix
    assert golf.search().status_code == 500
    assert golf.search().status_code == 200


def test_two_courses_match_course_config():
    assert [(c.course_id, c.name, c.website_id) for c in COURSES] == [
        (1, "Birdsfoot Golf Course", "94fa26b7-2e63-4cbc-99e5-08d7d7f41522"),
        (2, "Totteridge", "17691e46-9c9b-4e67-982f-08d7d8050db9"),
    ]
    assert [c.origin for c in COURSES] == ["https://birdsfoot.cps.golf", "https://totteridge.cps.golf"]


def test_served_origin_end_to_end(clock):
    make = lambda origin: create_course_origin_app(BIRDSFOOT, clock=clock, public_origin=origin)  # noqa: E731
    with serve_app(make) as served, httpx.Client(base_url=served.origin) as http:
        golf = Golf(http)  # type: ignore[arg-type]
        claims = jwt.decode(golf.token, options={"verify_signature": False})
        assert claims["iss"] == f"{served.origin}/identityapi"
        golf.book(golf.slots()[0]["teeSheetId"])
        assert golf.upcoming().json()["totalItems"] == 1
        served.app.state.identity.rotate_keys()
        assert golf.search().status_code == 401


def test_lock_ttl_is_configurable(clock):
    app = create_course_origin_app(BIRDSFOOT, clock=clock, lock_ttl=timedelta(minutes=1))
    golf = Golf(TestClient(app, base_url=BIRDSFOOT.origin))
    golf.lock(golf.slots()[0]["teeSheetId"])
    clock.advance(seconds=61)
    assert app.state.golf.live_locks() == []
