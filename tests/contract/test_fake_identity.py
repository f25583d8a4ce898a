"""The fake identity server against the OAuth password grant / JWKS contract (reference §7)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from emulation.fakes._clock import ManualClock
from emulation.fakes.identity import (
    DEFAULT_SCOPES,
    DEFAULT_USERS,
    TOKEN_DEFECTS,
    FakeUser,
    TokenRejected,
    create_identity_app,
)
from emulation.fakes.serve import serve_app

ORIGIN = "https://birdsfoot.cps.golf"
TOKEN = "/identityapi/connect/token"
DISCOVERY = "/identityapi/.well-known/openid-configuration"
JWKS = "/identityapi/.well-known/openid-configuration/jwks"
GOLFER = DEFAULT_USERS[0]
CLIENT_HEADERS = {"client-id": "onlineresweb", "accept": "application/json, text/plain, */*", "origin": ORIGIN}


@pytest.fixture
def clock() -> ManualClock:
    # Near wall-clock time, so PyJWT's own exp/nbf checks (which read the system clock) agree.
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def client(clock) -> TestClient:
    return TestClient(create_identity_app(public_origin=ORIGIN, clock=clock), base_url=ORIGIN)


def grant(client: TestClient, **overrides: str) -> httpx.Response:
    form = {"grant_type": "password", "username": GOLFER.username, "password": GOLFER.password, "scope": DEFAULT_SCOPES}
    form.update(overrides)
    return client.post(TOKEN, data={k: v for k, v in form.items() if v is not None}, headers=CLIENT_HEADERS)


def token_of(client: TestClient) -> str:
    response = grant(client)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def verify_with_jwks(client: TestClient, token: str, *, audience: str = "onlinereservation") -> dict:
    """What a relying party does: discovery → JWKS → key by kid → PyJWT RS256 decode."""
    discovery = client.get(DISCOVERY).json()
    jwks = jwt.PyJWKSet.from_dict(client.get(httpx.URL(discovery["jwks_uri"]).path).json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=discovery["issuer"])


def test_password_grant_returns_bearer_token(client, clock):
    response = grant(client)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("no-store")
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert body["scope"] == DEFAULT_SCOPES
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"] and header["typ"] == "at+jwt"


def test_token_claims_and_jwks_verification(client, clock):
    claims = verify_with_jwks(client, token_of(client))
    now = int(clock.now().timestamp())
    assert claims["iss"] == f"{ORIGIN}/identityapi"
    assert claims["aud"] == "onlinereservation"
    assert claims["iat"] == claims["nbf"] == now and claims["exp"] == now + 3600
    assert claims["golferId"] == str(GOLFER.golfer_id) and claims["golferId"].isdigit()
    assert claims["acct"] == GOLFER.acct and claims["email"] == GOLFER.email
    assert isinstance(claims["sub"], str) and claims["sub"]
    assert claims["client_id"] == "onlineresweb"
    assert claims["scope"] == DEFAULT_SCOPES.split()


def test_form_client_id_and_narrower_scope(client):
    response = grant(client, client_id="onlineresweb", client_secret="anything", scope="openid onlinereservation")
    assert response.status_code == 200
    assert response.json()["scope"] == "openid onlinereservation"
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["scope"] == [
        "openid", "onlinereservation"]


def test_username_is_case_insensitive(client):
    assert grant(client, username=GOLFER.username.upper()).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"password": "wrong"}, "invalid_grant"),
        ({"username": "nobody@example.com"}, "invalid_grant"),
        ({"password": None}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"scope": "openid admin"}, "invalid_scope"),
    ],
)
def test_token_errors(client, overrides, error):
    response = grant(client, **overrides)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]


def test_token_requires_form_encoding(client):
    response = client.post(TOKEN, json={"grant_type": "password"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_discovery_document_uses_public_origin(client):
    doc = client.get(DISCOVERY).json()
    base = f"{ORIGIN}/identityapi"
    assert doc["issuer"] == base
    assert doc["jwks_uri"] == f"{base}/.well-known/openid-configuration/jwks"
    assert doc["token_endpoint"] == f"{base}/connect/token"
    assert "password" in doc["grant_types_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(DEFAULT_SCOPES.split()) <= set(doc["scopes_supported"])


def test_jwks_shape(client):
    keys = client.get(JWKS).json()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"kty", "use", "kid", "e", "n", "alg"}
    assert keys[0]["kty"] == "RSA" and keys[0]["use"] == "sig" and keys[0]["alg"] == "RS256"
    assert keys[0]["e"] == "AQAB"


def test_served_on_a_port_reports_that_origin():
    with serve_app(lambda origin: create_identity_app(public_origin=origin)) as served:
        doc = httpx.get(f"{served.origin}{DISCOVERY}").json()
        assert doc["issuer"] == f"{served.origin}/identityapi"
        assert httpx.get(doc["jwks_uri"]).json()["keys"]
        response = httpx.post(doc["token_endpoint"], headers={"client-id": "onlineresweb"},
                              data={"grant_type": "password", "username": GOLFER.username, "password": GOLFER.password})
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["iss"] == f"{served.origin}/identityapi"


def test_seeded_users_and_audience_are_configurable(clock):
    user = FakeUser("amy", "pw", 7, "A7", "amy@example.com")
    client = TestClient(create_identity_app(public_origin=ORIGIN, users=[user], clock=clock, audience="api"),
                        base_url=ORIGIN)
    assert grant(client).status_code == 400
    token = grant(client, username="amy", password="pw").json()["access_token"]
    assert verify_with_jwks(client, token, audience="api")["golferId"] == "7"


# -- controls ---------------------------------------------------------------------------------------


def test_rotate_keys_drops_old_key(client):
    old_token = token_of(client)
    old_kid = client.get("/_fake/identity/state").json()["kid"]
    state = client.post("/_fake/identity/rotate-keys").json()
    assert state["kid"] != old_kid and state["jwks_kids"] == [state["kid"]]
    assert [k["kid"] for k in client.get(JWKS).json()["keys"]] == [state["kid"]]
    with pytest.raises(KeyError):
        verify_with_jwks(client, old_token)
    assert verify_with_jwks(client, token_of(client))["golferId"] == str(GOLFER.golfer_id)


def test_rotate_keys_can_keep_previous(client):
    old_token = token_of(client)
    state = client.post("/_fake/identity/rotate-keys", json={"keep_previous": True}).json()
    assert len(state["jwks_kids"]) == 2
    assert verify_with_jwks(client, old_token)["acct"] == GOLFER.acct


@pytest.mark.parametrize(
    ("defect", "error"),
    [
        ("expired", jwt.ExpiredSignatureError),
        ("not_yet_valid", jwt.ImmatureSignatureError),
        ("bad_signature", jwt.InvalidSignatureError),
        ("wrong_issuer", jwt.InvalidIssuerError),
        ("wrong_audience", jwt.InvalidAudienceError),
        ("unknown_key", KeyError),
    ],
)
def test_token_defects(client, defect, error):
    response = client.post("/_fake/identity/token-defects", json={"defects": [defect], "count": 1})
    assert response.status_code == 200 and response.json()["defects"] == [defect]
    bad = grant(client)
    assert bad.status_code == 200 and bad.json()["expires_in"] == 3600  # the server does not say
    with pytest.raises(error):
        verify_with_jwks(client, bad.json()["access_token"])
    assert verify_with_jwks(client, token_of(client))  # count=1: next token is good again


def test_token_defects_until_cleared(client):
    client.post("/_fake/identity/token-defects", json={"defects": ["expired"]})
    for _ in range(2):
        with pytest.raises(jwt.ExpiredSignatureError):
            verify_with_jwks(client, token_of(client))
    assert client.delete("/_fake/identity/token-defects").json()["defects"] == []
    assert verify_with_jwks(client, token_of(client))


def test_unknown_defect_is_rejected(client):
    response = client.post("/_fake/identity/token-defects", json={"defects": ["sleepy"]})
    assert response.status_code == 400
    assert "unknown token defects ['sleepy']" in response.json()["error"]
    assert all(defect in response.json()["error"] for defect in TOKEN_DEFECTS)


def test_down_answers_503_until_up(client):
    assert client.post("/_fake/identity/down").json()["down"] is True
    for response in (grant(client), client.get(DISCOVERY), client.get(JWKS)):
        assert response.status_code == 503
    assert client.get("/_fake/identity/state").status_code == 200
    client.delete("/_fake/identity/down")
    assert grant(client).status_code == 200


def test_mint_token_control(client):
    response = client.post("/_fake/identity/tokens", json={"username": DEFAULT_USERS[1].username})
    assert response.status_code == 200
    assert verify_with_jwks(client, response.json()["access_token"])["golferId"] == str(DEFAULT_USERS[1].golfer_id)
    assert client.post("/_fake/identity/tokens", json={"username": "ghost"}).status_code == 404


def test_state_and_reset(client):
    client.post("/_fake/identity/down")
    client.post("/_fake/identity/token-defects", json={"defects": ["wrong_issuer"]})
    state = client.get("/_fake/identity/state").json()
    assert state["issuer"] == f"{ORIGIN}/identityapi" and state["users"] == sorted(u.username for u in DEFAULT_USERS)
    client.post("/_fake/reset")
    state = client.get("/_fake/identity/state").json()
    assert state["down"] is False and state["defects"] == []
    assert verify_with_jwks(client, token_of(client))


def test_python_api_verify_uses_injected_clock(clock):
    app = create_identity_app(public_origin=ORIGIN, clock=clock)
    server = app.state.identity
    token = server.issue_token(GOLFER.username)
    assert server.verify(token)["golferId"] == str(GOLFER.golfer_id)
    clock.advance(seconds=3600 + 300)  # lifetime + 5 min clock skew
    with pytest.raises(TokenRejected, match="expired"):
        server.verify(token)
