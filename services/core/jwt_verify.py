"""Verification of the course identity server's access tokens (ORIGINAL_SYSTEM §7.3).

* RS256 only: ``alg: none``, HS256 (e.g. signed with the public key as an HMAC secret) and every
  other algorithm are refused before any key is used.
* The key is the JWKS entry whose ``kid`` matches the token header. The JWKS is fetched through
  the guarded ``OutboundHttp``, cached for one hour per JWKS URL, and fetched again **once** when a
  token names a kid the cache does not have (key rotation). A fetch that does not have the kid
  either starts a 10 s cool-down for that URL: tokens with unknown kids fail meanwhile without a
  fetch each, so they cannot make every verification a round trip to the identity server.
* Claims: signature, ``exp``, ``nbf`` (when present), ``iat`` (not in the future), ``iss`` (the
  caller passes ``<origin>/identityapi``), ``aud`` (configured audience) and non-empty
  ``golferId`` (digits), ``acct`` and ``email``. Time is read from ``services.core.clock`` (not the
  wall clock PyJWT would use), with ``leeway`` seconds of tolerance.

Every failure is an ``AuthenticationError`` with a reason and never the token text. A JWKS that
cannot be fetched is an ``UpstreamError`` (retryable), like any outside service being down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from services.core import clock
from services.core.errors import AuthenticationError, UpstreamError
from services.core.http import OutboundHttp

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
JWKS_TTL = timedelta(hours=1)
REFRESH_COOLDOWN = timedelta(seconds=10)
REQUIRED_CLAIMS = ("golferId", "acct", "email")

_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "algorithm not allowed"),
    (jwt.MissingRequiredClaimError, "missing claim"),
    (jwt.DecodeError, "malformed token"),
)


@dataclass(frozen=True)
class GolferClaims:
    golfer_id: str
    acct: str
    email: str
    subject: str | None
    expires_at: datetime
    claims: dict[str, Any] = field(repr=False)


class JwtVerifier:
    def __init__(self, http: OutboundHttp, *, audience: str, leeway: float = 60.0,
                 jwks_ttl: timedelta = JWKS_TTL, now: Callable[[], datetime] = clock.now) -> None:
        self._http = http
        self._audience = audience
        self._leeway = leeway
        self._ttl = jwks_ttl
        self._now = now
        self._jwks: dict[str, tuple[dict[str, jwt.PyJWK], datetime]] = {}
        self._missed: dict[str, datetime] = {}  # JWKS URL -> when a refresh last lacked the kid asked for
        self._lock = threading.Lock()

    def verify(self, token: str, *, jwks_url: str, issuer: str) -> GolferClaims:
        """Verify ``token``; return the golfer's claims or raise ``AuthenticationError``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("token verification failed: malformed token") from None
        alg = header.get("alg")
        if alg != ALGORITHM:
            raise AuthenticationError(f"token verification failed: algorithm {alg!r} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("token verification failed: token has no key id")
        key = self._key(jwks_url, kid)
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=self._audience, issuer=issuer,
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                         "require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"token verification failed: {_reason(exc)}") from None
        return self._check_claims(claims)

    def _check_claims(self, claims: dict[str, Any]) -> GolferClaims:
        now = self._now().timestamp()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        for name, value in (("exp", exp), ("iat", iat), ("nbf", nbf)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise AuthenticationError(f"token verification failed: {name} is not a number")
        if exp <= now - self._leeway:  # type: ignore[operator]
            raise AuthenticationError("token verification failed: token expired")
        if nbf is not None and nbf > now + self._leeway:
            raise AuthenticationError("token verification failed: token not yet valid")
        if iat > now + self._leeway:  # type: ignore[operator]
            raise AuthenticationError("token verification failed: token issued in the future")
        for name in REQUIRED_CLAIMS:
            value = claims.get(name)
            if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
                raise AuthenticationError(f"token verification failed: missing claim {name}")
        golfer_id = str(claims["golferId"])
        if not golfer_id.isdigit():
            raise AuthenticationError("token verification failed: golferId claim is not numeric")
        return GolferClaims(golfer_id=golfer_id, acct=str(claims["acct"]), email=str(claims["email"]),
                            subject=claims.get("sub"), expires_at=datetime.fromtimestamp(exp, tz=UTC),
                            claims=claims)

    def _key(self, jwks_url: str, kid: str) -> jwt.PyJWK:
        now = self._now()
        with self._lock:
            cached = self._jwks.get(jwks_url)
        fresh = cached is not None and now - cached[1] < self._ttl
        if fresh and kid in cached[0]:  # type: ignore[index]
            return cached[0][kid]  # type: ignore[index]
        with self._lock:
            missed = self._missed.get(jwks_url)
        if fresh and missed is not None and now - missed < REFRESH_COOLDOWN:
            raise AuthenticationError("token verification failed: signing key not found in JWKS")
        keys = self._fetch(jwks_url)
        with self._lock:
            self._jwks[jwks_url] = (keys, now)
            if kid in keys:
                self._missed.pop(jwks_url, None)
            else:
                self._missed[jwks_url] = now
        if kid not in keys:
            logger.warning("token key id not in the JWKS of %s (after a refresh)", jwks_url)
            raise AuthenticationError("token verification failed: signing key not found in JWKS")
        return keys[kid]

    def _fetch(self, jwks_url: str) -> dict[str, jwt.PyJWK]:
        response = self._http.get(jwks_url, headers={"Accept": "application/json"}, what="JWKS request")
        try:
            document = response.json()
        except ValueError:
            raise UpstreamError("JWKS response is not JSON") from None
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise UpstreamError("JWKS response has no keys")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            if entry.get("alg", ALGORITHM) != ALGORITHM or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm=ALGORITHM)
            except jwt.PyJWTError:
                logger.warning("unusable key %s in the JWKS of %s", entry.get("kid"), jwks_url)
        return keys


def _reason(exc: Exception) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            if isinstance(exc, jwt.MissingRequiredClaimError):
                return f"missing claim {exc.claim}"
            return reason
    return type(exc).__name__
