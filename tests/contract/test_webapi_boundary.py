"""The web API in process against moto: bad input is a 400 naming the problem, and changes nothing.

Each case is one of the 5xx found with generated requests (issue 10), sent as API Gateway sends it
(payload 2.0; a binary body base64-encoded with ``isBase64Encoded``). "Nothing changed" is checked
on both sides: no message stored, nothing published to the topic's queue.
"""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.manifest import FUNCTIONS, Naming, resolve_env
from services.core.aws import AwsClients
from services.core.message_repository import encode_cursor
from services.core.schedules import ScheduleStatus
from services.core.settings import Settings
from services.webapi.app import create_app, handle
from services.webapi.deps import build_deps
from tests.support.aws import provision_manifest
from tests.support.lambda_context import FakeLambdaContext

NAMING = Naming()


@pytest.fixture(scope="module")
def api():
    with mock_aws():
        provision_manifest(NAMING)
        settings = Settings.from_env({**resolve_env(FUNCTIONS["webapi"], NAMING, {"STAGE": "dev"}),
                                      "AWS_REGION": "us-east-1"})
        deps = build_deps(settings, AwsClients("us-east-1"))
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.get_queue_url(QueueName=NAMING.queue("notifications"))["QueueUrl"]
        yield SimpleNamespace(deps=deps, app=create_app(), sqs=sqs, queue=queue)


def call(api, method: str, path: str, *, body: str | bytes | None = None, query: dict[str, str] | None = None,
         binary: bool = False) -> tuple[int, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/octet-stream" if binary else "application/json"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
                           "requestId": "r", "stage": "$default", "domainName": "api.example", "accountId": "1"},
        "isBase64Encoded": binary,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode() if binary \
            else body
    response = handle(event, FakeLambdaContext(), api.deps, api.app)
    return response["statusCode"], json.loads(response["body"])


def state(api) -> tuple[int, int]:
    published = api.sqs.get_queue_attributes(QueueUrl=api.queue, AttributeNames=["ApproximateNumberOfMessages"])
    return api.deps.messages.count("stage", "dev"), int(published["Attributes"]["ApproximateNumberOfMessages"])


def refused(api, body: str | bytes, *, binary: bool = False, path: str = "/api/messages") -> dict:
    before = state(api)
    status, answer = call(api, "POST", path, body=body, binary=binary)
    assert status == 400, answer
    assert answer["status"] == "400" and answer["details"] and all(d["field"] and d["problem"]
                                                                    for d in answer["details"])
    assert state(api) == before, "a refused request stored or published something"
    return answer


def notify(**extra: Any) -> str:
    return json.dumps({"message_type": "notify", "payload": {"message": "hi", **extra}}, ensure_ascii=False)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


# -- bodies ----------------------------------------------------------------------------------------

def test_a_binary_body_is_a_400_not_a_500(api) -> None:
    answer = refused(api, b"\xff\xfe\x00garbage", binary=True)
    assert answer["error"] == "body: is not valid UTF-8 JSON"


def test_a_base64_encoded_json_body_is_read(api) -> None:
    status, answer = call(api, "POST", "/api/messages", body=notify().encode(), binary=True)
    assert status == 201 and answer["payload"]["message"] == "hi"


def test_bodies_that_are_not_json_name_the_body(api) -> None:
    assert refused(api, "{")["details"][0]["field"] == "body"
    assert "NaN" in refused(api, '{"payload": {"message": "x", "n": NaN}}')["error"]
    assert refused(api, '{"payload": {"message": "x", "n": -Infinity}}')["details"][0]["field"] == "body"
    assert "too many digits" in refused(api, '{"payload": {"message": "x", "n": ' + "9" * 5000 + "}}")["error"]
    assert "nested" in refused(api, "[" * 100_000 + "]" * 100_000)["error"]  # RecursionError in json
    assert "must be valid Unicode" in refused(api, '{"payload": {"message": "\\ud800"}}')["error"]


@pytest.mark.parametrize("value", ["1" * 41, "1e200", "1e-200", "-1e126", "1e-131"])
def test_numbers_dynamodb_cannot_hold_are_refused_with_the_field(api, value: str) -> None:
    answer = refused(api, '{"message_type": "notify", "payload": {"message": "x", "extra": [' + value + "]}}")
    assert answer["details"][0]["field"] == "payload.extra.0"


def test_numbers_dynamodb_can_hold_are_accepted(api) -> None:
    body = notify(extra=[10**37, -1.5e125, 1e-130, 0.1])
    status, answer = call(api, "POST", "/api/messages", body=body)
    assert status == 201, answer


def test_an_empty_attribute_name_is_refused_and_listing_still_works(api) -> None:
    answer = refused(api, '{"payload": {"message": "x", "extra": {"": 1}}}')  # the example
    assert answer["details"] == [{"field": "payload.extra", "problem":
                                  "has an empty key (DynamoDB map keys must not be empty)"}]
    assert call(api, "GET", "/api/messages")[0] == 200


def test_nesting_past_dynamodb_32_levels_is_refused(api) -> None:
    ok = notify(extra=nested(31))  # payload is level 1, extra level 2 ... the deepest map level 32
    assert call(api, "POST", "/api/messages", body=ok)[0] == 201
    answer = refused(api, notify(extra=nested(32)))
    assert answer["details"][0]["field"].startswith("payload.extra.a.a")
    assert "32 levels" in answer["details"][0]["problem"]


