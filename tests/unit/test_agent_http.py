"""The agent's routes and its mapping of failures to HTTP answers."""

from __future__ import annotations

import asyncio
import json
from unittest.mock import MagicMock

import httpx
from botocore.exceptions import ClientError, ReadTimeoutError

from services.agent.cost import BudgetExceeded
from services.agent.http import error_response, handle_http
from services.core.errors import ConflictError, ValidationError
from services.core.settings import Settings


def bedrock_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Converse")


def test_failures_map_to_statuses():
    denied = error_response(BudgetExceeded("cap reached", {"daily_cap": 10.0}, 3600))
    assert denied["statusCode"] == 429 and denied["headers"]["Retry-After"] == "3600"
    assert json.loads(denied["body"]) == {"error": "Daily spending limit reached", "message": "cap reached",
                                          "cost_info": {"daily_cap": 10.0}}
    throttled = error_response(bedrock_error("ThrottlingException"))
    assert throttled["statusCode"] == 429 and throttled["headers"]["Retry-After"] == "60"
    assert error_response(bedrock_error("ModelTimeoutException"))["statusCode"] == 504
    assert error_response(bedrock_error("ServiceUnavailableException"))["statusCode"] == 503
    assert error_response(bedrock_error("ValidationException"))["statusCode"] == 502
    assert error_response(ReadTimeoutError(endpoint_url="http://x"))["statusCode"] == 504
    wrapped = BaseExceptionGroup("task group", [ExceptionGroup("inner", [httpx.ConnectError("refused")])])
    assert error_response(wrapped)["statusCode"] == 502
    assert error_response(ValidationError.for_field("message", "is required"))["statusCode"] == 400
    assert error_response(ConflictError("session changed"))["statusCode"] == 409
    crash = error_response(KeyError("secret internals"))
    assert crash["statusCode"] == 500 and "secret" not in crash["body"]
    for response in (denied, throttled, crash):
        assert response["headers"]["Access-Control-Allow-Origin"] == "*"
        assert response["headers"]["Content-Type"] == "application/json"


def http_event(method: str, path: str, body: str | None = None) -> dict:
    return {"rawPath": path, "body": body, "headers": {"host": "api.example"},
            "requestContext": {"domainName": "api.example", "http": {"method": method}}}


def test_routes():
    deps = MagicMock()
    deps.settings = Settings()
    page = asyncio.run(handle_http(http_event("GET", "/agent/ui"), deps))
    assert page["statusCode"] == 200 and page["headers"]["Content-Type"].startswith("text/html")
    card = asyncio.run(handle_http(http_event("GET", "/agent/.well-known/agent-card"), deps))
    assert json.loads(card["body"])["url"] == "https://api.example/agent"
    assert asyncio.run(handle_http(http_event("GET", "/agent/nope"), deps))["statusCode"] == 404
    bad = asyncio.run(handle_http(http_event("POST", "/agent", "{not json"), deps))
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["details"][0]["field"] == "body"


def test_agent_responses_queue_acknowledges_agent_responses_and_rejects_the_rest(monkeypatch):
    from services.agent import handler
    from services.core.errors import NotFoundError
    from services.core.messages import Message

    deps = MagicMock()
    deps.messages.update_status.side_effect = [None, NotFoundError("missing")]
    monkeypatch.setattr(handler, "default_deps", lambda: deps)

    def record(message_id: str, message: Message) -> dict:
        return {"messageId": message_id, "receiptHandle": "r", "body": message.model_dump_json(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "x",
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1"}
    answer = Message.new(message_type="agent_response", payload={"message": "Weather..."}, created_by="w", stage="dev")
    other = Message.new(message_type="notify", payload={"message": "x"}, created_by="w", stage="dev")
    event = {"Records": [record("1", answer), record("2", answer), record("3", other)]}
    result = handler.lambda_handler(event, MagicMock())
    assert result == {"batchItemFailures": [{"itemIdentifier": "3"}]}
    assert deps.messages.create.call_count == 1  # the one never stored is stored as completed
