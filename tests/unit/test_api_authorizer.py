"""The HTTP API's JWT authorizer against an identity provider served through a mock transport."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from emulation.runtime.authorizer import (
    IdentityProviderUnavailable,
    JwtAuthorizer,
    Unauthorized,
    bearer_token,
)
from emulation.runtime.clock import PlatformClock
from tests.support.idp import AUDIENCE, ISSUER, NOW, IdentityProvider, private_key, token


@pytest.fixture
def idp() -> IdentityProvider:
    return IdentityProvider("k1")


@pytest.fixture
def clock() -> PlatformClock:
    return PlatformClock(frozen_at=NOW)


@pytest.fixture
def authorizer(idp, clock) -> JwtAuthorizer:
    return JwtAuthorizer(ISSUER, AUDIENCE, clock, http=idp.client())


def refusal(authorizer: JwtAuthorizer, authorization: str | None) -> Unauthorized:
    with pytest.raises(Unauthorized) as info:
        authorizer.authorize(authorization)
    return info.value


@pytest.mark.parametrize("value", ["Bearer {t}", "Bearer   {t}", "bearer {t}", "{t}", "  Bearer {t}  "])
def test_accepts_what_api_gateway_accepts(authorizer, value):
    assert authorizer.authorize(value.format(t=token()))["sub"] == "u1"


def test_client_id_stands_in_for_a_missing_aud(authorizer):
    assert authorizer.authorize(token(aud=None, client_id=AUDIENCE))["client_id"] == AUDIENCE
    # aud wins when both are there
    assert "audience" in str(refusal(authorizer, token(aud="other", client_id=AUDIENCE)))
    assert authorizer.authorize(token(aud=["other", AUDIENCE]))["sub"] == "u1"


def test_no_token_is_a_bare_bearer_challenge(authorizer):
    for value in (None, "", "   "):
        refused = refusal(authorizer, value)
        assert refused.www_authenticate == "Bearer"


@pytest.mark.parametrize(("overrides", "description"), [
    ({"exp": int(NOW.timestamp())}, "the token has expired"),
    ({"nbf": int(NOW.timestamp()) + 5}, "the token is not valid yet"),
    ({"iat": int(NOW.timestamp()) + 5}, "the token was issued in the future"),
    ({"exp": "tomorrow"}, "the token has an invalid exp claim"),
    ({"iat": True}, "the token has an invalid iat claim"),
    ({"exp": None}, "the token has an invalid exp claim"),
    ({"aud": "someone-else"}, "the token does not have a valid audience"),
    ({"iss": "https://elsewhere"}, "the token does not have a valid issuer"),
])
def test_claims_are_checked_on_the_platform_clock(authorizer, overrides, description):
    refused = refusal(authorizer, f"Bearer {token(**overrides)}")
    assert refused.description == description
    assert refused.www_authenticate == f'Bearer scope="" error="invalid_token" error_description="{description}"'


@pytest.mark.parametrize("bad", ["not-a-jwt", "a.b.c", "Basic dXNlcjpwYXNz", "Bearer", "Bearer \u00e9t\u00e9",
                                 jwt.encode({"iss": ISSUER}, "s" * 32, algorithm="HS256"),
                                 jwt.encode({"iss": ISSUER}, None, algorithm="none")])
def test_garbage_is_unauthorized_never_an_error(authorizer, bad):
    assert isinstance(refusal(authorizer, bad), Unauthorized)


def test_signature_from_another_key_is_refused(authorizer):
    forged = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(NOW.timestamp()) + 60}, private_key("k2"),
                        algorithm="RS256", headers={"kid": "k1"})
    assert refusal(authorizer, forged).description == "the token signature is invalid"


def test_a_foreign_issuer_costs_no_fetch(authorizer, idp):
    refusal(authorizer, token(iss="https://elsewhere"))
    assert idp.requests == 0


def test_an_unknown_kid_refreshes_once_per_cool_down(authorizer, idp, clock):
    authorizer.authorize(token())
    assert idp.requests == 2  # discovery + JWKS
    for _ in range(20):
        refusal(authorizer, token("k9"))
    assert idp.requests == 4, "one refresh for twenty unknown-kid tokens"
    assert authorizer.authorize(token())["sub"] == "u1"  # known keys keep working meanwhile
    idp.kids.append("k9")
    clock.advance(timedelta(seconds=11))
    assert authorizer.authorize(token("k9"))["sub"] == "u1"
    assert idp.requests == 6


def test_a_rotated_key_is_picked_up_at_once(authorizer, idp):
    authorizer.authorize(token())
    idp.kids = ["k1", "k2"]
    assert authorizer.authorize(token("k2"))["sub"] == "u1"


def test_a_rotated_out_key_stops_working_within_two_hours(authorizer, idp, clock):
    long_lived = token(exp=int(NOW.timestamp()) + 86400)
    authorizer.authorize(long_lived)
    idp.kids = ["k2"]
    clock.advance(timedelta(hours=1, minutes=59))
    assert authorizer.authorize(long_lived)["sub"] == "u1"  # cached key
    clock.advance(timedelta(minutes=2))
    assert "signing key" in str(refusal(authorizer, long_lived))


def test_identity_provider_down(authorizer, idp, clock):
    idp.down = True
    with pytest.raises(IdentityProviderUnavailable):
        authorizer.authorize(token())
    for _ in range(5):
        with pytest.raises(IdentityProviderUnavailable):
            authorizer.authorize(token())
    assert idp.requests == 1, "no fetch per request while the provider is down"
    idp.down = False
    clock.advance(timedelta(seconds=11))
    assert authorizer.authorize(token())["sub"] == "u1"


def test_keys_still_fresh_survive_the_provider_going_down(authorizer, idp):
    authorizer.authorize(token())
    idp.down = True
    assert authorizer.authorize(token())["sub"] == "u1"
    with pytest.raises(IdentityProviderUnavailable):  # a new key cannot be checked: 503, retry later
        authorizer.authorize(token("k2"))


@pytest.mark.parametrize("document", [{"keys": "nope"}, ["not", "an", "object"], {"no": "keys"}])
def test_a_jwks_that_is_not_one_is_unavailable(clock, document):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={"jwks_uri": f"{ISSUER}/jwks"})
        return httpx.Response(200, json=document)

    authorizer = JwtAuthorizer(ISSUER, AUDIENCE, clock, http=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(IdentityProviderUnavailable):
        authorizer.authorize(token())


def test_bearer_token_parsing():
    assert bearer_token("Bearer  abc") == "abc"
    assert bearer_token("abc") == "abc"
    assert bearer_token("BEARER abc") == "abc"
    with pytest.raises(Unauthorized):
        bearer_token(None)
