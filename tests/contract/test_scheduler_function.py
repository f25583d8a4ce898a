"""The scheduler function in process, against moto (tables, topics, queues and the Scheduler API).

The test plays EventBridge Scheduler and the event source mapping: it hands the handler the events
they would (an SQS event of ``schedule_creation`` messages, a schedule's Input, the daily
"Scheduled Event" envelope), with the application clock set to the moment of each call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.manifest import FUNCTIONS, Naming, resolve_env
from services.core import clock
from services.core.aws import AwsClients
from services.core.messages import Message, MessageType, Status
from services.core.schedule_requests import build_schedule, parse_command
from services.core.schedules import ScheduleStatus
from services.core.settings import Settings
from services.scheduler import handler as handler_module
from services.scheduler.deps import build_deps
from services.scheduler.handler import event_kind, lambda_handler
from tests.support.aws import provision_manifest

NAMING = Naming()
FUNCTION_ARN = NAMING.function_arn("scheduler")
DAY1 = datetime(2027, 3, 1, tzinfo=UTC)
WEATHER = {"action": "weather", "courseID": 1, "days": 1}
SCHEDULED = {"detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": "{}", "resources": []}


@pytest.fixture()
def fn(monkeypatch):
    with mock_aws():
        provision_manifest(NAMING)
        settings = Settings.from_env({**resolve_env(FUNCTIONS["scheduler"], NAMING, {"STAGE": "dev"}),
                                      "AWS_REGION": "us-east-1"})
        deps = build_deps(settings, AwsClients("us-east-1"))
        monkeypatch.setattr(handler_module, "default_deps", lambda: deps)
        now = SimpleNamespace(value=DAY1)
        clock.set_source(lambda: now.value)
        sqs = boto3.client("sqs", region_name="us-east-1")
        try:
            yield SimpleNamespace(deps=deps, settings=settings, now=now, sqs=sqs,
                                  scheduler=boto3.client("scheduler", region_name="us-east-1"))
        finally:
            clock.set_source(None)


def context() -> SimpleNamespace:
    return SimpleNamespace(invoked_function_arn=FUNCTION_ARN, function_name="rez-agent-scheduler-dev",
                           memory_limit_in_mb="256", aws_request_id="req", function_version="$LATEST",
                           log_group_name="g", log_stream_name="s", get_remaining_time_in_millis=lambda: 60_000)


def send(fn, arguments: dict[str, Any], payload: dict[str, Any] | None = None, *, stored: bool = True) -> Message:
    """One schedule_creation message through the handler, as the queue would deliver it."""
    message = Message.new(message_type=MessageType.SCHEDULE_CREATION, payload=payload or {}, arguments=arguments,
                          created_by="webapi", stage="dev", status=Status.QUEUED)
    if stored:
        fn.deps.messages.create(message)
    record = {"messageId": message.id, "receiptHandle": "rh", "body": json.dumps(message.to_json_dict()),
              "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "x",
              "eventSource": "aws:sqs", "eventSourceARN": NAMING.queue_arn("q"), "awsRegion": "us-east-1"}
    result = lambda_handler({"Records": [record]}, context())
    assert result == {"batchItemFailures": []}
    return fn.deps.messages.get(message.id)


def create(fn, **fields: Any) -> dict:
    body = {"name": "tick", "schedule_expression": "cron(0 7 * * ? *)", "target_type": "notification", **fields}
    payload = body.pop("payload", {"message": "tick"})
    message = send(fn, {"action": "create", **body}, payload)
    assert message.status is Status.COMPLETED, message.error_message
    return next(s for s in fn.deps.schedules.all_with_status(ScheduleStatus.ACTIVE) if s.name == body["name"]) \
        .to_json_dict()


def eventbridge(fn, schedule: dict) -> dict:
    return fn.scheduler.get_schedule(GroupName=schedule["group"], Name=schedule["eventbridge_name"])


def queued(fn, queue: str) -> list[dict]:
    url = fn.sqs.get_queue_url(QueueName=NAMING.queue(queue))["QueueUrl"]
    return [json.loads(m["Body"]) for m in fn.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            .get("Messages", [])]


def fire(fn, schedule: dict, at: datetime, execution_id: str) -> dict:
    fn.now.value = at
    return lambda_handler({"schedule_id": schedule["id"], "scheduled_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "execution_id": execution_id}, context())


def test_create_message_makes_the_eventbridge_schedule_with_everything_later_actions_need(fn):
    found = create(fn, name="Weather: daily!", schedule_expression="cron(0 7 * * ? *)", timezone="America/New_York",
                   target_type="web_action", payload=WEATHER, operation="get_weather", flexible_window_minutes=10,
                   description="morning forecast")
    assert found["target"] == {"message_type": "web_action", "payload": WEATHER,
                               "arguments": {"operation": "get_weather"}}  # §17.13: operation kept
    assert found["eventbridge_name"] == f"Weather--daily--dev-{found['id'][-8:]}"
    assert found["active_since"] == "2027-03-01T00:00:00.000000Z"
    remote = eventbridge(fn, found)
    assert found["eventbridge_arn"] == remote["Arn"] and remote["GroupName"] == NAMING.schedule_group()
    assert remote["ScheduleExpressionTimezone"] == "America/New_York" and remote["State"] == "ENABLED"
    assert remote["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}
    assert remote["Description"] == "morning forecast" and remote.get("ActionAfterCompletion") is None
    target = remote["Target"]
    assert target["Arn"] == FUNCTION_ARN and target["RoleArn"] == NAMING.role_arn("scheduler-execution")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": NAMING.queue_arn(NAMING.queue("schedules-dlq"))}
    assert json.loads(target["Input"]) == {"schedule_id": found["id"], "scheduled_time": "<aws.scheduler.scheduled-time>",
                                           "execution_id": "<aws.scheduler.execution-id>"}


def test_a_pending_schedule_from_the_api_is_created_once_even_when_the_command_is_redelivered(fn):
    command = parse_command({"action": "create", "name": "from api", "schedule_expression": "at(2027-03-05T09:00:00)",
                             "target_type": "notification", "payload": {"message": "once"}})
    pending = fn.deps.schedules.create(build_schedule(command, group=fn.settings.schedule_group_name, stage="dev",
                                                      created_by="webapi"))
    for _ in range(2):
        assert send(fn, {"action": "create", "schedule_id": pending.id}).status is Status.COMPLETED
    active = fn.deps.schedules.get(pending.id)
    assert active.status is ScheduleStatus.ACTIVE
    assert eventbridge(fn, active.to_json_dict())["ActionAfterCompletion"] == "DELETE"  # a one-shot at()


def test_a_schedule_eventbridge_refuses_is_marked_error_and_not_retried(fn):
    # EventBridge (and moto) refuse a StartDate more than five minutes in the past for a recurring schedule.
    message = send(fn, {"action": "create", "name": "late", "schedule_expression": "cron(0 7 * * ? *)",
                        "target_type": "notification", "start_date": "2020-01-01T00:00:00Z"}, {"message": "x"})
    assert message.status is Status.FAILED and "failed to create EventBridge schedule" in message.error_message
    [failed] = fn.deps.schedules.all_with_status(ScheduleStatus.ERROR)
    assert failed.name == "late" and "ValidationException" in failed.error_message


def test_each_firing_makes_a_fresh_message_publishes_it_and_counts_the_run(fn):
    found = create(fn, payload={"message": "good morning", "title": "Hi"})
    first = fire(fn, found, DAY1 + timedelta(hours=7), "e1")
    second = fire(fn, found, DAY1 + timedelta(days=1, hours=7), "e2")
    assert fire(fn, found, DAY1 + timedelta(days=1, hours=7), "e2")["skipped"] == "duplicate"  # a retried delivery
    assert first["message_id"] != second["message_id"]
    stored = [fn.deps.messages.get(r["message_id"]) for r in (first, second)]
    assert [m.created_date for m in stored] == ["2027-03-01T07:00:00.000000Z", "2027-03-02T07:00:00.000000Z"]
    assert all(m.message_type is MessageType.NOTIFY and m.status is Status.QUEUED and m.created_by == "scheduler"
               for m in stored)
    assert [m["id"] for m in queued(fn, "notifications")] == [first["message_id"], second["message_id"]]
    counted = fn.deps.schedules.get(found["id"])
    assert counted.execution_count == 2 and counted.last_run == "2027-03-02T07:00:00.000000Z"
    assert counted.last_message_id == second["message_id"] and counted.last_execution_id == "e2"


def test_web_action_runs_go_to_the_web_actions_topic_with_their_operation(fn):
    found = create(fn, target_type="web_action", payload=WEATHER, arguments={"operation": "get_weather"})
    fire(fn, found, DAY1 + timedelta(hours=7), "e1")
    [published] = queued(fn, "web-actions")
    assert published["message_type"] == "web_action" and published["payload"] == WEATHER
    assert published["arguments"] == {"operation": "get_weather", "schedule_id": found["id"]}


def test_a_scheduled_message_with_an_unknown_operation_is_stored_as_failed(fn):
    found = create(fn, target_type="scheduled", operation="defragment",
                   payload={"user_prompt": "book a tee time", "course_name": "Birdsfoot Golf Course"})
    result = fire(fn, found, DAY1 + timedelta(hours=7), "e1")
    message = fn.deps.messages.get(result["message_id"])
    assert message.message_type is MessageType.SCHEDULED and message.status is Status.FAILED
    assert "unknown scheduled operation: 'defragment'" in message.error_message


def test_pause_resume_update_execute_and_delete(fn):
    found = create(fn, schedule_expression="rate(1 hour)")
    assert send(fn, {"action": "pause", "schedule_id": found["id"]}).status is Status.COMPLETED
    assert eventbridge(fn, found)["State"] == "DISABLED"
    assert fire(fn, found, DAY1 + timedelta(hours=1), "e1")["skipped"] == "paused"
    refused = send(fn, {"action": "execute", "schedule_id": found["id"]})
    assert refused.status is Status.FAILED and refused.error_message == "cannot execute inactive schedule: status=paused"

    fn.now.value = DAY1 + timedelta(hours=2)
    assert send(fn, {"action": "resume", "schedule_id": found["id"]}).status is Status.COMPLETED
    resumed = fn.deps.schedules.get(found["id"])
    assert resumed.status is ScheduleStatus.ACTIVE and resumed.active_since == "2027-03-01T02:00:00.000000Z"
    assert eventbridge(fn, found)["State"] == "ENABLED"

    send(fn, {"action": "update", "schedule_id": found["id"], "schedule_expression": "cron(0 9 ? * MON-FRI *)",
              "timezone": "Europe/London"}, {"message": "weekday"})
    updated = fn.deps.schedules.get(found["id"])
    assert updated.schedule_expression == "cron(0 9 ? * MON-FRI *)" and updated.target.payload == {"message": "weekday"}
    remote = eventbridge(fn, found)
    assert remote["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)" and remote["ScheduleExpressionTimezone"] == \
        "Europe/London" and remote["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3  # nothing reset

    assert send(fn, {"action": "execute", "schedule_id": found["id"]}).status is Status.COMPLETED
    assert fn.deps.schedules.get(found["id"]).execution_count == 1

    assert send(fn, {"action": "delete", "schedule_id": found["id"]}).status is Status.COMPLETED
    assert fn.deps.schedules.all_with_status(ScheduleStatus.ACTIVE) == []
    with pytest.raises(fn.scheduler.exceptions.ResourceNotFoundException):
        eventbridge(fn, found)
    gone = send(fn, {"action": "pause", "schedule_id": found["id"]})
    assert gone.status is Status.FAILED and gone.error_message == f"schedule not found: {found['id']}"


def test_one_shot_is_completed_by_its_run(fn):
    found = create(fn, schedule_expression="at(2027-03-01T09:00:00)")
    fire(fn, found, DAY1 + timedelta(hours=9), "e1")
    assert fn.deps.schedules.get(found["id"]).status is ScheduleStatus.COMPLETED


def test_daily_evaluation_catches_a_missed_run_up_once(fn):
    found = create(fn, schedule_expression="cron(0 7 * * ? *)")  # active since day 1 00:00
    fire(fn, found, DAY1 + timedelta(hours=7), "e1")  # day 2 and day 3 07:00 were lost
    fn.now.value = DAY1 + timedelta(days=2, hours=12)
    report = lambda_handler(SCHEDULED, context())
    assert report["caught_up"] == [found["id"]] and report["evaluated"] == 1
    caught = fn.deps.schedules.get(found["id"])
    assert caught.execution_count == 2 and caught.last_scheduled_time == "2027-03-03T07:00:00.000000Z"
    assert lambda_handler(SCHEDULED, context())["caught_up"] == []  # once


def test_daily_evaluation_leaves_on_time_and_resumed_schedules_alone(fn):
    on_time = create(fn, name="on time", schedule_expression="cron(0 12 * * ? *)")
    fn.now.value = DAY1 + timedelta(days=1)
    resumed = create(fn, name="resumed", schedule_expression="cron(0 7 * * ? *)")  # active since day 2
    fire(fn, on_time, DAY1 + timedelta(days=1, hours=12), "e1")
    fn.now.value = DAY1 + timedelta(days=1, hours=12)  # 12:00 is due now, but may still be in flight
    report = lambda_handler(SCHEDULED, context())
    assert report["caught_up"] == [resumed["id"]]  # day 2 07:00, after it became active
    assert fn.deps.schedules.get(on_time["id"]).execution_count == 1


def test_daily_evaluation_reconciles_the_table_with_eventbridge(fn):
    ended = create(fn, name="ended", schedule_expression="rate(1 day)", end_date="2027-03-02T00:00:00Z")
    vanished = create(fn, name="vanished", schedule_expression="rate(1 hour)")
    disabled = create(fn, name="disabled", schedule_expression="rate(1 hour)")
    one_shot = create(fn, name="one shot", schedule_expression="at(2027-03-01T01:00:00)")
    fn.scheduler.delete_schedule(GroupName=vanished["group"], Name=vanished["eventbridge_name"])
    fn.scheduler.delete_schedule(GroupName=one_shot["group"], Name=one_shot["eventbridge_name"])  # gone, never ran
    remote = eventbridge(fn, disabled)
    fn.scheduler.update_schedule(**{k: remote[k] for k in ("Name", "GroupName", "ScheduleExpression",
                                                           "FlexibleTimeWindow", "Target")}, State="DISABLED")
    for schedule in (vanished, disabled):
        fire(fn, schedule, DAY1 + timedelta(days=1, hours=11), "recent")
    fn.now.value = DAY1 + timedelta(days=1, hours=12)
    report = lambda_handler(SCHEDULED, context())
    assert report["completed"] == [ended["id"]] and report["paused"] == [disabled["id"]]
    assert report["caught_up"] == [one_shot["id"]]  # its invocation was lost: run once, then completed
    assert report["errors"] == [{"schedule_id": vanished["id"], "error":
                                 f"EventBridge schedule {vanished['group']}/{vanished['eventbridge_name']} not found"}]
    assert fn.deps.schedules.get(vanished["id"]).status is ScheduleStatus.ERROR
    assert fn.deps.schedules.get(one_shot["id"]).status is ScheduleStatus.COMPLETED


def test_events_are_told_apart_by_their_shape():
    assert event_kind({"Records": [{"eventSource": "aws:sqs"}]}) == "sqs"
    assert event_kind({"schedule_id": "sched_x"}) == "fire"
    assert event_kind(SCHEDULED) == "evaluate"
    assert event_kind({"hello": 1}) == "unknown"
    with pytest.raises(ValueError, match="unrecognised event"):
        lambda_handler({"hello": 1}, context())
