"""Fake of NOAA's api.weather.gov gridpoint forecast.

* ``GET /gridpoints/{office}/{x},{y}/forecast`` → 200 ``application/geo+json``: ``type: Feature``,
  ``geometry``, ``properties {units, forecastGenerator, generatedAt, updateTime, updated, validTimes,
  elevation, periods[14]}``; each period has ``number, name, startTime, endTime, isDaytime,
  temperature, temperatureUnit, temperatureTrend, probabilityOfPrecipitation{unitCode, value},
  windSpeed, windDirection, icon, shortForecast, detailedForecast`` (see ``weather_forecast``).
* Unknown office, bad grid coordinates or any other path → 404 ``application/problem+json``
  ``{correlationId, title, type, status, detail, instance}``; a request without ``User-Agent`` → 403.

Controls (``/_fake/weather``): ``GET requests`` (last 200 requests with headers);
``POST overrides`` ``{office, x, y, periods: [{field: value}, ...]}`` merges fields into the
generated periods by position (e.g. force ``temperature: 20``); ``DELETE overrides``. The shared
``/_fake/faults`` and ``/_fake/reset`` routes come from ``emulation.fakes.faults``.

LIMITATIONS:
* Only the 12-hour ``/forecast`` endpoint: no ``/forecast/hourly``, ``/points``, alerts, stations,
  or ``units=si``; the response is always ``application/geo+json`` whatever ``Accept`` says.
* The weather is synthetic (seeded climatology), geometry and elevation are made up, and
  holiday period names ("Thanksgiving Day") are not used.
* ``probabilityOfPrecipitation.value`` is ``null`` when there is no chance of rain, as NOAA does.
* The office list is the NWS forecast offices with their main time zone.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulation.fakes._clock import Clock, SystemClock, utc_now
from emulation.fakes.faults import FaultMiddleware, Faults
from emulation.fakes.weather_forecast import OFFICE_TIMEZONES, build_forecast, correlation_id

MAX_GRID = 500
GEO_JSON = "application/geo+json"
PROBLEM_JSON = "application/problem+json"


class _OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    office: str
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    periods: list[dict[str, Any]]


class WeatherService:
    """State of the fake: request log and per-gridpoint overrides."""

    def __init__(self, clock: Clock, public_origin: str) -> None:
        self.clock = clock
        self.public_origin = public_origin.rstrip("/")
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=200)
        self.overrides: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.overrides.clear()

    def forecast(self, office: str, x: int, y: int) -> dict[str, Any]:
        doc = build_forecast(office, x, y, utc_now(self.clock), self.public_origin)
        with self._lock:
            patches = self.overrides.get((office, x, y), [])
        for period, patch in zip(doc["properties"]["periods"], patches, strict=False):
            period.update(patch)
        return doc

    def problem(self, request: Request, status: int, title: str, kind: str, detail: str) -> Response:
        cid = correlation_id(request.url.path, utc_now(self.clock).isoformat())
        body = {
            "correlationId": cid,
            "title": title,
            "type": f"https://api.weather.gov/problems/{kind}",
            "status": status,
            "detail": detail,
            "instance": f"https://api.weather.gov/requests/{cid}",
        }
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers={"X-Correlation-Id": cid})


def _routes(service: WeatherService) -> list[Route]:
    async def forecast(request: Request) -> Response:
        service.requests.append({"method": request.method, "path": request.url.path,
                                 "query": dict(request.query_params), "headers": dict(request.headers)})
        office = request.path_params["office"].upper()
        x, y = request.path_params["x"], request.path_params["y"]
        if not request.headers.get("user-agent"):
            return service.problem(request, 403, "Forbidden", "Forbidden",
                                   "A User-Agent header is required to identify your application.")
        if office not in OFFICE_TIMEZONES or x > MAX_GRID or y > MAX_GRID:
            return _not_found(service, request)
        doc = service.forecast(office, x, y)
        cid = correlation_id(request.url.path, doc["properties"]["generatedAt"])
        headers = {"Cache-Control": "public, max-age=1800, s-maxage=3600", "X-Correlation-Id": cid,
                   "X-Request-Id": cid, "Access-Control-Allow-Origin": "*"}
        return JSONResponse(doc, media_type=GEO_JSON, headers=headers)

    async def requests(_: Request) -> Response:
        return JSONResponse({"requests": list(service.requests)})

    async def overrides(request: Request) -> Response:
        if request.method == "DELETE":
            service.overrides.clear()
            return JSONResponse({"overrides": []})
        try:
            body = _OverrideBody.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400)
        service.overrides[(body.office.upper(), body.x, body.y)] = body.periods
        return JSONResponse({"overrides": [list(k) for k in service.overrides]}, status_code=201)

    return [
        Route("/gridpoints/{office}/{x:int},{y:int}/forecast", forecast, methods=["GET"]),
        Route("/_fake/weather/requests", requests, methods=["GET"]),
        Route("/_fake/weather/overrides", overrides, methods=["POST", "DELETE"]),
    ]


def _not_found(service: WeatherService, request: Request) -> Response:
    return service.problem(request, 404, "Not Found", "NotFound",
                           f"'{request.url.path}' is not a valid resource path")


def create_weather_app(
    clock: Clock | None = None, *, public_origin: str = "https://api.weather.gov", faults: Faults | None = None
) -> Starlette:
    """The NOAA fake; handles on ``app.state.weather`` and ``app.state.faults``."""
    service = WeatherService(clock or SystemClock(), public_origin)
    faults = faults if faults is not None else Faults()

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return service.problem(request, 405, "Method Not Allowed", "MethodNotAllowed", "Only GET is supported")
        return _not_found(service, request)

    app = Starlette(
        routes=_routes(service),
        middleware=[Middleware(FaultMiddleware, faults=faults, on_reset=service.reset)],
        exception_handlers={HTTPException: on_http_error},
    )
    app.state.weather, app.state.faults = service, faults
    return app
