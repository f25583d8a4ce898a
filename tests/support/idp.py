"""An OpenID identity provider for tests of the API's authorizer: keys made here, served by a mock transport."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://id.example/identityapi"
AUDIENCE = "rez-agent-api"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@lru_cache(maxsize=4)
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(name: str) -> dict:
    return {**RSAAlgorithm.to_jwk(private_key(name).public_key(), as_dict=True), "kid": name, "use": "sig"}


def token(kid: str = "k1", **overrides) -> str:
    """A token of ``ISSUER`` for ``AUDIENCE``, valid at ``NOW``; a claim given as None is left out."""
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "iat": int(NOW.timestamp()) - 10,
              "nbf": int(NOW.timestamp()) - 10, "exp": int(NOW.timestamp()) + 3600}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, private_key(kid), algorithm="RS256",
                      headers={"kid": kid})


class IdentityProvider:
    """Discovery + JWKS; the key set can change and the server can go down. Counts requests."""

    def __init__(self, *kids: str) -> None:
        self.kids = list(kids)
        self.requests = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            return httpx.Response(503, text="down")
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        return httpx.Response(200, json={"keys": [jwk(k) for k in self.kids]})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))
