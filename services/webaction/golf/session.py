"""Signing in to a course and calling its API (ORIGINAL_SYSTEM §6.2 steps 1–5, §7).

``open_session`` gets an access token by password grant (credentials from the payload's
``auth_config.secret_name`` or the stage's golf secret), verifies it against the course JWKS and
returns a ``GolfSession`` with the golfer's claims.

A token that fails — our verification, or the course API answering 401 — is dropped from the
cache. When it came from the cache (issued before a key rotation, say), one fresh token is asked
for at once: by ``open_session`` for a verification failure, by the golf action for a 401 on the
*first* API call of an operation (nothing has changed at the course yet, so repeating is safe).
A freshly issued token that fails is final for this message.

``GolfSession.call`` sends one API request with the common headers of §6.2 (client-id of *this*
course) and maps the answers the API uses for "no": 401 → ``TokenRejectedByCourse`` (an
``AuthenticationError``), 403 → ``ForbiddenError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from services.core import clock
from services.core.courses import Course
from services.core.errors import AuthenticationError, ForbiddenError, UpstreamError
from services.core.http import UpstreamRejectedError
from services.core.jwt_verify import GolferClaims
from services.core.oauth import AccessToken, secret_name_for
from services.core.web_action_payload import WebAction

if TYPE_CHECKING:
    from services.webaction.deps import WebActionDeps

COURSE_TIMEZONE = ZoneInfo("America/New_York")
BROWSER_USER_AGENT = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                      "(KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36")
TOKEN_USER_AGENT = "Mozilla/5.0 (compatible; rez-agent/1.0)"


class TokenRejectedByCourse(AuthenticationError):
    """The course API answered 401 to our token; ``first_call`` when nothing had been done yet."""

    def __init__(self, message: str, *, first_call: bool) -> None:
        super().__init__(message)
        self.first_call = first_call
        self.status_code = 401


@dataclass
class GolfSession:
    course: Course
    origin: str
    token: AccessToken
    claims: GolferClaims
    deps: WebActionDeps
    token_url: str = ""
    secret_name: str = ""
    token_from_cache: bool = False
    calls_made: int = 0

    def url(self, action: str) -> str:
        return self.deps.courses.url(self.course, action)

    def headers(self, **extra: str) -> dict[str, str]:
        """The common API headers of §6.2 plus ``extra`` (names with ``_`` become ``-``)."""
        headers = {
            "accept": "application/json, text/plain, */*",
            "accept-language": "en-US,en;q=0.9",
            "authorization": self.token.authorization,
            "cache-control": "no-cache, no-store, must-revalidate",
            "client-id": self.course.client_id,
            "x-componentid": "1",
        }
        headers.update({k.replace("_", "-"): v for k, v in extra.items()})
        return headers

    def site_headers(self) -> dict[str, str]:
        """Headers of the booking calls (lock, price, reserve)."""
        return self.headers(**{"content-type": "application/json", "x-websiteid": self.course.websiteid,
                               "x-ismobile": "true", "x-moduleid": "7", "x-productid": "1", "x-siteid": "3",
                               "x-terminalid": "7", "x-timezone-offset": timezone_offset(),
                               "x-timezoneid": str(COURSE_TIMEZONE), "if-modified-since": "0",
                               "origin": self.origin, "pragma": "no-cache", "priority": "u=1, i"})

    def call(self, method: str, url: str, *, what: str, headers: dict[str, str] | None = None,
             body: Any = None, idempotent: bool | None = None) -> tuple[Any, int]:
        """Send one request; returns ``(parsed JSON or text, status code)``."""
        try:
            response = self.deps.http.request(method, url, headers=headers or self.headers(), json=body,
                                              idempotent=idempotent, what=what)
        except UpstreamRejectedError as exc:
            if exc.status_code == 401:
                self.deps.oauth.forget(self.token_url, self.secret_name)
                raise TokenRejectedByCourse(f"{what}: the course rejected the access token",
                                            first_call=self.calls_made == 0) from None
            if exc.status_code == 403:
                forbidden = ForbiddenError(f"{what}: forbidden by the course")
                forbidden.status_code = 403  # type: ignore[attr-defined] - recorded on the result row
                raise forbidden from None
            raise
        finally:
            self.calls_made += 1
        return parse_body(response), response.status_code


def timezone_offset(moment: datetime | None = None) -> str:
    """Minutes behind UTC at the course, as a browser's ``getTimezoneOffset`` (240 in summer)."""
    offset = (moment or clock.now()).astimezone(COURSE_TIMEZONE).utcoffset()
    return str(int(-offset.total_seconds() // 60)) if offset is not None else "240"


def parse_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return response.text


def open_session(action: WebAction, deps: WebActionDeps, *, fresh: bool = False) -> GolfSession:
    """Sign in (``fresh`` ignores a cached token)."""
    if action.payload.courseID is None:  # parse_web_action guarantees it for golf
        raise UpstreamError("courseID is required for golf actions")
    course = deps.courses.by_id(action.payload.courseID)
    origin = deps.courses.origin(course)
    token_url = deps.courses.url(course, "token-url")
    secret_name = secret_name_for(action.payload.auth_config, deps.settings.golf_secret_name)
    headers = {"accept": "application/json, text/plain, */*", "accept-language": "en-US,en;q=0.9",
               "cache-control": "no-cache, no-store, must-revalidate", "client-id": course.client_id,
               "origin": origin, "user-agent": TOKEN_USER_AGENT}
    jwks_url, issuer = deps.courses.url(course, "jwks-url"), deps.courses.issuer(course)
    # A cached token that no longer verifies (keys rotated, revoked) gets one fresh replacement.
    if fresh:
        deps.oauth.forget(token_url, secret_name)
    from_cache = deps.oauth.cached(token_url, secret_name) is not None
    attempts = 2 if from_cache else 1
    for attempt in range(1, attempts + 1):
        token = deps.oauth.password_grant(token_url, secret_name, scope=course.scope, headers=headers)
        try:
            claims = deps.jwt.verify(token.value, jwks_url=jwks_url, issuer=issuer)
        except AuthenticationError as exc:
            deps.oauth.forget(token_url, secret_name)
            if attempt == attempts:
                raise AuthenticationError(f"authentication failed: {exc.message}") from None
            continue
        return GolfSession(course=course, origin=origin, token=token, claims=claims, deps=deps,
                           token_url=token_url, secret_name=secret_name,
                           token_from_cache=from_cache and attempt == 1)
    raise AssertionError("unreachable")  # pragma: no cover
