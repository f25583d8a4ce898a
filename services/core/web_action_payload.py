"""The payload of ``web_action`` messages (ORIGINAL_SYSTEM §5.5), validated completely.

Used twice: by ``POST /api/messages`` (``check_payload``, registered for ``web_action`` in
``message_validation``) so a bad request is a 400 naming the field, and by the web-action consumer
(``parse_web_action``) which re-checks what it receives.

What is accepted:

* ``action``: ``weather`` | ``golf``.
* weather: ``arguments.operation`` absent or ``get_weather``; the place is ``courseID`` (its NOAA
  grid point), else ``gridpoint`` (``"PBZ/95,64"``), else a NOAA ``url``
  (``…/gridpoints/<office>/<x>,<y>/forecast``) from which only the grid point is taken: the host
  is always the configured weather service. ``days`` 1..7 (default 2).
* golf: ``courseID`` of a configured course; ``arguments.operation`` one of
  ``search_tee_times`` (``startSearchTime`` required, ``endSearchTime`` optional, both
  ``YYYY-MM-DDTHH:MM:SS``, end not before start), ``book_tee_time`` (``teeSheetID`` required),
  ``fetch_reservations``; ``numberOfPlayers`` 1..4 (default 1); ``maxResults`` 1..20 (also read
  from ``max_results``; default 5 tee times / 10 reservations); ``autoBook``; optional ``golferId``
  (booking is refused when it is not the signed-in golfer).
* ``auth_config``: ``{type, secret_name}`` only. ``type`` ``none`` (weather) or ``oauth_password``
  (golf; the default); ``secret_name`` may only name a secret the action is allowed to use
  (``WebActionScope``: golf the stage's golf credentials, weather none) — never, say, the MCP API
  key. Token URL, JWKS URL, scope and headers always come from the course configuration — a request
  that names them is refused, because a request-chosen token URL would receive the golf account's
  password.
* ``url``: kept for compatibility with the original clients; its host must be the configured one
  (the weather service for weather, the course's origin for golf), else the request is refused
  (never silently pointed elsewhere). ``version`` is kept; unknown keys are ignored.

Where the configured secret and hosts come from: a ``WebActionScope`` passed by the caller, or the
process settings' (``WebActionScope.from_settings``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

import pydantic
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from services.core.courses import GridPoint, course_ids
from services.core.errors import FieldProblem, ValidationError
from services.core.settings import Settings, get_settings

GOLF_OPERATIONS = ("search_tee_times", "book_tee_time", "fetch_reservations")
WEATHER_OPERATIONS = ("get_weather",)
SECRET_PREFIX = "rez-agent/"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_GRIDPOINT = re.compile(r"^([A-Z]{3})/(\d{1,3}),(\d{1,3})$")
_GRID_PATH = re.compile(r"^/gridpoints/([A-Z]{3})/(\d{1,3}),(\d{1,3})/forecast/?$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")


@dataclass(frozen=True)
class WebActionScope:
    """What web actions may reach in one deployment: the secrets each action may name, and the
    origins (``scheme://host[:port]``) a payload ``url`` may be on."""

    secrets: Mapping[str, frozenset[str]]
    weather_origin: str
    golf_origins: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebActionScope:
        golf: dict[int, str] = {}
        for key, origin in settings.golf_origins.items():
            if str(key).isdecimal():
                golf[int(key)] = origin
        return cls(secrets={"golf": frozenset({settings.golf_secret_name}), "weather": frozenset()},
                   weather_origin=settings.weather_base_url, golf_origins=golf)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of ``url`` with the default port filled in; None when it is not a URL."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "oauth_password"] = "oauth_password"
    secret_name: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if value in ("api_key", "bearer"):
            raise ValueError(f"auth type {value} is not supported for web actions")
        return value

    @field_validator("secret_name")
    @classmethod
    def _secret_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(SECRET_PREFIX) or not _SECRET_NAME.match(value) or ".." in value:
            raise ValueError(f"must be a secret name starting with {SECRET_PREFIX}")
        return value


class WebActionPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: str | None = None
    url: str | None = Field(None, max_length=2048)
    action: Literal["weather", "golf"]
    courseID: StrictInt | None = None
    gridpoint: str | None = None
    startSearchTime: str | None = None
    endSearchTime: str | None = None
    autoBook: StrictBool = False
    numberOfPlayers: StrictInt = Field(1, ge=1, le=4)
    maxResults: StrictInt | None = Field(None, ge=1, le=20,
                                         validation_alias=AliasChoices("maxResults", "max_results"))
    days: StrictInt = Field(2, ge=1, le=7)
    teeSheetID: StrictInt | None = Field(None, gt=0)
    golferId: StrictInt | None = Field(None, gt=0)
    auth_config: AuthConfig | None = None

    @field_validator("courseID")
    @classmethod
    def _course_exists(cls, value: int | None) -> int | None:
        if value is not None and value not in course_ids():
            known = ", ".join(str(i) for i in sorted(course_ids()))
            raise ValueError(f"course not found with ID: {value} (known: {known})")
        return value

    @field_validator("startSearchTime", "endSearchTime")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_search_time(value)
        return value

    @field_validator("gridpoint")
    @classmethod
    def _gridpoint(cls, value: str | None) -> str | None:
        if value is not None and not _GRIDPOINT.match(value):
            raise ValueError("must look like PBZ/95,64 (NOAA office/x,y)")
        return value

    def start_time(self) -> datetime | None:
        return parse_search_time(self.startSearchTime) if self.startSearchTime else None

    def end_time(self) -> datetime | None:
        return parse_search_time(self.endSearchTime) if self.endSearchTime else None

    def grid(self) -> GridPoint | None:
        """The NOAA grid point asked for by ``gridpoint`` or ``url`` (not by ``courseID``)."""
        match = _GRIDPOINT.match(self.gridpoint or "")
        if match is None and self.url and _origin(self.url):
            match = _GRID_PATH.match(urlsplit(self.url).path)
        return GridPoint(match[1], int(match[2]), int(match[3])) if match else None


@dataclass(frozen=True)
class WebAction:
    """A validated web action: what to do (``operation``) and with what (``payload``)."""

    operation: str
    payload: WebActionPayload

    @property
    def action(self) -> str:
        return self.payload.action


def parse_search_time(value: str) -> datetime:
    """``YYYY-MM-DDTHH:MM:SS`` (course-local wall time, naive)."""
    if not isinstance(value, str) or not _TIME_PATTERN.match(value):
        raise ValueError("must be YYYY-MM-DDTHH:MM:SS")
    try:
        return datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        raise ValueError("is not a valid date and time (YYYY-MM-DDTHH:MM:SS)") from None


def check_payload(payload: dict[str, Any], arguments: dict[str, Any] | None, *,
                  scope: WebActionScope | None = None) -> None:
    """``PayloadCheck`` for ``web_action``: raises ``pydantic.ValidationError`` (field errors,
    paths relative to the payload) or ``ValidationError`` (cross-field problems, full paths)."""
    model = WebActionPayload.model_validate(payload)
    _raise_if(_semantic_problems(model, arguments, scope or WebActionScope.from_settings(get_settings())))


def parse_web_action(payload: dict[str, Any], arguments: dict[str, Any] | None, *,
                     scope: WebActionScope | None = None) -> WebAction:
    """Validate and return the action; every problem is a ``ValidationError`` with field paths."""
    try:
        model = WebActionPayload.model_validate(payload)
    except pydantic.ValidationError as exc:
        _raise_if([_problem(error) for error in exc.errors()])
        raise  # pragma: no cover - errors() is never empty
    _raise_if(_semantic_problems(model, arguments, scope or WebActionScope.from_settings(get_settings())))
    return WebAction(operation=_operation(model, arguments) or "", payload=model)


def _operation(model: WebActionPayload, arguments: dict[str, Any] | None) -> str | None:
    operation = (arguments or {}).get("operation")
    if operation in (None, "") and model.action == "weather":
        return "get_weather"
    return operation if isinstance(operation, str) else None


def _scope_problems(model: WebActionPayload, scope: WebActionScope) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    secret = model.auth_config.secret_name if model.auth_config else None
    if secret is not None and secret not in scope.secrets.get(model.action, frozenset()):
        problems.append(FieldProblem("payload.auth_config.secret_name",
                                     f"is not a secret {model.action} actions may use"
                                     + (" (weather uses none)" if model.action == "weather" else
                                        " (leave it out: the stage's golf credentials are used)")))
    if model.url is not None:
        if model.action == "weather":
            allowed = {_origin(scope.weather_origin)}
        elif model.courseID in scope.golf_origins:
            allowed = {_origin(scope.golf_origins[model.courseID])}
        else:
            allowed = {_origin(origin) for origin in scope.golf_origins.values()}
        origin = _origin(model.url)
        if origin is None:
            problems.append(FieldProblem("payload.url", "must be an http(s) URL"))
        elif origin not in allowed:
            where = "the configured weather service" if model.action == "weather" else "the course's own site"
            problems.append(FieldProblem("payload.url", f"must be on {where}: its host is not the configured one"))
    return problems


def _semantic_problems(model: WebActionPayload, arguments: dict[str, Any] | None,
                       scope: WebActionScope) -> list[FieldProblem]:
    problems = _scope_problems(model, scope)
    operation = _operation(model, arguments)
    auth_type = model.auth_config.type if model.auth_config else None
    if model.action == "weather":
        if operation not in WEATHER_OPERATIONS:
            problems.append(FieldProblem("arguments.operation", "must be get_weather for weather actions"))
        if model.courseID is None and model.gridpoint is None:
            if model.url is None:
                problems.append(FieldProblem("payload.courseID",
                                             "is required for weather (or give gridpoint or a NOAA url)"))
            elif model.grid() is None:
                problems.append(FieldProblem("payload.url",
                                             "must be a NOAA forecast URL (.../gridpoints/<office>/<x>,<y>/forecast)"))
    else:
        if model.courseID is None:
            problems.append(FieldProblem("payload.courseID", "is required for golf actions"))
        if operation not in GOLF_OPERATIONS:
            problems.append(FieldProblem("arguments.operation", f"must be one of {', '.join(GOLF_OPERATIONS)}"))
        if auth_type == "none":
            problems.append(FieldProblem("payload.auth_config.type", "golf actions need oauth_password"))
        if operation == "search_tee_times":
            if model.startSearchTime is None:
                problems.append(FieldProblem("payload.startSearchTime", "is required for search_tee_times"))
            elif model.endSearchTime is not None and model.end_time() < model.start_time():  # type: ignore[operator]
                problems.append(FieldProblem("payload.endSearchTime", "must not be before startSearchTime"))
        if operation == "book_tee_time" and model.teeSheetID is None:
            problems.append(FieldProblem("payload.teeSheetID", "is required for book_tee_time"))
    return problems


def _problem(error: Any) -> FieldProblem:
    path = ".".join(str(part) for part in error["loc"])
    return FieldProblem(f"payload.{path}" if path else "payload", error["msg"].removeprefix("Value error, "))


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        raise ValidationError(f"invalid web action: {summary}", problems)
