"""Inspection and control routes of the fake golf course (``/_fake/golf/...``, no auth).

* ``GET  state``                    — course, clock, local time, lock TTL, booking window;
* ``GET  teesheet?date=YYYY-MM-DD`` — the whole generated sheet, full slots included;
* ``GET  reservations``             — every reservation made on this origin;
* ``POST reservations``             — seed one: ``{golferId, teeSheetId, numberOfPlayer}``;
* ``GET  locks``                    — live (unexpired) locks;
* ``GET  requests``                 — the last 200 API requests (method, path, query, headers, body).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulation.fakes._clock import utc_now
from emulation.fakes.golf_book import BookingError
from emulation.fakes.golf_teesheet import generate_sheet, slot_json

if TYPE_CHECKING:
    from emulation.fakes.golf import CourseApi

CONTROL = "/_fake/golf"


class _SeedReservation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    golferId: int
    teeSheetId: int
    numberOfPlayer: int = Field(default=1, ge=1, le=4)
    acct: str = ""
    email: str = ""


def control_routes(api: CourseApi) -> list[Route]:
    book, course = api.book, api.course

    async def state(_: Request) -> Response:
        return JSONResponse({
            "course": asdict(course),
            "now": utc_now(book.clock).isoformat(),
            "localNow": book.local_now().isoformat(),
            "lockTtlSeconds": book.lock_ttl.total_seconds(),
            "bookingWindowDays": book.booking_window_days,
        })

    async def teesheet(request: Request) -> Response:
        try:
            day = date.fromisoformat(request.query_params.get("date", ""))
        except ValueError:
            return JSONResponse({"error": "date=YYYY-MM-DD is required"}, status_code=400)
        slots = [
            {**slot_json(course, s, book.booked(s), book.available(s)), "prebooked": s.prebooked}
            for s in generate_sheet(course, day)
        ]
        return JSONResponse({"courseId": course.course_id, "date": day.isoformat(), "slots": slots})

    async def reservations(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"reservations": [r.to_dict() for r in book.reservations]})
        try:
            body = _SeedReservation.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400)
        try:
            made = book.add_reservation(golfer_id=body.golferId, tee_sheet_id=body.teeSheetId,
                                        players=body.numberOfPlayer, acct=body.acct, email=body.email)
        except BookingError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return JSONResponse(made.to_dict(), status_code=201)

    async def locks(_: Request) -> Response:
        live = [{**asdict(lock), "expires_at": lock.expires_at.isoformat()} for lock in book.live_locks()]
        return JSONResponse({"locks": live})

    async def requests(_: Request) -> Response:
        return JSONResponse({"requests": list(api.requests)})

    return [
        Route(f"{CONTROL}/state", state, methods=["GET"]),
        Route(f"{CONTROL}/teesheet", teesheet, methods=["GET"]),
        Route(f"{CONTROL}/reservations", reservations, methods=["GET", "POST"]),
        Route(f"{CONTROL}/locks", locks, methods=["GET"]),
        Route(f"{CONTROL}/requests", requests, methods=["GET"]),
    ]
