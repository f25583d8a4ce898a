"""Fake of a cps.golf identity server (IdentityServer4 under ``<origin>/identityapi``).

Routes (``IdentityServer.routes()``; ``create_identity_app`` serves them alone, the golf course
origin app serves them next to the golf API):

* ``POST /identityapi/connect/token`` — OAuth 2.0 resource-owner password grant, form body
  ``grant_type=password&username=&password=[&client_id=&client_secret=&scope=]``; answers
  ``{access_token, token_type: "Bearer", expires_in, scope}`` or 400 ``{error, error_description}``
  (``invalid_request``, ``unsupported_grant_type``, ``invalid_grant``, ``invalid_client``, ``invalid_scope``).
* ``GET /identityapi/.well-known/openid-configuration`` and ``.../openid-configuration/jwks``.

Access tokens are RS256 JWTs (header ``kid``, ``typ: at+jwt``) with ``iss`` = ``<origin>/identityapi``,
``aud``, ``exp``, ``iat``, ``nbf``, ``sub``, ``golferId`` (string), ``acct``, ``email``, ``client_id``,
``scope``, ``jti``. Keys are generated in memory per instance.

Controls (JSON, under ``/_fake/identity``): ``GET state``; ``POST rotate-keys`` ``{keep_previous}``;
``POST token-defects`` ``{defects: [...], count}`` / ``DELETE token-defects``; ``POST down`` /
``DELETE down``; ``POST tokens`` ``{username, scope}`` (mint without the password).

LIMITATIONS:
* Password grant only: no authorization code, refresh tokens, client credentials, userinfo,
  introspection or revocation (they appear in the discovery document, as on the real server, but
  are not served).
* ``client_id`` is optional (the real client only sends a ``client-id`` header); when present it must
  be the configured one. ``client_secret`` is not checked.
* Rotation drops the previous key unless ``keep_previous`` is asked for; there is no scheduled rollover.
* ``down`` answers 503 on the ``/identityapi`` routes only; the golf API of the same origin keeps
  verifying tokens with the in-memory keys.
* Token validation (used by the golf API) allows 5 minutes of clock skew, like ASP.NET JwtBearer.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from emulation.fakes._clock import Clock, SystemClock, utc_now
from emulation.fakes.faults import FaultMiddleware, Faults
from emulation.fakes.identity_routes import control_routes, public_routes

DEFAULT_AUDIENCE = "onlinereservation"
DEFAULT_CLIENT_ID = "onlineresweb"
DEFAULT_SCOPES = "openid profile onlinereservation sale inventory sh customer email recommend references"
TOKEN_DEFECTS = ("expired", "not_yet_valid", "unknown_key", "bad_signature", "wrong_issuer", "wrong_audience")
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class FakeUser:
    """A seeded golfer account."""

    username: str
    password: str
    golfer_id: int
    acct: str
    email: str


DEFAULT_USERS: tuple[FakeUser, ...] = (
    FakeUser("golfer@example.com", "fairway-2025", 40021, "G40021", "golfer@example.com"),
    FakeUser("partner@example.com", "bogey-2025", 40022, "G40022", "partner@example.com"),
)


class TokenRejected(Exception):
    """An access token failed validation; ``str(exc)`` is the reason."""


@dataclass
class _Key:
    private: rsa.RSAPrivateKey
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        numbers = self.private.public_key().public_numbers()
        self.kid = hashlib.sha256(f"{numbers.n}:{numbers.e}".encode()).hexdigest()[:32].upper()

    def jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "e": jwk["e"], "n": jwk["n"], "alg": "RS256"}


class IdentityServer:
    """State and routes of one identity server (one per course origin)."""

    def __init__(
        self,
        *,
        public_origin: str,
        users: tuple[FakeUser, ...] | list[FakeUser] = DEFAULT_USERS,
        clock: Clock | None = None,
        audience: str = DEFAULT_AUDIENCE,
        client_id: str = DEFAULT_CLIENT_ID,
        scopes: str = DEFAULT_SCOPES,
        token_lifetime: timedelta = timedelta(hours=1),
        key_size: int = 2048,
    ) -> None:
        self.public_origin = public_origin.rstrip("/")
        self.users = {u.username.lower(): u for u in users}
        self.clock = clock or SystemClock()
        self.audience = audience
        self.client_id = client_id
        self.scopes = scopes.split()
        self.token_lifetime = token_lifetime
        self._key_size = key_size
        self._lock = threading.RLock()
        self._keys = [self._new_key()]
        self.defects: list[str] = []
        self.defect_count: int | None = None
        self.down = False
        self.tokens_issued = 0

    # -- state --------------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"{self.public_origin}/identityapi"

    @property
    def kid(self) -> str:
        return self._keys[0].kid

    @functools.cached_property
    def _rogue(self) -> _Key:
        """A key that is never published: signs ``unknown_key`` / ``bad_signature`` tokens."""
        return self._new_key()

    def _new_key(self) -> _Key:
        return _Key(rsa.generate_private_key(public_exponent=65537, key_size=self._key_size))

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [k.jwk() for k in self._keys]}

    def rotate_keys(self, keep_previous: bool = False) -> str:
        new = self._new_key()
        with self._lock:
            self._keys = [new, *self._keys[:1]] if keep_previous else [new]
        return new.kid

    def set_defects(self, defects: list[str], count: int | None = None) -> None:
        unknown = sorted(set(defects) - set(TOKEN_DEFECTS))
        if unknown:
            raise ValueError(f"unknown token defects {unknown}; known: {list(TOKEN_DEFECTS)}")
        with self._lock:
            self.defects, self.defect_count = list(defects), count

    def reset(self) -> None:
        """Clear defects and ``down``; the current signing keys are kept (clients cache JWKS)."""
        with self._lock:
            self.defects, self.defect_count, self.down = [], None, False

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "issuer": self.issuer,
                "audience": self.audience,
                "kid": self.kid,
                "jwks_kids": [k.kid for k in self._keys],
                "defects": list(self.defects),
                "defect_count": self.defect_count,
                "down": self.down,
                "tokens_issued": self.tokens_issued,
                "users": sorted(self.users),
            }

    # -- tokens -------------------------------------------------------------------------------
    def _take_defects(self) -> set[str]:
        with self._lock:
            defects = set(self.defects)
            if defects and self.defect_count is not None:
                self.defect_count -= 1
                if self.defect_count <= 0:
                    self.defects, self.defect_count = [], None
            self.tokens_issued += 1
            return defects

    def issue_token(self, username: str, scope: list[str] | None = None) -> str:
        """Mint an access token for a seeded user (applies any pending token defects)."""
        user = self.users[username.lower()]
        defects = self._take_defects()
        now = utc_now(self.clock)
        iat = now - 2 * self.token_lifetime if "expired" in defects else now
        if "not_yet_valid" in defects:
            iat = now + timedelta(hours=1)
        claims = {
            "iss": "https://wrong-issuer.example/identityapi" if "wrong_issuer" in defects else self.issuer,
            "aud": "not-" + self.audience if "wrong_audience" in defects else self.audience,
            "nbf": int(iat.timestamp()),
            "iat": int(iat.timestamp()),
            "exp": int((iat + self.token_lifetime).timestamp()),
            "client_id": self.client_id,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{user.username.lower()}")),
            "golferId": str(user.golfer_id),
            "acct": user.acct,
            "email": user.email,
            "scope": scope if scope is not None else list(self.scopes),
            "jti": uuid.uuid4().hex.upper(),
        }
        with self._lock:
            current = self._keys[0]
        signer = self._rogue.private if defects & {"unknown_key", "bad_signature"} else current.private
        kid = self._rogue.kid if "unknown_key" in defects else current.kid
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid, "typ": "at+jwt"})

    def verify(self, token: str) -> dict[str, Any]:
        """Validate an access token as the golf API does: kid, signature, iss, aud, nbf, exp."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"malformed token: {exc}") from exc
        with self._lock:
            key = next((k for k in self._keys if k.kid == header.get("kid")), None)
        if key is None:
            raise TokenRejected("The signature key was not found")
        try:
            claims = jwt.decode(
                token,
                key.private.public_key(),
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                         "require": ["exp", "nbf", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"{type(exc).__name__}: {exc}") from exc
        now = utc_now(self.clock).timestamp()
        if claims["exp"] + CLOCK_SKEW.total_seconds() <= now:
            raise TokenRejected("The token is expired")
        if claims["nbf"] - CLOCK_SKEW.total_seconds() > now:
            raise TokenRejected("The token is not yet valid")
        for name in ("golferId", "acct", "email"):
            if not claims.get(name):
                raise TokenRejected(f"The token has no {name} claim")
        return claims

    # -- HTTP ---------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        """Public ``/identityapi`` routes plus the ``/_fake/identity`` controls."""
        return public_routes(self) + control_routes(self)


def create_identity_app(
    *,
    public_origin: str,
    users: tuple[FakeUser, ...] | list[FakeUser] = DEFAULT_USERS,
    clock: Clock | None = None,
    audience: str = DEFAULT_AUDIENCE,
    faults: Faults | None = None,
) -> Starlette:
    """A standalone identity server app; handles on ``app.state.identity`` and ``app.state.faults``."""
    server = IdentityServer(public_origin=public_origin, users=users, clock=clock, audience=audience)
    faults = faults if faults is not None else Faults()
    app = Starlette(
        routes=server.routes(),
        # Browser sign-in (the chat page's password grant) is cross-origin, as it is with a real IdP.
        middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                               allow_headers=["*"]),
                    Middleware(FaultMiddleware, faults=faults, on_reset=server.reset)],
    )
    app.state.identity = server
    app.state.faults = faults
    return app
