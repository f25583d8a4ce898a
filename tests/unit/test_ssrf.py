"""SSRF guard and the guarded HTTP client: what may be fetched, and redirects never followed."""

from __future__ import annotations

import httpx
import pytest

from services.core.errors import UpstreamError
from services.core.http import OutboundHttp, RedirectNotFollowedError
from services.core.ssrf import BlockedUrlError, SsrfGuard, blocked_reason, is_ip_literal

ALLOWED = ("api.weather.gov", "birdsfoot.cps.golf", "totteridge.cps.golf")
PUBLIC = "93.184.216.34"


def resolver_for(mapping: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str) -> list[str]:
        calls.append(host)
        if host not in mapping:
            raise OSError("no such host")
        return mapping[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def guard(addresses: list[str] | None = None, trusted: tuple[str, ...] = ()) -> SsrfGuard:
    mapping = {host: addresses or [PUBLIC] for host in ALLOWED}
    return SsrfGuard(ALLOWED, trusted, resolver=resolver_for(mapping))


def test_public_allowlisted_https_url_passes() -> None:
    url = "https://api.weather.gov/gridpoints/PBZ/95,64/forecast"
    assert guard().check(url) == url
    assert guard().check("https://API.Weather.gov:443/x") == "https://API.Weather.gov:443/x"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.5.6.7", "10.0.0.1", "172.16.3.4", "192.168.1.1", "169.254.1.1", "0.0.0.0",
    "100.64.0.1", "224.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "64:ff9b::a00:1",
    "::7f00:1",
])
def test_host_resolving_to_a_non_public_address_is_rejected(address: str) -> None:
    with pytest.raises(BlockedUrlError, match="resolves to a"):
        guard([address]).check("https://api.weather.gov/x")


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"])
def test_metadata_addresses_are_named_as_such(address: str) -> None:
    with pytest.raises(BlockedUrlError, match="cloud metadata"):
        guard([address]).check("https://birdsfoot.cps.golf/identityapi/connect/token")


def test_one_bad_address_among_good_ones_is_enough_to_reject() -> None:
    with pytest.raises(BlockedUrlError):
        guard([PUBLIC, "10.1.2.3"]).check("https://api.weather.gov/x")


def test_public_ipv6_is_fine() -> None:
    assert blocked_reason("2606:4700:4700::1111") is None
    assert blocked_reason(PUBLIC) is None


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/", "https://2130706433/", "https://0177.0.0.1/", "https://0x7f.0.0.1/",
    "https://0x7f000001/", "https://127.1/", "https://017700000001/", "https://[::1]/",
    "https://[::ffff:127.0.0.1]/", "https://[fd00:ec2::254]/", "https://169.254.169.254/latest/meta-data/",
    "https://08.0.0.1/", "https://api.weather.gov.1/",
])
def test_ip_literals_in_every_spelling_are_rejected(url: str) -> None:
    with pytest.raises(BlockedUrlError, match="IP addresses are not allowed"):
        guard().check(url)


def test_ip_literal_detection_does_not_flag_names() -> None:
    assert not is_ip_literal("api.weather.gov")
    assert not is_ip_literal("1password.com")
    assert is_ip_literal("0x7f.1")


@pytest.mark.parametrize("url, reason", [
    ("http://api.weather.gov/x", "only HTTPS"),
    ("ftp://api.weather.gov/x", "only HTTPS"),
    ("https://evil.example.com/x", "not in allowlist"),
    ("https://api.weather.gov.evil.com/x", "not in allowlist"),
    ("https://weather.gov/x", "not in allowlist"),
    ("https://api.weather.gov@evil.com/x", "user info"),
    ("https://user:pw@api.weather.gov/x", "user info"),
    ("https://api.weather.gov:8443/x", "default HTTPS port"),
    ("https://api.weather.gov:99999/x", "invalid URL"),
    ("https:///x", "no host"),
    ("", "empty"),
    ("https://api.weather.gov/x y", "whitespace"),
    ("https://localhost/x", "not in allowlist"),
])
def test_scheme_host_and_shape_rules(url: str, reason: str) -> None:
    with pytest.raises(BlockedUrlError, match=reason):
        guard().check(url)


def test_rejected_before_resolving() -> None:
    resolve = resolver_for({})
    with pytest.raises(BlockedUrlError):
        SsrfGuard(ALLOWED, resolver=resolve).check("https://evil.example.com/")
    assert resolve.calls == []  # type: ignore[attr-defined]


def test_resolution_failure_is_a_retryable_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="resolution failed") as info:
        SsrfGuard(ALLOWED, resolver=resolver_for({})).check("https://api.weather.gov/x")
    assert info.value.retryable
    assert not isinstance(info.value, BlockedUrlError)


