"""The MCP handler in-process, on API Gateway v2 events: protocol answers, errors, API key, Host
checks, the ASGI adapter, and that every tool schema is valid JSON Schema."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from unittest.mock import MagicMock

import pytest
from jsonschema import Draft202012Validator

from services.core.courses import CourseCatalog
from services.core.errors import ConfigurationError, NotFoundError
from services.core.settings import Settings
from services.mcp.asgi_lambda import call_asgi
from services.mcp.handler import handle
from services.mcp.server import build_server
from services.mcp.tool_specs import tool_specs
from services.mcp.tools import TOOLS

HEADERS = {"host": "abc123.execute-api.us-east-1.amazonaws.com", "content-type": "application/json",
           "accept": "application/json, text/event-stream"}


@pytest.fixture()
def deps():
    deps = MagicMock()
    deps.settings = Settings()
    deps.web.courses = CourseCatalog.from_settings(deps.settings)
    deps.api_key.return_value = None
    return deps


def event(body: Any, **headers: str) -> dict[str, Any]:
    return {"version": "2.0", "routeKey": "POST /mcp", "rawPath": "/mcp", "rawQueryString": "",
            "headers": {**HEADERS, **headers}, "body": json.dumps(body), "isBase64Encoded": False,
            "requestContext": {"domainName": HEADERS["host"],
                               "http": {"method": "POST", "path": "/mcp", "sourceIp": "203.0.113.9"}}}


def call(deps, body: Any, **headers: str) -> dict[str, Any]:
    return asyncio.run(handle(event(body, **headers), deps, build_server(deps)))


def rpc(method: str, params: dict | None = None, id: int | None = 1) -> dict:
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        body["id"] = id
    if params is not None:
        body["params"] = params
    return body


def tool_call(deps, name: str, arguments: dict) -> dict:
    return json.loads(call(deps, rpc("tools/call", {"name": name, "arguments": arguments}))["body"])


def test_schemas_are_valid_and_every_tool_has_an_implementation():
    specs = tool_specs(["Birdsfoot Golf Course", "Totteridge"])
    assert {s.name for s in specs} == set(TOOLS)
    for spec in specs:
        Draft202012Validator.check_schema(spec.input_schema)


def test_initialize_notification_list_and_ping(deps):
    init = call(deps, rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                         "clientInfo": {"name": "t", "version": "1"}}))
    assert init["statusCode"] == 200 and json.loads(init["body"])["result"]["serverInfo"]["name"] == "rez-agent-mcp"
    assert call(deps, rpc("notifications/initialized", id=None))["statusCode"] == 202
    tools = json.loads(call(deps, rpc("tools/list"))["body"])["result"]["tools"]
    assert len(tools) == 8
    assert json.loads(call(deps, rpc("ping"))["body"]) == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_unknown_tool_is_a_protocol_error(deps):
    assert tool_call(deps, "rm_rf", {})["error"] == {"code": -32602, "message": "Unknown tool: rm_rf"}


def test_schema_violations_are_tool_errors_and_nothing_runs(deps):
    result = tool_call(deps, "golf_book_tee_time", {"course_name": "Totteridge", "tee_sheet_id": 0, "num_players": 1})
    assert result["result"]["isError"] is True
    assert result["result"]["content"][0]["text"] == (
        "Invalid arguments for golf_book_tee_time: tee_sheet_id: 0 is less than the minimum of 1")
    assert not deps.web.messages.create.called


def test_tool_failures_are_tool_errors(deps):
    deps.schedules.get.side_effect = NotFoundError("schedule not found: sched_20200101000000_00000000")
    result = tool_call(deps, "delete_schedule", {"schedule_id": "sched_20200101000000_00000000"})["result"]
    assert result["isError"] and result["content"][0]["text"] == (
        "delete_schedule failed: schedule not found: sched_20200101000000_00000000")
    deps.notifier.send.side_effect = RuntimeError("boom")
    result = tool_call(deps, "send_notification", {"message": "hi"})["result"]
    assert result["isError"] and result["content"][0]["text"] == "send_notification failed: internal error (RuntimeError)"


def test_api_key_is_required_when_configured(deps):
    deps.api_key.return_value = "s3cret"
    denied = call(deps, rpc("ping"))
    assert denied["statusCode"] == 401 and json.loads(denied["body"])["error"]["code"] == -32004
    assert call(deps, rpc("ping"), **{"x-api-key": "wrong"})["statusCode"] == 401
    assert call(deps, rpc("ping"), **{"x-api-key": "s3cret"})["statusCode"] == 200


def test_a_missing_key_secret_fails_closed(deps):
    deps.api_key.side_effect = ConfigurationError("MCP API key unavailable: failed to retrieve secret x")
    with pytest.raises(ConfigurationError):
        call(deps, rpc("ping"))


def test_host_and_origin_checks(deps):
    assert call(deps, rpc("ping"), host=HEADERS["host"])["statusCode"] == 200
    assert call(deps, rpc("ping"), host="evil.example")["statusCode"] == 421
    assert call(deps, rpc("ping"), host="127.0.0.1:8080")["statusCode"] == 421  # not the API's own domain
    assert call(deps, rpc("ping"), origin="https://evil.example")["statusCode"] == 403
    assert call(deps, rpc("ping"), origin=f"https://{HEADERS['host']}")["statusCode"] == 200


def test_asgi_adapter_round_trip():
    seen: dict[str, Any] = {}

    async def app(scope, receive, send):
        seen.update(scope=scope, body=(await receive())["body"], after=await receive())
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/octet-stream"), (b"x-a", b"1"), (b"x-a", b"2")]})
        await send({"type": "http.response.body", "body": b"\xff\x00", "more_body": True})
        await send({"type": "http.response.body", "body": b"!"})

    ev = event({}) | {"body": base64.b64encode(b"raw").decode(), "isBase64Encoded": True, "rawQueryString": "a=1",
                      "cookies": ["c=1", "d=2"]}
    result = asyncio.run(call_asgi(app, ev))
    assert seen["body"] == b"raw" and seen["after"] == {"type": "http.disconnect"}
    scope = seen["scope"]
    assert (scope["method"], scope["path"], scope["query_string"], scope["client"][0]) == ("POST", "/mcp", b"a=1",
                                                                                          "203.0.113.9")
    assert (b"cookie", b"c=1; d=2") in scope["headers"]
    assert result == {"statusCode": 201, "headers": {"content-type": "application/octet-stream", "x-a": "1,2"},
                      "body": base64.b64encode(b"\xff\x00!").decode(), "isBase64Encoded": True}


def test_the_api_key_comes_from_secrets_manager_and_an_empty_secret_turns_auth_off(caplog):
    import boto3
    from moto import mock_aws

    from services.agent.deps import McpConnection
    from services.core.secrets import SecretsReader
    from services.mcp.deps import McpDeps

    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="rez-agent/mcp/api-key-dev", SecretString='{"api_key": "k-123"}')
        sm.create_secret(Name="rez-agent/mcp/empty", SecretString="{}")

        def deps(name: str) -> McpDeps:
            return McpDeps(settings=Settings(mcp_api_key_secret_name=name), web=MagicMock(), notifier=MagicMock(),
                           schedules=MagicMock(), secrets=SecretsReader(sm))
        assert deps("rez-agent/mcp/api-key-dev").api_key() == "k-123"
        assert McpConnection("http://x/mcp", "rez-agent/mcp/api-key-dev", SecretsReader(sm)).headers() == \
            {"x-api-key": "k-123"}
        assert deps("rez-agent/mcp/empty").api_key() is None and deps("").api_key() is None
        assert "authentication disabled" in caplog.text
        with pytest.raises(ConfigurationError):
            deps("rez-agent/mcp/missing").api_key()


def raw_call(deps, body: str, method: str = "POST", **headers: str) -> dict[str, Any]:
    ev = event({}, **headers) | {"body": body}
    ev["requestContext"]["http"]["method"] = method
    return asyncio.run(handle(ev, deps, build_server(deps)))


def test_a_body_that_is_not_json_is_a_parse_error(deps):
    for body in ("{not json", "", '{"jsonrpc": "2.0", "method": "ping", "id": 1'):
        answer = raw_call(deps, body)
        assert answer["statusCode"] == 400
        error = json.loads(answer["body"])
        assert error["id"] is None and error["error"]["code"] == -32700
        assert error["error"]["message"].startswith("Parse error")
    for body in ("[]", '[{"jsonrpc": "2.0", "method": "ping", "id": 1}]', '"ping"', '{"method": "ping", "id": 2}'):
        answer = raw_call(deps, body)
        assert answer["statusCode"] == 400 and json.loads(answer["body"])["error"]["code"] == -32600, body


def test_get_and_delete_are_405_allow_post_for_a_stateless_server(deps):
    deps.api_key.return_value = "s3cret"
    for method in ("GET", "DELETE"):
        answer = raw_call(deps, "", method=method, accept="text/event-stream")
        assert answer["statusCode"] == 405 and answer["headers"]["allow"] == "POST"
        assert "POST" in json.loads(answer["body"])["error"]
    assert raw_call(deps, "{not json")["statusCode"] == 401  # the key is checked before the body


def test_course_names_are_resolved_as_people_type_them(deps):
    deps.web.messages.create.side_effect = RuntimeError("stop here")  # the name resolved: the tool went on
    for typed in ("Birdsfoot", "birdsfoot golf", "  BIRDSFOOT golf course "):
        text = tool_call(deps, "golf_get_reservations", {"course_name": typed})["result"]["content"][0]["text"]
        assert text == "golf_get_reservations failed: internal error (RuntimeError)", typed
    unknown = tool_call(deps, "golf_get_reservations", {"course_name": "Augusta"})["result"]
    assert unknown["isError"] and unknown["content"][0]["text"] == (
        "golf_get_reservations failed: course not found: 'Augusta'; the courses are: Birdsfoot Golf Course, Totteridge")
    schema = tool_specs(["Birdsfoot Golf Course", "Totteridge"])[0].input_schema["properties"]["course_name"]
    assert "enum" not in schema and schema["examples"] == ["Birdsfoot Golf Course", "Totteridge"]
