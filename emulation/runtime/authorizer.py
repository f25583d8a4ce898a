"""The HTTP API's JWT authorizer, as API Gateway runs it.

Routes declared ``auth="jwt"`` need ``Authorization: Bearer <JWT>``: RS256 signature against the
issuer's JWKS (found through ``<issuer>/.well-known/openid-configuration``, cached, refreshed once
for an unknown ``kid``), ``iss``, ``aud``, ``exp`` and ``nbf`` checked on the platform clock. A valid
token's claims reach the function as ``requestContext.authorizer.jwt`` (claims and scopes), as on AWS.
Failures answer 401 ``{"message": "Unauthorized", "reason": ...}`` — API Gateway's body, plus the reason.

LIMITATIONS: no scope-based authorization (every valid token may call every jwt route), no
Lambda (REQUEST) authorizers, no authorizer result caching semantics beyond the JWKS cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from emulation.runtime.clock import PlatformClock


class Unauthorized(Exception):
    pass


@dataclass
class JwtAuthorizer:
    issuer: str
    audience: str
    clock: PlatformClock

    def __post_init__(self) -> None:
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _refresh_keys(self) -> None:
        discovery = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10).json()
        jwks = httpx.get(discovery["jwks_uri"], timeout=10).json()
        with self._lock:
            self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", []) if "kid" in k}

    def _key(self, kid: str) -> Any:
        if kid not in self._keys:
            self._refresh_keys()
        if kid not in self._keys:
            raise Unauthorized("signing key not found in the issuer's JWKS")
        return self._keys[kid]

    def authorize(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a valid bearer token; raises ``Unauthorized`` with a reason otherwise."""
        if not authorization:
            raise Unauthorized("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Authorization must be 'Bearer <token>'")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise Unauthorized("token must be signed with RS256")
            claims = jwt.decode(token, self._key(header.get("kid", "")), algorithms=["RS256"],
                                audience=self.audience, issuer=self.issuer,
                                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                         "require": ["exp", "iss", "aud"]})
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("token audience is not this API") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("token issuer is not trusted") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token ({type(exc).__name__})") from exc
        # Time is the platform's, so a frozen or advanced clock judges expiry like everything else.
        now = self.clock.now().timestamp()
        if claims["exp"] <= now:
            raise Unauthorized("token expired")
        if claims.get("nbf", 0) > now + 60:
            raise Unauthorized("token not yet valid")
        return claims