def test_ip_literal_in_the_allowlist_is_still_rejected() -> None:
    with pytest.raises(BlockedUrlError, match="IP addresses"):
        SsrfGuard(["10.0.0.1"], resolver=lambda h: ["10.0.0.1"]).check("https://10.0.0.1/")


# -- trusted origins -----------------------------------------------------------------------------------

TRUSTED = ("http://127.0.0.1:8123", "http://127.0.0.1:8124/")


def test_trusted_origin_passes_without_https_ip_or_private_checks() -> None:
    g = guard(trusted=TRUSTED)
    assert g.check("http://127.0.0.1:8123/identityapi/connect/token")
    assert g.check("http://127.0.0.1:8124/gridpoints/PBZ/1,2/forecast?x=1")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8125/x",          # another port
    "http://127.0.0.1/x",               # default port
    "https://127.0.0.1:8123/x",         # another scheme
    "http://localhost:8123/x",          # another spelling of the host
    "http://2130706433:8123/x",         # decimal form of the same address
    "http://[::1]:8123/x",
    "http://127.0.0.2:8123/x",
    "http://user@127.0.0.1:8123/x",     # user-info is refused even on a trusted origin
])
def test_trusted_origins_match_exactly(url: str) -> None:
    with pytest.raises(BlockedUrlError):
        guard(trusted=TRUSTED).check(url)


# -- the guarded client -------------------------------------------------------------------------------

def client(handler, trusted: tuple[str, ...] = ()) -> tuple[OutboundHttp, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    http = OutboundHttp(guard(trusted=trusted), client=httpx.Client(transport=httpx.MockTransport(record)),
                        max_attempts=3, backoff=0.01, sleep=lambda _: None)
    return http, seen


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": "http://169.254.169.254/latest/meta-data/"})

    http, seen = client(handler)
    with pytest.raises(RedirectNotFollowedError) as info:
        http.get("https://api.weather.gov/x")
    assert len(seen) == 1 and seen[0].url.host == "api.weather.gov"
    assert info.value.status_code == status and not info.value.retryable


def test_redirects_are_not_followed_even_by_a_client_configured_to_follow() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "https://birdsfoot.cps.golf/elsewhere"})

    http = OutboundHttp(guard(), client=httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True),
                        sleep=lambda _: None)
    with pytest.raises(RedirectNotFollowedError):
        http.get("https://api.weather.gov/x")
    assert len(seen) == 1


def test_client_checks_the_url_before_sending() -> None:
    http, seen = client(lambda r: httpx.Response(200))
    with pytest.raises(BlockedUrlError):
        http.get("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(BlockedUrlError):
        http.get("http://127.0.0.1:9/x")
    assert seen == []


# -- the guarded client: retries, error classes, redaction ------------------------------------------

def sequence(*responses):
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = items.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_5xx_429_and_transport_errors_are_retried_with_backoff() -> None:
    sleeps: list[float] = []
    handler = sequence(httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(200, json={"ok": 1}))
    http = OutboundHttp(guard(), client=httpx.Client(transport=httpx.MockTransport(handler)), max_attempts=3,
                        backoff=0.5, sleep=sleeps.append)
    assert http.get("https://api.weather.gov/x").json() == {"ok": 1}
    assert sleeps == [0.5, 1.0]


def test_retries_are_bounded_and_the_last_error_is_an_upstream_error() -> None:
    http, seen = client(lambda r: httpx.Response(500, text="boom"))
    with pytest.raises(UpstreamError, match="HTTP 500") as info:
        http.get("https://api.weather.gov/x")
    assert len(seen) == 3 and info.value.retryable and info.value.status_code == 500


def test_a_4xx_is_not_retried_and_not_retryable() -> None:
    http, seen = client(lambda r: httpx.Response(404, json={"detail": "nope"}))
    with pytest.raises(UpstreamError) as info:
        http.get("https://api.weather.gov/x")
    assert len(seen) == 1 and not info.value.retryable and info.value.status_code == 404


def test_a_non_idempotent_post_is_not_retried_after_it_may_have_arrived() -> None:
    http, seen = client(lambda r: httpx.Response(502))
    with pytest.raises(UpstreamError):
        http.post("https://birdsfoot.cps.golf/reserve", json={})
    assert len(seen) == 1


def test_secrets_never_reach_error_messages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=f"bad {request.headers['authorization']} and {request.content.decode()}")

    http, _ = client(handler)
    with pytest.raises(UpstreamError) as info:
        http.post("https://birdsfoot.cps.golf/t?api_key=k123456", headers={"Authorization": "Bearer tok-SECRET-1"},
                  data={"username": "golfer@example.com", "password": "hunter2-pw"})
    text = str(info.value) + info.value.body_excerpt
    for secret in ("tok-SECRET-1", "hunter2-pw", "golfer@example.com", "k123456"):
        assert secret not in text
