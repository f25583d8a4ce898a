"""Fake of one cps.golf course origin (e.g. ``https://birdsfoot.cps.golf``): the online-reservation
API of reference §6.2 and, on the same origin, its identity server (``emulation.fakes.identity``).

API routes, under ``/onlineres/onlineapi/api/v1/onlinereservation/``, all requiring
``Authorization: Bearer <jwt>`` issued by this origin's identity server (else 401 JSON):

* ``GET TeeTimes`` — query as §6.2.2; a JSON array of open slots with room for ``numberOfPlayer``,
  or ``{"messageKey": "NO_TEETIMES", ...}`` when there are none;
* ``POST LockTeeTimes`` → ``{teeSheetIds, sessionId, error, warning}``; ``warning`` says
  "You already have a reservation ..." when the golfer has one that day; ``error`` when full;
* ``POST TeeTimePricesCalculation`` → the §6.2.3 pricing body with ``transactionId`` and ``summaryDetail``;
* ``POST ReserveTeeTimes`` → ``{reservationId, bookingIds, confirmationKey, reservationResult, bookingGolferId}``;
* ``GET UpcomingReservation?golferId=&pageSize=&currentPage=`` → ``{items, totalItems, currentPage, totalPages, pageSize}``.

Inspection/controls (no auth): ``GET /_fake/golf/state``, ``GET /_fake/golf/teesheet?date=YYYY-MM-DD``,
``GET|POST /_fake/golf/reservations``, ``GET /_fake/golf/locks``, ``GET /_fake/golf/requests``; plus the
identity controls and the shared fault routes (``/_fake/faults``, ``/_fake/reset``).

LIMITATIONS:
* Stricter than the real API: every §6.2.2 query parameter is required; the POST routes require
  ``Content-Type: application/json`` and an ``x-websiteid`` equal to the course's; the ``golferId``/
  ``acct``/``email`` sent in bodies and queries must match the token (403/400 otherwise).
* ``maxPlayer`` is the number of places still open, ``participants`` those already booked.
* Every slot is 18 holes with 9 allowed (``holesDisplay: "9 or 18"``); ``holes`` in the query is
  validated but does not filter. No carts, coupons, member rates, packages, deposits or payment.
* ``reservationResult`` failure codes (2 lock missing/expired, 3 transaction missing, 4 sold out)
  are the fake's own; the real codes are not documented.
* No cancellation, no reservation history, no weather closures; one course per origin.
"""

from __future__ import annotations

import collections
import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulation.fakes._clock import Clock, SystemClock
from emulation.fakes.faults import FaultMiddleware, Faults
from emulation.fakes.golf_book import BookingError, GolfBook
from emulation.fakes.golf_control import control_routes
from emulation.fakes.golf_teesheet import BIRDSFOOT, FakeCourse, slot_json
from emulation.fakes.golf_wire import (
    LockRequest,
    PricingRequest,
    ReserveRequest,
    pricing_json,
    problem,
    reservation_item_json,
    reserve_json,
    validation_problem,
)
from emulation.fakes.identity import DEFAULT_AUDIENCE, DEFAULT_USERS, FakeUser, IdentityServer, TokenRejected

API = "/onlineres/onlineapi/api/v1/onlinereservation"
TEE_TIMES_QUERY = (
    "searchDate", "holes", "numberOfPlayer", "courseIds", "searchTimeType", "teeSheetSearchView",
    "classCode", "defaultOnlineRate", "isUseCapacityPricing", "memberStoreId", "searchType",
)


class Golfer:
    """The signed-in golfer, from the verified token."""

    def __init__(self, claims: dict[str, Any]) -> None:
        self.golfer_id = int(claims["golferId"])
        self.acct = str(claims["acct"])
        self.email = str(claims["email"])


