"""The payload-2.0 event as API Gateway builds it: bodies, forwarded headers, domain, JWT claims."""

from __future__ import annotations

import base64

import pytest

from emulation.runtime.gateway import to_http_response
from emulation.runtime.http_event import authorizer_context, host_name, http_api_event, render_claim


def event(body: bytes = b"", content_type: str | None = None, headers: list | None = None, **kw):
    given = list(headers or [])
    if content_type is not None:
        given.append(("Content-Type", content_type))
    options = {"method": "POST", "path": "/p", "raw_query": "", "headers": given, "body": body,
               "route_key": "$default", "path_parameters": {}, "source_ip": "203.0.113.7", "api_id": "api",
               "domain": "127.0.0.1:8080", "account": "1", **kw}
    return http_api_event(**options)


@pytest.mark.parametrize(("body", "content_type", "encoded"), [
    (b'{"a":1}', "application/json", False),
    (b"caf\xc3\xa9", "text/plain; charset=utf-8", False),
    (b"hello", None, False),
    (b"message=hi&x=1", "application/x-www-form-urlencoded", True),
    (b"\xff\xfe\x00bad", "application/json", True),  # declared JSON, not UTF-8
    (b"\xff\xfe\x00bad", None, True),
    (b"\x89PNG\r\n", "image/png", True),
    (b"--b\r\n", "multipart/form-data; boundary=b", True),
    (b"<a/>", "application/atom+xml", False),
])
def test_bodies_are_text_only_when_api_gateway_would_pass_text(body, content_type, encoded):
    built = event(body, content_type)
    assert built["isBase64Encoded"] is encoded
    delivered = base64.b64decode(built["body"]) if encoded else built["body"].encode()
    assert delivered == body


def test_no_body_is_no_body():
    built = event()
    assert "body" not in built and built["isBase64Encoded"] is False


def test_forwarded_headers_and_domain_without_the_port():
    built = event(headers=[("Host", "127.0.0.1:8080"), ("X-Forwarded-For", "198.51.100.1")], scheme="http",
                  port=8080)
    headers = built["headers"]
    assert headers["x-forwarded-for"] == "198.51.100.1, 203.0.113.7"
    assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-port"] == "8080"
    assert headers["host"] == "127.0.0.1:8080"  # the Host header as sent
    assert built["requestContext"]["domainName"] == "127.0.0.1"
    assert event()["headers"]["x-forwarded-for"] == "203.0.113.7"
    assert event()["headers"]["x-forwarded-port"] == "443"


@pytest.mark.parametrize(("host", "name"), [("api.example:443", "api.example"), ("api.example", "api.example"),
                                            ("[::1]:8080", "[::1]"), ("localhost:1", "localhost")])
def test_host_name(host, name):
    assert host_name(host) == name


def test_claims_are_rendered_as_api_gateway_renders_them():
    context = authorizer_context({
        "sub": "u1", "exp": 1796200000, "iat": 1796196400.0, "email_verified": True, "ratio": 1.5,
        "scope": ["openid", "profile"], "cognito:groups": ["admin", "users"], "address": {"b": 2, "a": "x"},
        "nothing": None})
    claims = context["jwt"]["claims"]
    assert claims == {"sub": "u1", "exp": "1796200000", "iat": "1796196400", "email_verified": "true",
                      "ratio": "1.5", "scope": "[openid profile]", "cognito:groups": "[admin users]",
                      "address": "map[a:x b:2]", "nothing": "<nil>"}
    assert context["jwt"]["scopes"] == ["openid", "profile"]
    assert authorizer_context({"scope": "a b"})["jwt"]["scopes"] == ["a", "b"]
    assert authorizer_context({"scp": ["c"]})["jwt"]["scopes"] == ["c"]
    assert authorizer_context({"sub": "x"})["jwt"]["scopes"] is None
    assert render_claim([1, [2, 3]]) == "[1 [2 3]]"


def test_response_headers_are_case_insensitive():
    response = to_http_response({"statusCode": 200, "headers": {"Content-Type": "text/html", "X-A": "1",
                                                                "Content-Length": "999"}, "body": "<p>"})
    names = [name for name, _ in response.raw_headers]
    assert names.count(b"content-type") == 1 and response.headers["content-type"] == "text/html"
    assert response.headers["content-length"] == "3"  # the gateway's, not the function's
    assert to_http_response({"statusCode": 204})  # no body, no content


@pytest.mark.parametrize("result", [{"statusCode": "abc"}, {"statusCode": 42},
                                    {"statusCode": 200, "body": "***", "isBase64Encoded": True}])
def test_malformed_results_raise_for_the_gateway_to_answer_500(result):
    with pytest.raises((ValueError, TypeError)):
        to_http_response(result)
