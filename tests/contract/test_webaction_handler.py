"""The web-action handler end to end, in process.

Data plane: moto (``mock_aws``) with the tables, topics, queues and subscriptions of
``infra/manifest.py`` and the golf secret holding the fake's seeded golfer. Outside world: the
identity + golf fakes of both courses and the NOAA fake, served by uvicorn on 127.0.0.1 ports,
reached only through ``SSRF_TRUSTED_ORIGINS``. The function's environment is the manifest's
(``resolve_env``), the handler builds its own dependencies from it (``default_deps``).

A message is stored and published as the web API does; the test plays the event source mapping:
receive from the web-actions queue, invoke ``lambda_handler`` with a real SQS event, delete the
records that did not fail and make the failed ones visible again (so they are redelivered and,
after ``maxReceiveCount``, dead-lettered by SQS itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from emulation.fakes._clock import ManualClock
from emulation.fakes.golf import create_course_origin_app
from emulation.fakes.golf_teesheet import BIRDSFOOT, TOTTERIDGE
from emulation.fakes.identity import DEFAULT_USERS
from emulation.fakes.serve import serve_app
from emulation.fakes.weather import create_weather_app
from infra.manifest import FUNCTIONS, QUEUES, SUBSCRIPTIONS, TABLES, TOPICS, Naming, resolve_env
from services.core import clock as service_clock
from services.core.message_repository import MessageRepository
from services.core.messages import Message, Status
from services.core.publisher import Publisher
from services.core.result_repository import ResultRepository
from services.core.settings import Settings, get_settings
from services.webaction import deps as webaction_deps
from services.webaction.handler import lambda_handler
from tests.support.lambda_context import FakeLambdaContext

NAMING = Naming(stage="dev")
REGION = NAMING.region
START = datetime(2025, 11, 14, 13, 0, tzinfo=UTC)  # Friday 8:00 in Pennsylvania
API = "/onlineres/onlineapi/api/v1/onlinereservation"
GOLFER = DEFAULT_USERS[0]


@pytest.fixture(scope="module")
def fake_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="module")
def fakes(fake_clock: ManualClock) -> Iterator[SimpleNamespace]:
    with serve_app(lambda o: create_course_origin_app(BIRDSFOOT, clock=fake_clock, public_origin=o)) as bf, \
            serve_app(lambda o: create_course_origin_app(TOTTERIDGE, clock=fake_clock, public_origin=o)) as tt, \
            serve_app(lambda o: create_weather_app(fake_clock, public_origin=o)) as wx:
        yield SimpleNamespace(birdsfoot=bf.origin, totteridge=tt.origin, weather=wx.origin)


@pytest.fixture
def aws(fakes: SimpleNamespace, fake_clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    for origin in (fakes.birdsfoot, fakes.totteridge, fakes.weather):
        httpx.post(f"{origin}/_fake/reset").raise_for_status()
    fake_clock.set(START)
    service_clock.set_source(fake_clock.now)
    outside = {"STAGE": "dev", "LOG_LEVEL": "INFO", "GOLF_JWT_AUDIENCE": "onlinereservation",
               "GOLF_ORIGINS": json.dumps({"1": fakes.birdsfoot, "2": fakes.totteridge}),
               "WEATHER_BASE_URL": fakes.weather, "SSRF_ALLOWED_HOSTS": "api.weather.gov",
               "SSRF_TRUSTED_ORIGINS": ",".join((fakes.birdsfoot, fakes.totteridge, fakes.weather)),
               "HTTP_BACKOFF_SECONDS": "0"}
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                        **resolve_env(FUNCTIONS["webaction"], NAMING, outside)}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    webaction_deps.default_deps.cache_clear()
    with mock_aws():
        env = provision()
        settings = Settings.from_env()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        yield SimpleNamespace(**env, settings=settings, fakes=fakes, clock=fake_clock,
                              messages=MessageRepository(dynamodb, settings.messages_table),
                              results=ResultRepository(dynamodb, settings.results_table),
                              publisher=Publisher(boto3.client("sns", region_name=REGION), settings))
    service_clock.set_source(None)
    get_settings.cache_clear()
    webaction_deps.default_deps.cache_clear()


def provision() -> dict[str, Any]:
    """The manifest's tables, topics, queues (with redrive) and subscriptions, and the golf secret."""
    dynamodb, sns, sqs = (boto3.client(s, region_name=REGION) for s in ("dynamodb", "sns", "sqs"))
    for table in TABLES.values():
        keys = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
        if table.range_key:
            keys.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
        request: dict[str, Any] = {
            "TableName": NAMING.table(table.key), "KeySchema": keys, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in table.attributes()]}
        if table.indexes:
            request["GlobalSecondaryIndexes"] = [
                {"IndexName": i.name, "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": i.hash_key, "KeyType": "HASH"}]
                 + ([{"AttributeName": i.range_key, "KeyType": "RANGE"}] if i.range_key else [])}
                for i in table.indexes]
        dynamodb.create_table(**request)
    topics = {key: sns.create_topic(Name=NAMING.topic(key))["TopicArn"] for key in TOPICS}
    queues: dict[str, str] = {}
    for queue in QUEUES.values():
        attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
        if queue.has_dlq:
            dlq_url = sqs.create_queue(QueueName=NAMING.dlq(queue.key))["QueueUrl"]
            queues[f"{queue.key}-dlq"] = dlq_url
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": NAMING.queue_arn(NAMING.dlq(queue.key)),
                                                      "maxReceiveCount": str(queue.max_receive_count)})
        queues[queue.key] = sqs.create_queue(QueueName=NAMING.queue(queue.key), Attributes=attributes)["QueueUrl"]
    for sub in SUBSCRIPTIONS:
        sns.subscribe(TopicArn=topics[sub.topic], Protocol="sqs", Endpoint=NAMING.queue_arn(NAMING.queue(sub.queue)),
                      Attributes={"RawMessageDelivery": "true"})
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=NAMING.secret("golf"), SecretString=json.dumps({"username": GOLFER.username, "password": GOLFER.password}))
    return {"queues": queues, "sqs": sqs}


