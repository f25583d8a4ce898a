"""OAuth 2.0 resource-owner password grant (ORIGINAL_SYSTEM §7.1–7.2), with a token cache.

Credentials come from a Secrets Manager JSON secret ``{username, password[, client_id,
client_secret]}``: the one a web action names in ``auth_config.secret_name`` (it must start with
``rez-agent/``), else the deployment's ``golf_secret_name`` (per stage).

Tokens are cached per process, keyed by token URL + secret name, and treated as expired
``min(10 minutes, 10% of their lifetime)`` before they really expire, so a token handed out always
has time left for the calls that follow.

Errors: a 400/401 from the token endpoint (``invalid_grant``, ``invalid_client``, ...) is an
``AuthenticationError`` naming the OAuth error code (the cached secret is dropped, so rotated
credentials are picked up); 5xx / transport problems stay ``UpstreamError`` (retryable); a secret
without username/password is a ``ConfigurationError``. No credential or token text is ever part of
an error or a log line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.core import clock
from services.core.errors import AuthenticationError, ConfigurationError, UpstreamError, ValidationError
from services.core.http import OutboundHttp, UpstreamRejectedError
from services.core.secrets import SecretsReader

logger = logging.getLogger(__name__)

SECRET_PREFIX = "rez-agent/"
DEFAULT_LIFETIME = timedelta(hours=1)
MAX_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: datetime
    lifetime: timedelta
    token_type: str = "Bearer"

    def usable_at(self, moment: datetime) -> bool:
        margin = min(MAX_MARGIN, self.lifetime * 0.1)
        return moment + margin < self.expires_at

    @property
    def authorization(self) -> str:
        return f"Bearer {self.value}"


def secret_name_for(auth_config: Mapping[str, Any] | Any | None, default: str) -> str:
    """The secret to read: ``auth_config.secret_name`` when given (checked), else ``default``."""
    name = auth_config.get("secret_name") if isinstance(auth_config, Mapping) else \
        getattr(auth_config, "secret_name", None)
    if not name:
        return default
    if not isinstance(name, str) or not name.startswith(SECRET_PREFIX) or ".." in name:
        raise ValidationError.for_field("payload.auth_config.secret_name", f"must start with {SECRET_PREFIX}")
    return name


class OAuthClient:
    def __init__(self, http: OutboundHttp, secrets: SecretsReader, *,
                 now: Callable[[], datetime] = clock.now) -> None:
        self._http = http
        self._secrets = secrets
        self._now = now
        self._cache: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def password_grant(self, token_url: str, secret_name: str, *, scope: str = "",
                       headers: Mapping[str, str] | None = None) -> AccessToken:
        """A usable access token (from the cache when one has time left)."""
        key = _key(token_url, secret_name)
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached.usable_at(self._now()):
            return cached
        token = self._request(token_url, secret_name, scope, headers or {})
        with self._lock:
            self._cache[key] = token
        return token

    def cached(self, token_url: str, secret_name: str) -> AccessToken | None:
        """The cached token that ``password_grant`` would return now, if any."""
        with self._lock:
            token = self._cache.get(_key(token_url, secret_name))
        return token if token and token.usable_at(self._now()) else None

    def forget(self, token_url: str, secret_name: str) -> None:
        """Drop a cached token (e.g. one that failed verification)."""
        with self._lock:
            self._cache.pop(_key(token_url, secret_name), None)

    def _request(self, token_url: str, secret_name: str, scope: str, headers: Mapping[str, str]) -> AccessToken:
        credentials = self._secrets.get_json(secret_name)
        username, password = credentials.get("username"), credentials.get("password")
        if not username or not password:
            raise ConfigurationError(f"secret {secret_name} is missing username or password")
        form = {"grant_type": "password", "username": username, "password": password}
        for optional in ("client_id", "client_secret"):
            if credentials.get(optional):
                form[optional] = credentials[optional]
        if scope:
            form["scope"] = scope
        started = self._now()
        try:
            response = self._http.post(token_url, data=form, headers=dict(headers), idempotent=True,
                                       what="OAuth token request")
        except UpstreamRejectedError as exc:
            code = str(exc.json().get("error") or f"HTTP {exc.status_code}")
            if code in ("invalid_grant", "invalid_client"):
                self._secrets.invalidate(secret_name)
            raise AuthenticationError(f"OAuth token request rejected: {code}") from None
        try:
            body = response.json()
        except ValueError:
            raise UpstreamError("failed to parse OAuth token response: not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise UpstreamError("OAuth response missing access_token")
        try:
            seconds = int(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            seconds = 0
        lifetime = timedelta(seconds=seconds) if seconds > 0 else DEFAULT_LIFETIME
        logger.info("OAuth token obtained from %s (expires in %ds)", token_url, lifetime.total_seconds())
        return AccessToken(value=body["access_token"], expires_at=started + lifetime, lifetime=lifetime,
                           token_type=str(body.get("token_type") or "Bearer"))


def _key(token_url: str, secret_name: str) -> str:
    return f"{token_url}:{secret_name}"
