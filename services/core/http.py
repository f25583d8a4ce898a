"""Outbound HTTP for the outside world (golf course API, identity server, NOAA).

``OutboundHttp.request`` is the one way out:

* every URL goes through the SSRF guard first (``services.core.ssrf``);
* redirects are never followed: a 3xx answer raises ``RedirectNotFollowedError``;
* transport errors, 5xx and 429 are retried, ``max_attempts`` in all, sleeping ``backoff``,
  ``2*backoff``, ... between attempts (a 429's ``Retry-After`` is honoured up to 30 s). A request
  that is not idempotent (``idempotent=False``) is only retried when it certainly did not reach the
  server: a connection that could not be opened, or a 429;
* errors are ``services.core.errors`` leaves, each with the upstream ``status_code`` when there was
  one:

  - ``UpstreamHttpError`` (``UpstreamError``, 502, retryable): 5xx or 429 after the last attempt;
  - ``UpstreamTransportError`` (``UpstreamError``, retryable) / ``UpstreamTimeoutError`` (504):
    no answer after the last attempt;
  - ``UpstreamRejectedError`` (``UpstreamHttpError``, **not** retryable): a 4xx other than 429 —
    the request itself is wrong; callers translate the meaningful ones (400 ``invalid_grant`` →
    ``AuthenticationError``, 401 → ``AuthenticationError``);
  - ``RedirectNotFollowedError`` (``UpstreamHttpError``, not retryable): a 3xx.

Nothing secret reaches an error message or a log: URLs are logged with user-info and sensitive
query values replaced, header values are never logged, and every value of a sensitive request
header or form field is scrubbed from the response excerpt quoted in an error.
"""

from __future__ import annotations

import json as jsonlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from services.core.errors import UpstreamError, UpstreamTimeoutError
from services.core.settings import Settings
from services.core.ssrf import SsrfGuard

logger = logging.getLogger(__name__)

USER_AGENT = "rez-agent/1.0"
REDACTED = "[REDACTED]"
_SENSITIVE_WORDS = ("auth", "token", "key", "secret", "password", "cookie", "session", "signature", "credential")
_EXCERPT = 200
_MAX_RETRY_AFTER = 30.0


class UpstreamHttpError(UpstreamError):
    """An answer with an error status; ``status_code`` is the upstream's."""

    def __init__(self, message: str, status_code: int, body_excerpt: str = "",
                 retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after


class UpstreamRejectedError(UpstreamHttpError):
    """4xx (except 429): the request is wrong, retrying cannot help."""

    retryable = False

    def json(self) -> dict[str, Any]:
        """The error body as JSON when it was a JSON object (``{}`` otherwise)."""
        try:
            value = jsonlib.loads(self.body_excerpt)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class RedirectNotFollowedError(UpstreamHttpError):
    """3xx: redirects are never followed (they could lead anywhere)."""

    retryable = False


class UpstreamTransportError(UpstreamError):
    """No answer at all (connection refused, reset, protocol error)."""

    status_code: int | None = None


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_WORDS)


def redact_url(url: str) -> str:
    """The URL with user-info and the values of sensitive query parameters replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_sensitive(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: REDACTED if is_sensitive(k) else v for k, v in headers.items()}


class OutboundHttp:
    """Guarded, retrying HTTP client. The ``httpx.Client`` is created on first use and reused."""

    def __init__(self, guard: SsrfGuard, *, client: httpx.Client | None = None, max_attempts: int = 3,
                 backoff: float = 2.0, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._guard = guard
        self._client = client
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, guard: SsrfGuard, *, client: httpx.Client | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> OutboundHttp:
        return cls(guard, client=client, max_attempts=settings.http_max_attempts,
                   backoff=settings.http_backoff_seconds, timeout=settings.http_timeout_seconds, sleep=sleep)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
        return self._client

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                json: Any = None, data: Mapping[str, str] | None = None, idempotent: bool | None = None,
                what: str = "") -> httpx.Response:
        """Send one logical request; returns the 2xx response or raises (see the module doc)."""
        self._guard.check(url)
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        sent_headers = httpx.Headers({"User-Agent": USER_AGENT})
        sent_headers.update(headers or {})  # case-insensitive: a caller's user-agent replaces ours
        secrets = _secret_values(sent_headers, data)
        label = what or f"{method} {redact_url(url)}"
        last: UpstreamError | None = None
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                self._sleep(_delay(last, self._backoff, attempt))
            try:
                response = self.client.request(method, url, headers=sent_headers, json=json, data=data,
                                               follow_redirects=False, timeout=self._timeout)
            except httpx.TransportError as exc:
                last = _transport_error(label, exc)
                logger.warning("%s: attempt %d/%d failed: %s", label, attempt, self._max_attempts,
                               type(exc).__name__)
                if not idempotent and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                    break
                continue
            logger.debug("%s: attempt %d -> %d", label, attempt, response.status_code)
            if response.is_success:
                return response
            error = _status_error(label, response, secrets)
            if not error.retryable:
                raise error
            last = error
            logger.warning("%s: attempt %d/%d got HTTP %d", label, attempt, self._max_attempts,
                           response.status_code)
            if not idempotent and response.status_code != 429:
                break
        assert last is not None
        last.message = f"{last.message} (after {attempt} attempt{'s' if attempt > 1 else ''})"
        last.args = (last.message,)
        raise last


def _secret_values(headers: Mapping[str, str], data: Mapping[str, str] | None) -> list[str]:
    values = []
    for name, value in headers.items():
        if is_sensitive(name) and value:
            values.append(value)
            if " " in value:  # "Bearer <token>": the bare token must go too
                values.append(value.split(" ", 1)[1])
    for name, value in (data or {}).items():
        if (is_sensitive(name) or name.lower() == "username") and value:
            values.append(str(value))
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, REDACTED)
    return text


def _status_error(label: str, response: httpx.Response, secrets: list[str]) -> UpstreamHttpError:
    code = response.status_code
    body = _scrub(response.text, secrets)
    excerpt = body if len(body) <= _EXCERPT else body[:_EXCERPT] + "..."
    message = f"{label}: HTTP {code}"
    if 300 <= code < 400:
        return RedirectNotFollowedError(f"{message} (redirects are not followed)", code, excerpt)
    error_cls = UpstreamHttpError if code >= 500 or code == 429 else UpstreamRejectedError
    return error_cls(f"{message}: {excerpt}" if excerpt else message, code, body[:4096],
                     retry_after=response.headers.get("retry-after") if code == 429 else None)


def _transport_error(label: str, exc: httpx.TransportError) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeoutError(f"{label}: timed out ({type(exc).__name__})")
    return UpstreamTransportError(f"{label}: no response ({type(exc).__name__})")


def _delay(last: UpstreamError | None, backoff: float, attempt: int) -> float:
    delay = backoff * 2 ** (attempt - 2)
    retry_after = getattr(last, "retry_after", None)
    if retry_after:
        try:
            delay = max(delay, min(float(retry_after), _MAX_RETRY_AFTER))
        except ValueError:
            pass
    return delay