def test_items_and_messages_over_the_limits_are_refused_before_anything_is_stored(api) -> None:
    big = refused(api, notify(extra="x" * 300_000))  # the 300 KB field: was a 502 and a failed message
    assert big["details"][0]["field"] == "body" and "262144" in big["error"]
    escaped = refused(api, notify(extra="é" * 50_000))  # 100 KB of UTF-8, 300 KB once published as JSON
    assert escaped["details"][0]["field"] == "payload" and "SNS" in escaped["error"]
    status, _ = call(api, "POST", "/api/messages", body=notify(extra="x" * 200_000))
    assert status == 201


# -- query and path --------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["²", "١٢", "0", "101", "-1", "1.5", " 5", "5\n"])
def test_a_limit_that_is_not_an_ascii_integer_in_range_is_refused(api, limit: str) -> None:
    status, answer = call(api, "GET", "/api/messages", query={"limit": limit})
    assert status == 400 and answer["details"][0]["field"] == "limit"


@pytest.mark.parametrize("cursor", [
    "!!!", "é", "e30", encode_cursor({"id": 5}), encode_cursor({"id": {"S": "x"}}),
    encode_cursor({"id": {"S": "x"}, "stage": {"N": "1"}, "created_date": {"S": "d"}}),
    encode_cursor({"id": {"S": ""}, "stage": {"S": "dev"}, "created_date": {"S": "d"}}),
    encode_cursor({"id": {"S": "x"}, "nope": {"S": "dev"}, "created_date": {"S": "d"}}),
    encode_cursor({"id": {"S": "x"}, "stage": {"S": "prod"}, "created_date": {"S": "d"}}),  # another listing
    base64.urlsafe_b64encode(b"[" * 50_000).decode(),
])
def test_a_malformed_cursor_is_refused(api, cursor: str) -> None:
    status, answer = call(api, "GET", "/api/messages", query={"cursor": cursor})
    assert status == 400 and answer["details"][0]["field"] == "cursor", answer
    status, answer = call(api, "GET", "/api/schedules", query={"cursor": cursor})
    assert status == 400 and answer["details"][0]["field"] == "cursor", answer


def test_a_cursor_of_the_listing_pages_on(api) -> None:
    for _ in range(3):
        call(api, "POST", "/api/messages", body=notify())
    status, first = call(api, "GET", "/api/messages", query={"limit": "2"})
    assert status == 200 and first["next_cursor"]
    status, second = call(api, "GET", "/api/messages", query={"limit": "2", "cursor": first["next_cursor"]})
    assert status == 200 and second["messages"][0]["id"] not in {m["id"] for m in first["messages"]}


@pytest.mark.parametrize("path", ["/api/messages/" + "x" * 3000, "/api/messages/msg_١١١١١١١١١١١١١١_000000",
                                  "/api/messages/%00/results", "/api/schedules/sched_x"])
def test_ids_that_cannot_exist_are_404s_without_asking_dynamodb(api, path: str) -> None:
    status, answer = call(api, "GET", path)
    assert status == 404 and "not found" in answer["error"] and len(answer["error"]) < 200


# -- schedules -------------------------------------------------------------------------------------

SCHEDULE = {"action": "create", "name": "n", "schedule_expression": "rate(1 hour)", "target_type": "notification",
            "payload": {"message": "x"}}


@pytest.mark.parametrize("field, value", [("start_date", "9999-12-31T23:59:59-14:00"),
                                          ("end_date", "0001-01-01T00:00:00+14:00")])
def test_schedule_dates_without_a_utc_form_are_refused(api, field: str, value: str) -> None:
    before = api.deps.schedules.list(ScheduleStatus.PENDING)
    answer = refused(api, json.dumps({**SCHEDULE, field: value}), path="/api/schedules")
    assert [d["field"] for d in answer["details"]] == [field]
    after = api.deps.schedules.list(ScheduleStatus.PENDING)
    assert len(after.schedules) == len(before.schedules)


def test_a_schedule_too_deep_to_store_is_refused_naming_the_payload(api) -> None:
    answer = refused(api, json.dumps({**SCHEDULE, "payload": {"message": "x", "extra": nested(31)}}),
                     path="/api/schedules")  # fine as a message, one level too deep inside the schedule's target
    assert answer["details"][0]["field"].startswith("payload.extra.a")


# -- the OpenAPI document --------------------------------------------------------------------------

def test_the_openapi_document_lists_every_route_with_its_body_and_errors(api) -> None:
    status, document = call(api, "GET", "/api/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert {"/api/messages", "/api/messages/{message_id}", "/api/messages/{message_id}/results", "/api/schedules",
            "/api/schedules/{schedule_id}", "/api/dlq", "/api/dlq/{queue}", "/api/dlq/{queue}/redrive",
            "/api/metrics", "/api/health", "/api/openapi.json"} <= set(paths)
    create = paths["/api/messages"]["post"]
    assert "201" in create["responses"] and "400" in create["responses"] and "401" in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["properties"]["message_type"]
    assert {p["name"] for p in paths["/api/messages"]["get"]["parameters"]} >= {"status", "limit", "cursor"}
    assert paths["/api/openapi.json"]["get"]["security"] == []
    refs = [v for v in json.dumps(document).split('"') if v.startswith("#/")]
    assert all(ref.removeprefix("#/components/schemas/") in document["components"]["schemas"] for ref in refs)