# -- the event source mapping, played by the test ----------------------------------------------------

def sqs_event(messages: list[dict[str, Any]], queue_key: str = "web-actions") -> dict[str, Any]:
    arn = NAMING.queue_arn(NAMING.queue(queue_key))
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m["Attributes"], "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": arn, "awsRegion": REGION,
        "messageAttributes": {k: {"stringValue": v.get("StringValue"), "stringListValues": [], "binaryListValues": [],
                                  "dataType": v["DataType"]} for k, v in m.get("MessageAttributes", {}).items()},
    } for m in messages]}


def deliver_once(aws: SimpleNamespace) -> dict[str, Any] | None:
    """Receive one batch (size 1, as mapped), invoke the handler, settle the records as Lambda does."""
    url = aws.queues["web-actions"]
    received = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
    if not received:
        return None
    context = FakeLambdaContext(function_name=NAMING.function("webaction"), timeout_seconds=300)
    response = lambda_handler(sqs_event(received), context)
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    for m in received:
        if m["MessageId"] in failed:
            aws.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        else:
            aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return response


def submit(aws: SimpleNamespace, payload: dict[str, Any], operation: str | None = None,
           created_by: str = "webapi") -> Message:
    message = Message.new(message_type="web_action", payload=payload, created_by=created_by, stage="dev",
                          arguments={"operation": operation} if operation else None, status=Status.QUEUED)
    aws.messages.create(message)
    aws.publisher.publish(message)
    return message


def run(aws: SimpleNamespace, payload: dict[str, Any], operation: str | None = None, **kw: Any) -> tuple[Message, dict]:
    message = submit(aws, payload, operation, **kw)
    response = deliver_once(aws)
    assert response is not None
    return aws.messages.get(message.id), response


def notifications(aws: SimpleNamespace, queue_key: str = "notifications") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while batch := aws.sqs.receive_message(QueueUrl=aws.queues[queue_key], MaxNumberOfMessages=10).get("Messages"):
        for m in batch:
            found.append(json.loads(m["Body"]))
            aws.sqs.delete_message(QueueUrl=aws.queues[queue_key], ReceiptHandle=m["ReceiptHandle"])
    return found


def fake(aws: SimpleNamespace, origin: str, path: str) -> Any:
    return httpx.get(f"{origin}{path}").json()


# -- the flows -------------------------------------------------------------------------------------------

def test_weather_stores_a_result_and_publishes_notifications(aws: SimpleNamespace) -> None:
    message, response = run(aws, {"action": "weather", "courseID": 2, "days": 2}, "get_weather")
    assert response == {"batchItemFailures": []}
    assert message.status == Status.COMPLETED
    result = aws.results.get_by_message_id(message.id)
    assert result.status == "completed" and result.response_code == 200
    assert result.url == f"{aws.fakes.weather}/gridpoints/PBZ/95,64/forecast"
    assert result.ttl == int(START.timestamp()) + 72 * 3600 and re.match(r"^result_20251114130000_\d{6}$", result.id)
    sent = notifications(aws)
    assert len(sent) == 2 and all(n["message_type"] == "notify" for n in sent)
    assert all(n["created_by"] == "web-action-processor" and n["status"] == "queued" for n in sent)
    assert all(n["payload"]["message"].startswith("🌤️ Weather Forecast\n📅 ") for n in sent)
    assert result.response_body == "\n".join(n["payload"]["message"] for n in sent)
    assert aws.messages.get(sent[0]["id"]).status == Status.QUEUED
    seen = fake(aws, aws.fakes.weather, "/_fake/weather/requests")["requests"]
    assert seen[-1]["headers"]["user-agent"].startswith("rez-agent weather notifier")


