"""The HTTP API's JWT authorizer, as API Gateway runs it.

Routes declared ``auth="jwt"`` need a JWT in ``Authorization``: the token alone, or ``Bearer``
followed by one or more spaces and the token. Checks, in API Gateway's order: an RSA signature
(RS256/384/512) with the issuer's key named by ``kid``; ``iss``; ``aud`` — or ``client_id`` when
the token has no ``aud``; ``exp`` after now, ``nbf`` and ``iat`` not after now, all numbers, on the
platform clock. A valid token's claims reach the function as ``requestContext.authorizer.jwt``
(``http_event.authorizer_context``).

Keys come from ``<issuer>/.well-known/openid-configuration`` -> ``jwks_uri`` and are cached for two
hours, as API Gateway caches them: a key the issuer has rotated out stops working within that
time. A token naming a ``kid`` the cache lacks triggers one refresh; a refresh that does not find
it (or fails) starts a cool-down of 10 s during which no other refresh is made, so a stream of
tokens with unknown keys, or an identity provider that is down, costs one fetch per cool-down and
not one per request. Concurrent requests share one refresh. Keys still fresh keep working while
the identity provider is down.

A refused token raises ``Unauthorized`` (the gateway answers 401 ``{"message":"Unauthorized"}``,
AWS's exact body, with AWS's ``www-authenticate`` header; the reason goes to the access log). When
the keys cannot be had because the identity provider is unreachable or answers garbage,
``IdentityProviderUnavailable`` (503). Nothing about a token can make the authorizer fail otherwise.

LIMITATIONS: no scope-based authorization (no route declares scopes), no Lambda (REQUEST)
authorizers, no caching of authorization results beyond the keys.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

from emulation.runtime.clock import PlatformClock

logger = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "RS384", "RS512")
KEYS_TTL = timedelta(hours=2)
REFRESH_COOLDOWN = timedelta(seconds=10)


class Unauthorized(Exception):
    """401. ``description`` is what API Gateway puts in ``www-authenticate``; ``None``: no token."""

    def __init__(self, description: str | None) -> None:
        super().__init__(description or "no token in the Authorization header")
        self.description = description

    @property
    def www_authenticate(self) -> str:
        if self.description is None:
            return "Bearer"
        return f'Bearer scope="" error="invalid_token" error_description="{self.description}"'


class IdentityProviderUnavailable(Exception):
    """503: the issuer's keys could not be fetched (down, unreachable, or not a JWKS)."""


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization`` value: ``Bearer <token>`` (any number of spaces) or the token."""
    value = (authorization or "").strip()
    if not value:
        raise Unauthorized(None)
    scheme, space, rest = value.partition(" ")
    return rest.strip() if space and scheme.lower() == "bearer" else value


@dataclass
class _Keys:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: datetime | None = None
    cooldown_until: datetime | None = None  # no refresh before this time
    refresh_failed: bool = False  # the last refresh could not fetch the keys


@dataclass
class JwtAuthorizer:
    issuer: str
    audience: str
    clock: PlatformClock
    http: httpx.Client | None = None
    keys_ttl: timedelta = KEYS_TTL
    refresh_cooldown: timedelta = REFRESH_COOLDOWN

    def __post_init__(self) -> None:
        self._cache = _Keys()
        self._refresh_lock = threading.Lock()
        self.fetches = 0  # discovery + JWKS round trips made (what the cool-down bounds)

    # --- authorization ---------------------------------------------------------------------------
    def authorize(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a valid token; raises ``Unauthorized`` or ``IdentityProviderUnavailable``."""
        token = bearer_token(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a valid JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized(f"signing method {alg} is invalid")
        if unverified.get("iss") != self.issuer:  # refused before any key is fetched for it
            raise Unauthorized("the token does not have a valid issuer")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("the token does not name a signing key (kid)")
        key = self._key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=[alg], options={
                "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                "verify_iss": False})
        except jwt.InvalidSignatureError:
            raise Unauthorized("the token signature is invalid") from None
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a valid JWT") from None
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise Unauthorized("the token does not have a valid audience")
        now = self.clock.now().timestamp()
        times: dict[str, float] = {}
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            if value is None and name != "exp":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Unauthorized(f"the token has an invalid {name} claim")
            times[name] = value
        if times["exp"] <= now:
            raise Unauthorized("the token has expired")
        if times.get("nbf", now) > now:
            raise Unauthorized("the token is not valid yet")
        if times.get("iat", now) > now:
            raise Unauthorized("the token was issued in the future")

    # --- keys --------------------------------------------------------------------------------------
    def _key(self, kid: str) -> Any:
        key = self._cached(kid)
        if key is not None:
            return key
        with self._refresh_lock:  # one refresh for every request waiting on it
            key = self._cached(kid)
            if key is not None:
                return key
            now = self.clock.now()
            cache = self._cache
            if cache.cooldown_until is not None and now < cache.cooldown_until:
                if cache.refresh_failed:
                    raise IdentityProviderUnavailable("the issuer's keys could not be fetched (cooling down)")
                raise Unauthorized("the token's signing key is not in the issuer's JWKS")
            try:
                keys = self._fetch()
            except IdentityProviderUnavailable:
                cache.cooldown_until, cache.refresh_failed = now + self.refresh_cooldown, True
                raise
            self._cache = _Keys(keys, now, None if kid in keys else now + self.refresh_cooldown)
            if kid not in keys:
                logger.info("kid %s not in the JWKS of %s, even after a refresh", kid, self.issuer)
                raise Unauthorized("the token's signing key is not in the issuer's JWKS")
            return keys[kid]

    def _cached(self, kid: str) -> Any | None:
        cache = self._cache
        if cache.fetched_at is None or self.clock.now() - cache.fetched_at >= self.keys_ttl:
            return None
        return cache.keys.get(kid)

    def _fetch(self) -> dict[str, Any]:
        client = self.http or httpx.Client(timeout=5)
        self.fetches += 1
        try:
            discovery = client.get(f"{self.issuer}/.well-known/openid-configuration")
            discovery.raise_for_status()
            jwks = client.get(discovery.json()["jwks_uri"])
            jwks.raise_for_status()
            entries = jwks.json()["keys"]
            if not isinstance(entries, list):
                raise TypeError("keys is not a list")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.warning("the JWKS of %s could not be fetched: %s", self.issuer, type(exc).__name__)
            raise IdentityProviderUnavailable(f"the issuer's keys could not be fetched ({type(exc).__name__})") \
                from None
        finally:
            if self.http is None:
                client.close()
        keys: dict[str, Any] = {}
        for entry in entries:
            if isinstance(entry, dict) and entry.get("kty") == "RSA" and isinstance(entry.get("kid"), str):
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry).key
                except jwt.PyJWTError:
                    logger.warning("unusable key %s in the JWKS of %s", entry["kid"], self.issuer)
        return keys
