"""JWT verification against a JWKS served through the guarded client (keys made here)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.core.errors import AuthenticationError, UpstreamError
from services.core.http import OutboundHttp
from services.core.jwt_verify import JwtVerifier
from services.core.ssrf import SsrfGuard

ORIGIN = "https://birdsfoot.cps.golf"
ISSUER = f"{ORIGIN}/identityapi"
JWKS_URL = f"{ISSUER}/.well-known/openid-configuration/jwks"
AUDIENCE = "onlinereservation"
NOW = datetime(2025, 11, 14, 13, 0, tzinfo=UTC)


@lru_cache(maxsize=4)
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(name: str) -> dict:
    data = RSAAlgorithm.to_jwk(private_key(name).public_key(), as_dict=True)
    return {**data, "kid": name, "use": "sig", "alg": "RS256"}


def claims(**overrides) -> dict:
    base = {"iss": ISSUER, "aud": AUDIENCE, "iat": int(NOW.timestamp()) - 60, "nbf": int(NOW.timestamp()) - 60,
            "exp": int(NOW.timestamp()) + 3600, "sub": "abc", "golferId": "40021", "acct": "G40021",
            "email": "golfer@example.com"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def token(kid: str = "key-1", signer: str | None = None, **overrides) -> str:
    return jwt.encode(claims(**overrides), private_key(signer or kid), algorithm="RS256", headers={"kid": kid})


class Jwks:
    """A JWKS endpoint whose key set can change; counts fetches."""

    def __init__(self, *names: str) -> None:
        self.names = list(names)
        self.fetches = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL
        self.fetches += 1
        return httpx.Response(200, json={"keys": [jwk(n) for n in self.names]})


@pytest.fixture
def jwks() -> Jwks:
    return Jwks("key-1")


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def verifier(jwks: Jwks, clock: list[datetime]) -> JwtVerifier:
    guard = SsrfGuard(["birdsfoot.cps.golf"], resolver=lambda host: ["93.184.216.34"])
    http = OutboundHttp(guard, client=httpx.Client(transport=httpx.MockTransport(jwks.handler)), sleep=lambda _: None)
    return JwtVerifier(http, audience=AUDIENCE, leeway=30, now=lambda: clock[0])


def verify(verifier: JwtVerifier, value: str):
    return verifier.verify(value, jwks_url=JWKS_URL, issuer=ISSUER)


def rejected(verifier: JwtVerifier, value: str, reason: str) -> AuthenticationError:
    with pytest.raises(AuthenticationError, match=reason) as info:
        verify(verifier, value)
    assert all(part not in str(info.value) for part in value.split(".") if len(part) > 8)
    return info.value


def test_valid_token_gives_the_golfer_claims(verifier: JwtVerifier) -> None:
    result = verify(verifier, token())
    assert (result.golfer_id, result.acct, result.email) == ("40021", "G40021", "golfer@example.com")
    assert result.expires_at == NOW + timedelta(hours=1)


def test_list_audience_containing_ours_is_accepted(verifier: JwtVerifier) -> None:
    assert verify(verifier, token(aud=["other", AUDIENCE])).golfer_id == "40021"


def test_expired(verifier: JwtVerifier) -> None:
    rejected(verifier, token(iat=int(NOW.timestamp()) - 7200, exp=int(NOW.timestamp()) - 3600), "token expired")


def test_expiry_is_read_from_the_injected_clock(verifier: JwtVerifier, clock: list[datetime]) -> None:
    value = token()
    assert verify(verifier, value)
    clock[0] = NOW + timedelta(hours=2)
    rejected(verifier, value, "token expired")


def test_not_yet_valid(verifier: JwtVerifier) -> None:
    later = int(NOW.timestamp()) + 3600
    rejected(verifier, token(nbf=later, iat=int(NOW.timestamp())), "not yet valid")


def test_issued_in_the_future(verifier: JwtVerifier) -> None:
    rejected(verifier, token(iat=int(NOW.timestamp()) + 3600, nbf=None), "issued in the future")


def test_wrong_issuer(verifier: JwtVerifier) -> None:
    rejected(verifier, token(iss="https://evil.example/identityapi"), "wrong issuer")


def test_wrong_audience(verifier: JwtVerifier) -> None:
    rejected(verifier, token(aud="not-onlinereservation"), "wrong audience")


def test_tampered_payload(verifier: JwtVerifier) -> None:
    header, _, signature = token().split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(golferId="99999")).encode()).rstrip(b"=").decode()
    rejected(verifier, f"{header}.{forged}.{signature}", "bad signature")


def test_signed_by_another_key_with_our_kid(verifier: JwtVerifier) -> None:
    rejected(verifier, token(kid="key-1", signer="rogue"), "bad signature")


def test_alg_none(verifier: JwtVerifier) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "key-1"})
    rejected(verifier, unsigned, "algorithm 'none' not allowed")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_hs256_signed_with_the_public_key(verifier: JwtVerifier) -> None:
    pem = private_key("key-1").public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
    body = _b64(json.dumps(claims()).encode())
    signature = _b64(hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    rejected(verifier, f"{header}.{body}.{signature}", "algorithm 'HS256' not allowed")


def test_malformed(verifier: JwtVerifier) -> None:
    rejected(verifier, "not-a-jwt", "malformed")


@pytest.mark.parametrize("claim", ["golferId", "acct", "email"])
def test_missing_required_claim(verifier: JwtVerifier, claim: str) -> None:
    rejected(verifier, token(**{claim: None}), f"missing claim {claim}")


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud"])
def test_missing_registered_claim(verifier: JwtVerifier, claim: str) -> None:
    rejected(verifier, token(**{claim: None}), "missing claim")


def test_non_numeric_golfer_id(verifier: JwtVerifier) -> None:
    rejected(verifier, token(golferId="abc"), "golferId claim is not numeric")


def test_jwks_is_cached(verifier: JwtVerifier, jwks: Jwks) -> None:
    for _ in range(3):
        verify(verifier, token())
    assert jwks.fetches == 1


def test_jwks_cache_expires_after_an_hour(verifier: JwtVerifier, jwks: Jwks, clock: list[datetime]) -> None:
    verify(verifier, token())
    clock[0] = NOW + timedelta(minutes=61)
    verify(verifier, token(iat=int(clock[0].timestamp()), exp=int(clock[0].timestamp()) + 600))
    assert jwks.fetches == 2


def test_key_rotation_refreshes_once(verifier: JwtVerifier, jwks: Jwks) -> None:
    verify(verifier, token("key-1"))
    jwks.names = ["key-2"]
    assert verify(verifier, token("key-2")).golfer_id == "40021"
    assert jwks.fetches == 2
    verify(verifier, token("key-2"))
    assert jwks.fetches == 2


def test_unknown_kid_refreshes_once_then_fails(verifier: JwtVerifier, jwks: Jwks) -> None:
    verify(verifier, token("key-1"))
    rejected(verifier, token("key-9"), "signing key not found")
    assert jwks.fetches == 2


def test_unknown_kids_do_not_make_every_verification_fetch(verifier: JwtVerifier, jwks: Jwks,
                                                           clock: list[datetime]) -> None:
    verify(verifier, token("key-1"))
    for _ in range(10):
        rejected(verifier, token("key-9"), "signing key not found")
    assert jwks.fetches == 2, "one refresh per cool-down, not one per token"
    assert verify(verifier, token("key-1")).golfer_id == "40021"
    jwks.names = ["key-1", "key-9"]
    clock[0] = NOW + timedelta(seconds=11)
    assert verify(verifier, token("key-9", iat=int(clock[0].timestamp()))).golfer_id == "40021"
    assert jwks.fetches == 3


def test_jwks_unavailable_is_retryable(clock: list[datetime]) -> None:
    guard = SsrfGuard(["birdsfoot.cps.golf"], resolver=lambda host: ["93.184.216.34"])
    http = OutboundHttp(guard, client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
                        sleep=lambda _: None)
    with pytest.raises(UpstreamError) as info:
        JwtVerifier(http, audience=AUDIENCE, now=lambda: clock[0]).verify(token(), jwks_url=JWKS_URL, issuer=ISSUER)
    assert info.value.retryable


# -- where the token comes from: secrets + OAuth password grant ------------------------------------------

TOKEN_URL = f"{ISSUER}/connect/token"


class SecretsStub:
    def __init__(self, value: str) -> None:
        self.value = value
        self.reads = 0

    def get_secret_value(self, SecretId: str) -> dict:  # noqa: N803 - boto3's name
        self.reads += 1
        return {"Name": SecretId, "SecretString": self.value}


class TokenEndpoint:
    def __init__(self, expires_in: int = 3600, status: int = 200, body: dict | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.expires_in, self.status, self.body = expires_in, status, body

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.body or {"access_token": f"tok-{len(self.requests)}", "token_type": "Bearer",
                             "expires_in": self.expires_in}
        return httpx.Response(self.status, json=body)


def oauth_client(endpoint: TokenEndpoint, secret: SecretsStub, clock: list[datetime]):
    from services.core.oauth import OAuthClient
    from services.core.secrets import SecretsReader

    guard = SsrfGuard(["birdsfoot.cps.golf"], resolver=lambda host: ["93.184.216.34"])
    http = OutboundHttp(guard, client=httpx.Client(transport=httpx.MockTransport(endpoint.handler)),
                        sleep=lambda _: None)
    return OAuthClient(http, SecretsReader(secret, now=lambda: clock[0]), now=lambda: clock[0])


CREDENTIALS = json.dumps({"username": "golfer@example.com", "password": "fairway-2025"})


def test_password_grant_sends_the_documented_form_and_headers(clock: list[datetime]) -> None:
    from urllib.parse import parse_qs

    endpoint = TokenEndpoint()
    secret = SecretsStub(json.dumps({"username": "u@example.com", "password": "pw", "client_id": "cid"}))
    token = oauth_client(endpoint, secret, clock).password_grant(
        TOKEN_URL, "rez-agent/golf/credentials-dev", scope="openid onlinereservation",
        headers={"client-id": "onlineresweb", "origin": ORIGIN})
    assert token.value == "tok-1" and "tok-1" not in repr(token)
    [request] = endpoint.requests
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {"grant_type": "password", "username": "u@example.com", "password": "pw", "client_id": "cid",
                    "scope": "openid onlinereservation"}
    assert request.headers["client-id"] == "onlineresweb" and request.headers["origin"] == ORIGIN
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("lifetime, still_cached, refreshed", [
    (7200, 7200 - 601, 7200 - 599),   # 10 minutes before expiry...
    (3600, 3600 - 361, 3600 - 359),   # ...or 10% of the life when that is shorter
    (300, 300 - 31, 300 - 29),
])
def test_token_cache_expires_early(clock: list[datetime], lifetime: int, still_cached: int, refreshed: int) -> None:
    endpoint = TokenEndpoint(expires_in=lifetime)
    client = oauth_client(endpoint, SecretsStub(CREDENTIALS), clock)
    assert client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev").value == "tok-1"
    clock[0] = NOW + timedelta(seconds=still_cached)
    assert client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev").value == "tok-1"
    clock[0] = NOW + timedelta(seconds=refreshed)
    assert client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev").value == "tok-2"
    assert client.password_grant(TOKEN_URL, "rez-agent/golf/other").value == "tok-3"  # keyed by secret too


def test_invalid_grant_is_an_authentication_error_without_secrets(clock: list[datetime]) -> None:
    endpoint = TokenEndpoint(status=400, body={"error": "invalid_grant",
                                               "error_description": "bad password fairway-2025"})
    secret = SecretsStub(CREDENTIALS)
    client = oauth_client(endpoint, secret, clock)
    with pytest.raises(AuthenticationError, match="invalid_grant") as info:
        client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev")
    assert "fairway-2025" not in str(info.value) and not info.value.retryable
    with pytest.raises(AuthenticationError):
        client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev")
    assert secret.reads == 2  # the rejected credentials were not kept


def test_token_endpoint_5xx_stays_retryable(clock: list[datetime]) -> None:
    client = oauth_client(TokenEndpoint(status=503, body={"status": 503}), SecretsStub(CREDENTIALS), clock)
    with pytest.raises(UpstreamError) as info:
        client.password_grant(TOKEN_URL, "rez-agent/golf/credentials-dev")
    assert info.value.retryable


@pytest.mark.parametrize("value, message", [
    ("not json {fairway-2025", "not valid JSON"),
    (json.dumps({"username": "u", "password": 12345678}), "JSON object of strings"),
    (json.dumps(["fairway-2025"]), "JSON object of strings"),
    (json.dumps({"username": "u"}), "missing username or password"),
])
def test_bad_secrets_are_configuration_errors_that_hide_the_value(clock: list[datetime], value: str,
                                                                  message: str) -> None:
    from services.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=message) as info:
        oauth_client(TokenEndpoint(), SecretsStub(value), clock).password_grant(TOKEN_URL, "rez-agent/golf/x")
    assert "fairway-2025" not in str(info.value) and "12345678" not in str(info.value)


def test_secret_is_cached_for_five_minutes(clock: list[datetime]) -> None:
    from services.core.secrets import SecretsReader

    secret = SecretsStub(CREDENTIALS)
    reader = SecretsReader(secret, now=lambda: clock[0])
    reader.get_json("rez-agent/golf/x")
    clock[0] = NOW + timedelta(minutes=4, seconds=59)
    reader.get_json("rez-agent/golf/x")
    assert secret.reads == 1
    clock[0] = NOW + timedelta(minutes=5)
    reader.get_json("rez-agent/golf/x")
    assert secret.reads == 2


def test_secret_name_choice() -> None:
    from services.core.errors import ValidationError
    from services.core.oauth import secret_name_for

    assert secret_name_for(None, "rez-agent/golf/credentials-dev") == "rez-agent/golf/credentials-dev"
    assert secret_name_for({"secret_name": "rez-agent/golf/mine"}, "d") == "rez-agent/golf/mine"
    with pytest.raises(ValidationError):
        secret_name_for({"secret_name": "prod/golf"}, "d")