def test_weather_for_the_agent_answers_as_agent_response(aws: SimpleNamespace) -> None:
    message, _ = run(aws, {"action": "weather", "gridpoint": "PBZ/90,80", "days": 1}, created_by="ai-agent")
    assert message.status == Status.COMPLETED
    assert notifications(aws) == []
    replies = notifications(aws, "agent-responses")
    assert [r["message_type"] for r in replies] == ["agent_response"]


def test_redelivered_completed_message_is_skipped(aws: SimpleNamespace) -> None:
    message = submit(aws, {"action": "weather", "courseID": 1, "days": 1})
    body = json.dumps(message.to_json_dict())
    assert deliver_once(aws) == {"batchItemFailures": []}
    notifications(aws)
    aws.sqs.send_message(QueueUrl=aws.queues["web-actions"], MessageBody=body)
    assert deliver_once(aws) == {"batchItemFailures": []}
    assert notifications(aws) == [] and len(aws.results.list_for_message(message.id)) == 1


def test_golf_search_lists_tee_sheet_ids(aws: SimpleNamespace) -> None:
    payload = {"action": "golf", "courseID": 1, "startSearchTime": "2025-11-15T09:30:00",
               "endSearchTime": "2025-11-15T16:30:00", "numberOfPlayers": 2, "maxResults": 3}
    message, response = run(aws, payload, "search_tee_times")
    assert response == {"batchItemFailures": []} and message.status == Status.COMPLETED
    [note] = notifications(aws)
    text = note["payload"]["message"]
    ids = [int(i) for i in re.findall(r"Tee Sheet ID: (\d+)", text)]
    sheet = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/teesheet?date=2025-11-15")["slots"]
    open_ids = [s["teeSheetId"] for s in sheet if s["maxPlayer"] >= 2 and "09:30:00" <= s["startTime"][11:] <= "16:30:00"]
    assert ids == open_ids[:3]
    assert text.startswith("⛳ Available Tee Times\n\nDate: Sat Nov 15 2025\nPlayers: 2\n")
    request = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/requests")["requests"][-1]
    assert request["headers"]["client-id"] == "onlineresweb" and request["query"]["courseIds"] == "1"


def test_booking_then_reservations(aws: SimpleNamespace) -> None:
    sheet = fake(aws, aws.fakes.totteridge, "/_fake/golf/teesheet?date=2025-11-16")["slots"]
    slot = next(s for s in sheet if s["maxPlayer"] >= 2 and s["startTime"][11:] >= "10:00:00")
    message, response = run(aws, {"action": "golf", "courseID": 2, "teeSheetID": slot["teeSheetId"],
                                  "numberOfPlayers": 2}, "book_tee_time")
    assert response == {"batchItemFailures": []} and message.status == Status.COMPLETED
    [note] = notifications(aws)
    key = re.search(r"Confirmation: (\w+)", note["payload"]["message"])[1]
    assert note["payload"]["message"].startswith("⛳ Tee Time Booked Successfully at Totteridge!")
    [made] = fake(aws, aws.fakes.totteridge, "/_fake/golf/reservations")["reservations"]
    assert (made["tee_sheet_id"], made["players"], made["confirmation_key"]) == (slot["teeSheetId"], 2, key)
    calls = [r["path"].rsplit("/", 1)[-1] for r in fake(aws, aws.fakes.totteridge, "/_fake/golf/requests")["requests"]]
    assert calls == ["LockTeeTimes", "TeeTimePricesCalculation", "ReserveTeeTimes"]

    message, _ = run(aws, {"action": "golf", "courseID": 2}, "fetch_reservations")
    [listing] = notifications(aws)
    assert listing["payload"]["message"].startswith("⛳ Current Reservations at Totteridge\n\n- Sun, Nov 16 at ")
    assert f"Confirmation: {key}" in listing["payload"]["message"]
    request = fake(aws, aws.fakes.totteridge, "/_fake/golf/requests")["requests"][-1]
    assert request["headers"]["referer"] == f"{aws.fakes.totteridge}/onlineresweb/my-reservation"


