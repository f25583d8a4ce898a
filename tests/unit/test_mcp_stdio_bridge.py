"""``rez mcp-stdio``'s HTTP side on an httpx mock transport: every request gets an answer."""

from __future__ import annotations

import json

import anyio
import httpx
from mcp import types

from emulation.mcp_stdio import HttpSide

URL = "http://127.0.0.1:9/mcp"


def ping(request_id: int = 1) -> types.JSONRPCMessage:
    return types.JSONRPCMessage(types.JSONRPCRequest(jsonrpc="2.0", id=request_id, method="ping"))


def forward(handler, message: types.JSONRPCMessage) -> tuple[list[dict], list[httpx.Request]]:
    answers: list[dict] = []
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def run() -> None:
        async def answer(session_message) -> None:
            answers.append(session_message.message.model_dump(by_alias=True, mode="json", exclude_none=True))

        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
            await HttpSide(client, URL).forward(message, answer)
    anyio.run(run)
    return answers, seen


def test_a_refused_api_key_is_an_error_answer_not_silence():
    body = {"jsonrpc": "2.0", "error": {"code": -32004, "message": "Invalid API key"}, "id": None}
    answers, _ = forward(lambda r: httpx.Response(401, json=body), ping(7))
    assert len(answers) == 1 and answers[0]["id"] == 7
    error = answers[0]["error"]
    assert error["code"] == -32004 and error["message"].startswith("Invalid API key (HTTP 401 from")
    assert "MCP_API_KEY" in error["message"]


def test_an_unreachable_server_is_an_error_answer():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)
    answers, _ = forward(down, ping(3))
    assert answers[0]["id"] == 3 and answers[0]["error"]["code"] == -32000
    assert "unreachable" in answers[0]["error"]["message"]


def test_json_and_sse_answers_are_relayed_and_notifications_get_none():
    result = {"jsonrpc": "2.0", "id": 1, "result": {}}
    answers, seen = forward(lambda r: httpx.Response(200, json=result), ping())
    assert answers == [result]
    assert seen[0].headers["accept"] == "application/json, text/event-stream"
    sse = f"event: message\ndata: {json.dumps(result)}\n\n".encode()
    answers, _ = forward(lambda r: httpx.Response(200, content=sse, headers={"content-type": "text/event-stream"}),
                         ping())
    assert answers == [result]
    note = types.JSONRPCMessage(types.JSONRPCNotification(jsonrpc="2.0", method="notifications/initialized"))
    assert forward(lambda r: httpx.Response(202), note)[0] == []
    assert forward(lambda r: httpx.Response(500, text="boom"), note)[0] == []  # nothing to answer, only logged