class _Reject(Exception):
    """Answer the request with ``status`` and the JSON ``body`` (and ``headers``)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers


def _bad(message: str, field: str = "$", status: int = 400) -> _Reject:
    return _Reject(status, problem(status, message, {field: [message]}))


def _int(query: Any, name: str, low: int, high: int) -> int:
    try:
        value = int(query[name])
    except (TypeError, ValueError) as exc:
        raise _bad(f"The value '{query[name]}' is not valid for {name}.", name) from exc
    if not low <= value <= high:
        raise _bad(f"{name} must be between {low} and {high}.", name)
    return value


def _search_date(raw: str) -> datetime:
    try:
        parsed = datetime.strptime(raw.strip(), "%a %b %d %Y")
    except ValueError as exc:
        raise _bad(f"The value '{raw}' is not valid for searchDate.", "searchDate") from exc
    if parsed.strftime("%a") != raw.strip()[:3]:
        raise _bad(f"The day of the week in '{raw}' is incorrect.", "searchDate")
    return parsed


class CourseApi:
    """Route handlers of the golf API for one course."""

    def __init__(self, course: FakeCourse, book: GolfBook, identity: IdentityServer) -> None:
        self.course, self.book, self.identity = course, book, identity
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=200)

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/TeeTimes", self._wrap(self.tee_times), methods=["GET"]),
            Route(f"{API}/LockTeeTimes", self._wrap(self.lock, body=True), methods=["POST"]),
            Route(f"{API}/TeeTimePricesCalculation", self._wrap(self.price, body=True), methods=["POST"]),
            Route(f"{API}/ReserveTeeTimes", self._wrap(self.reserve, body=True), methods=["POST"]),
            Route(f"{API}/UpcomingReservation", self._wrap(self.upcoming), methods=["GET"]),
        ]

    def _wrap(self, handler: Callable[..., Awaitable[Any]], body: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            self._record(request, raw)
            try:
                golfer = self._authenticate(request)
                if not body:
                    return JSONResponse(await handler(request, golfer))
                if not request.headers.get("content-type", "").startswith("application/json"):
                    raise _Reject(415, problem(415, "Unsupported Media Type"))
                if request.headers.get("x-websiteid", "").lower() != self.course.website_id:
                    raise _bad("x-websiteid header is missing or does not match this site.", "x-websiteid")
                try:
                    payload = json.loads(raw or b"null")
                except json.JSONDecodeError as exc:
                    raise _bad(f"The JSON value could not be converted: {exc.msg}") from exc
                return JSONResponse(await handler(payload, golfer))
            except _Reject as exc:
                return JSONResponse(exc.body, status_code=exc.status, headers=exc.headers)
            except ValidationError as exc:
                return JSONResponse(validation_problem(exc), status_code=400)
            except BookingError as exc:
                return JSONResponse(problem(exc.status, exc.message), status_code=exc.status)

        return endpoint

    def _record(self, request: Request, raw: bytes) -> None:
        try:
            parsed: Any = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            parsed = raw.decode("utf-8", errors="replace")
        self.requests.append({
            "method": request.method, "path": request.url.path, "query": dict(request.query_params),
            "headers": dict(request.headers), "body": parsed,
        })

    def _authenticate(self, request: Request) -> Golfer:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        reason = "missing bearer token" if scheme.lower() != "bearer" or not token.strip() else None
        if reason is None:
            try:
                return Golfer(self.identity.verify(token.strip()))
            except TokenRejected as exc:
                reason = str(exc)
            except (KeyError, ValueError) as exc:
                reason = f"bad golfer claims: {exc}"
        www = f'Bearer error="invalid_token", error_description="{reason}"'
        raise _Reject(401, {"error": "invalid_token", "error_description": reason}, {"WWW-Authenticate": www})

    # -- handlers ---------------------------------------------------------------------------------
    async def tee_times(self, request: Request, golfer: Golfer) -> Any:
        query = request.query_params
        missing = [name for name in TEE_TIMES_QUERY if name not in query]
        if missing:
            raise _Reject(400, problem(400, "One or more validation errors occurred.",
                                       {name: [f"The {name} field is required."] for name in missing}))
        day = _search_date(query["searchDate"]).date()
        players = _int(query, "numberOfPlayer", 1, 4)
        if _int(query, "holes", 0, 18) not in (0, 9, 18):
            raise _bad("holes must be 0, 9 or 18.", "holes")
        try:
            course_ids = {int(part) for part in query["courseIds"].split(",") if part.strip()}
        except ValueError as exc:
            raise _bad(f"The value '{query['courseIds']}' is not valid for courseIds.", "courseIds") from exc
        rows = self.book.search(day, players) if self.course.course_id in course_ids else []
        if not rows:
            return {
                "messageKey": "NO_TEETIMES",
                "messageTemplate": "No tee times available",
                "messageDetail": f"<p>There are no tee times available on {query['searchDate']}.</p>",
            }
        return [slot_json(self.course, slot, participants, available) for slot, participants, available in rows]

    def _same_golfer(self, golfer: Golfer, golfer_id: int) -> None:
        if golfer_id != golfer.golfer_id:
            raise _Reject(403, problem(403, "golferId does not match the signed-in golfer."))

    async def lock(self, payload: Any, golfer: Golfer) -> Any:
        req = LockRequest.model_validate(payload)
        self._same_golfer(golfer, req.golferId)
        outcome = self.book.lock(golfer_id=golfer.golfer_id, email=req.email, session_id=req.sessionId,
                                 tee_sheet_ids=req.teeSheetIds, players=req.numberOfPlayer)
        return {"teeSheetIds": outcome.tee_sheet_ids, "sessionId": req.sessionId,
                "error": outcome.error, "warning": outcome.warning}

    async def price(self, payload: Any, golfer: Golfer) -> Any:
        req = PricingRequest.model_validate(payload)
        first = req.bookingList[0]
        self._same_golfer(golfer, first.golferId)
        if first.acct != golfer.acct:
            raise _Reject(403, problem(403, "acct does not match the signed-in golfer."))
        slot, tx = self.book.price(golfer_id=golfer.golfer_id, acct=golfer.acct, tee_sheet_id=req.selectedTeeSheetId,
                                   players=req.numberOfPlayer, holes=req.holes)
        return pricing_json(self.course, slot, tx, self.book.booked(slot), self.book.available(slot))

    async def reserve(self, payload: Any, golfer: Golfer) -> Any:
        req = ReserveRequest.model_validate(payload)
        sale = req.finalizeSaleModel
        if sale.acct != golfer.acct:
            raise _Reject(403, problem(403, "acct does not match the signed-in golfer."))
        if sale.creditCardInfo.email.lower() != golfer.email.lower():
            raise _bad("creditCardInfo.email does not match the signed-in golfer.", "finalizeSaleModel.creditCardInfo.email")
        result, reservation = self.book.reserve(golfer_id=golfer.golfer_id, acct=golfer.acct, email=golfer.email,
                                                session_id=req.lockedTeeTimesSessionId, transaction_id=req.transactionId)
        return reserve_json(result, reservation, golfer.golfer_id)

    async def upcoming(self, request: Request, golfer: Golfer) -> Any:
        query = request.query_params
        missing = [name for name in ("golferId", "pageSize", "currentPage") if name not in query]
        if missing:
            raise _bad(f"The {missing[0]} field is required.", missing[0])
        self._same_golfer(golfer, _int(query, "golferId", 1, 2**31 - 1))
        size, page = _int(query, "pageSize", 1, 100), _int(query, "currentPage", 1, 10_000)
        mine = self.book.upcoming(golfer.golfer_id)
        items = [reservation_item_json(r) for r in mine[(page - 1) * size : page * size]]
        return {"items": items, "totalItems": len(mine), "currentPage": page,
                "totalPages": math.ceil(len(mine) / size), "pageSize": size}


def create_course_origin_app(
    course: FakeCourse = BIRDSFOOT,
    users: tuple[FakeUser, ...] | list[FakeUser] = DEFAULT_USERS,
    clock: Clock | None = None,
    *,
    public_origin: str | None = None,
    audience: str = DEFAULT_AUDIENCE,
    lock_ttl: timedelta = timedelta(minutes=5),
    booking_window_days: int = 14,
    faults: Faults | None = None,
    key_size: int = 2048,
) -> Starlette:
    """One course origin: identity server + golf API + controls, wrapped in fault injection.

    ``public_origin`` (default ``course.origin``) is the base URL the fake reports (``iss``,
    discovery document); pass ``http://127.0.0.1:<port>`` when serving it on a port. Handles:
    ``app.state.identity``, ``app.state.golf`` (the ``GolfBook``), ``app.state.api``,
    ``app.state.faults``, ``app.state.course``.
    """
    clock = clock or SystemClock()
    identity = IdentityServer(public_origin=public_origin or course.origin, users=users, clock=clock,
                              audience=audience, key_size=key_size)
    book = GolfBook(course, clock, lock_ttl=lock_ttl, booking_window_days=booking_window_days)
    api = CourseApi(course, book, identity)
    faults = faults if faults is not None else Faults()

    def reset() -> None:
        book.reset()
        identity.reset()
        api.requests.clear()

    app = Starlette(
        routes=identity.routes() + api.routes() + control_routes(api),
        middleware=[Middleware(FaultMiddleware, faults=faults, on_reset=reset)],
    )
    app.state.identity, app.state.golf, app.state.api = identity, book, api
    app.state.faults, app.state.course = faults, course
    return app

