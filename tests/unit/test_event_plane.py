"""Pure parts of the event plane: route matching, response mapping, batch failures, the clock."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from emulation.runtime.clock import PlatformClock
from emulation.runtime.control import parse_duration
from emulation.runtime.functions import Invocation
from emulation.runtime.gateway import compile_route, match, to_http_response
from emulation.runtime.http_event import http_api_event
from emulation.runtime.pollers import failed_ids

ROUTES = [compile_route(k, f) for k, f in [
    ("POST /mcp", "mcp"), ("GET /agent/card", "agent"), ("GET /items/{id}", "items"),
    ("GET /items/special", "special"), ("ANY /files/{proxy+}", "files"), ("$default", "webapi")]]


@pytest.mark.parametrize(("method", "path", "function", "params"), [
    ("POST", "/mcp", "mcp", {}), ("GET", "/mcp", "webapi", {}), ("GET", "/items/42", "items", {"id": "42"}),
    ("GET", "/items/special", "special", {}), ("DELETE", "/files/a/b.txt", "files", {"proxy": "a/b.txt"}),
    ("GET", "/api/messages", "webapi", {}),
])
def test_routes_match_like_api_gateway(method, path, function, params):
    route, found = match(ROUTES, method, path)
    assert route.function == function and found == params


def test_http_api_event_shape():
    event = http_api_event(method="POST", path="/api/messages", raw_query="a=1&a=2&b=",
                           headers=[("Content-Type", "application/json"), ("X-Multi", "1"), ("x-multi", "2"),
                                    ("Cookie", "s=1; t=2")],
                           body=b'{"x":1}', route_key="$default", path_parameters={}, source_ip="127.0.0.1",
                           api_id="api", domain="api.execute-api.localhost", account="123456789012")
    assert event["version"] == "2.0" and event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-multi"] == "1,2" and event["cookies"] == ["s=1", "t=2"]
    assert event["body"] == '{"x":1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"
    binary = http_api_event(method="POST", path="/", raw_query="", headers=[("content-type", "image/png")],
                            body=b"\x89PNG", route_key="$default", path_parameters={}, source_ip="::1",
                            api_id="a", domain="d", account="1")
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\x89PNG"


def test_response_mapping_cookies_and_base64():
    response = to_http_response({"statusCode": 201, "headers": {"x-a": "1"}, "cookies": ["a=1", "b=2"],
                                 "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True})
    assert response.status_code == 201 and response.body == b"\x00\x01"
    assert [v for k, v in response.raw_headers if k == b"set-cookie"] == [b"a=1", b"b=2"]
    plain = to_http_response({"hello": "world"})
    assert plain.status_code == 200 and plain.body == b'{"hello": "world"}'


RECORDS = [{"messageId": "a"}, {"messageId": "b"}, {"messageId": "c"}]


@pytest.mark.parametrize(("invocation", "report", "kept"), [
    (Invocation("f", "r", result={"batchItemFailures": []}), True, set()),
    (Invocation("f", "r", result={"batchItemFailures": [{"itemIdentifier": "b"}]}), True, {"b"}),
    (Invocation("f", "r", result={"batchItemFailures": [{"itemIdentifier": "b"}]}), False, set()),
    (Invocation("f", "r", result={"batchItemFailures": [{"itemIdentifier": "zzz"}]}), True, {"a", "b", "c"}),
    (Invocation("f", "r", result={"batchItemFailures": [{"wrong": "b"}]}), True, {"a", "b", "c"}),
    (Invocation("f", "r", error={"errorType": "Boom"}), True, {"a", "b", "c"}),
    (Invocation("f", "r", result=None), True, set()),
])
def test_partial_batch_failures(invocation, report, kept):
    assert failed_ids(invocation, RECORDS, report) == kept


def test_frozen_clock_fires_timers_in_order_when_advanced():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = PlatformClock(frozen_at=start)
    seen = []
    clock.call_at(start + timedelta(hours=2), lambda: seen.append(("b", clock.now())))
    clock.call_at(start + timedelta(hours=1), lambda: seen.append(("a", clock.now())))
    late = clock.call_at(start + timedelta(hours=5), lambda: seen.append(("late", clock.now())))
    clock.cancel(late)
    assert clock.advance(timedelta(minutes=30)) == 0 and seen == []
    assert clock.advance(timedelta(hours=6)) == 2
    assert seen == [("a", start + timedelta(hours=1)), ("b", start + timedelta(hours=2))]
    assert clock.now() == start + timedelta(hours=6, minutes=30)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))


def test_unfrozen_clock_keeps_the_advanced_offset():
    clock = PlatformClock()
    before = clock.now()
    clock.advance(timedelta(days=1))
    assert clock.now() - before >= timedelta(days=1)
    clock.freeze()
    frozen = clock.now()
    clock.unfreeze()
    assert clock.now() >= frozen and not clock.frozen


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("3d", 259200),
                                               ("1d2h30m", 95400), ("42", 42)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_bad_duration():
    with pytest.raises(ValueError):
        parse_duration("soon")