def test_auto_book_takes_the_earliest_matching_slot(aws: SimpleNamespace) -> None:
    sheet = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/teesheet?date=2025-11-17")["slots"]
    in_window = [s for s in sheet if "12:00:00" <= s["startTime"][11:] <= "15:00:00" and s["maxPlayer"] >= 1]
    payload = {"action": "golf", "courseID": 1, "startSearchTime": "2025-11-17T12:00:00",
               "endSearchTime": "2025-11-17T15:00:00", "autoBook": True}
    message, _ = run(aws, payload, "search_tee_times")
    assert message.status == Status.COMPLETED
    [made] = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/reservations")["reservations"]
    assert made["start"] == min(s["startTime"] for s in in_window)
    [note] = notifications(aws)
    assert note["payload"]["message"].startswith("⛳ Tee Time Booked Successfully at Birdsfoot Golf Course!")


@pytest.mark.parametrize("defect", ["expired", "bad_signature", "wrong_issuer", "unknown_key"])
def test_bad_token_fails_the_message_and_books_nothing(aws: SimpleNamespace, defect: str) -> None:
    httpx.post(f"{aws.fakes.birdsfoot}/_fake/identity/token-defects", json={"defects": [defect]}).raise_for_status()
    sheet = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/teesheet?date=2025-11-15")["slots"]
    message, response = run(aws, {"action": "golf", "courseID": 1, "teeSheetID": sheet[-1]["teeSheetId"]},
                            "book_tee_time")
    assert response == {"batchItemFailures": []}  # not retried: asking again cannot fix the token
    assert message.status == Status.FAILED
    assert message.error_message.startswith("authentication failed: token verification failed")
    result = aws.results.get_by_message_id(message.id)
    assert result.status == "failed" and result.error_message == message.error_message
    assert fake(aws, aws.fakes.birdsfoot, "/_fake/golf/reservations")["reservations"] == []
    assert fake(aws, aws.fakes.birdsfoot, "/_fake/golf/requests")["requests"] == []  # the API was never called
    assert notifications(aws) == []


def test_golf_api_500_is_retried_then_dead_lettered(aws: SimpleNamespace) -> None:
    httpx.post(f"{aws.fakes.birdsfoot}/_fake/faults", json={"status": 500, "path_prefix": f"{API}/TeeTimes"})
    payload = {"action": "golf", "courseID": 1, "startSearchTime": "2025-11-15T09:30:00"}
    message = submit(aws, payload, "search_tee_times")
    responses = list(iter(lambda: deliver_once(aws), None))  # until SQS stops handing it out
    assert len(responses) == 3  # maxReceiveCount
    assert all(len(r["batchItemFailures"]) == 1 for r in responses)
    stored = aws.messages.get(message.id)
    assert stored.status == Status.FAILED and "HTTP 500" in stored.error_message and stored.retry_count == 3
    results = aws.results.list_for_message(message.id)
    assert [(r.status, r.response_code) for r in results] == [("failed", 500)] * 3
    dead = aws.sqs.receive_message(QueueUrl=aws.queues["web-actions-dlq"], AttributeNames=["All"])["Messages"]
    assert json.loads(dead[0]["Body"])["id"] == message.id
    assert notifications(aws) == []


def test_invalid_payload_fails_without_retry(aws: SimpleNamespace) -> None:
    message, response = run(aws, {"action": "golf", "courseID": 1}, "search_tee_times")
    assert response == {"batchItemFailures": []}
    assert message.status == Status.FAILED
    assert message.error_message.startswith("Invalid payload: invalid web action: payload.startSearchTime")


def test_reserve_500_is_not_retried_because_it_may_have_booked(aws: SimpleNamespace) -> None:
    httpx.post(f"{aws.fakes.birdsfoot}/_fake/faults",
               json={"status": 500, "path_prefix": f"{API}/ReserveTeeTimes", "times": 5})
    sheet = fake(aws, aws.fakes.birdsfoot, "/_fake/golf/teesheet?date=2025-11-15")["slots"]
    slot = next(s for s in sheet if s["maxPlayer"] >= 1)
    message, response = run(aws, {"action": "golf", "courseID": 1, "teeSheetID": slot["teeSheetId"]}, "book_tee_time")
    assert response == {"batchItemFailures": []}
    assert message.status == Status.FAILED and message.error_message.startswith("reservation outcome unknown")
    [plan] = fake(aws, aws.fakes.birdsfoot, "/_fake/faults")["plans"]
    assert plan["times"] == 4  # exactly one reserve request was sent


def test_key_rotation_between_messages(aws: SimpleNamespace) -> None:
    first, _ = run(aws, {"action": "golf", "courseID": 1}, "fetch_reservations")  # caches token and JWKS
    httpx.post(f"{aws.fakes.birdsfoot}/_fake/identity/rotate-keys", json={"keep_previous": False}).raise_for_status()
    second, response = run(aws, {"action": "golf", "courseID": 1}, "fetch_reservations")
    assert second.error_message is None, second.error_message
    assert (first.status, second.status, response) == (Status.COMPLETED, Status.COMPLETED, {"batchItemFailures": []})
    assert len(notifications(aws)) == 2
