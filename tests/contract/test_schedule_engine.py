"""The schedule engine against moto's EventBridge Scheduler API, on a frozen platform clock.

moto stores schedules but never fires them and accepts any expression; the engine reads them back
through the API and fires them. Lambda targets go to a recording runner; SQS and SNS targets and
the dead-letter queue are moto's. Expected times are worked out by hand (2027: New York springs
forward on Sunday 14 March and falls back on Sunday 7 November).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulation.runtime.clock import PlatformClock
from emulation.runtime.schedule_engine import ScheduleEngine, ensure_static_schedules, flexible_offset
from emulation.runtime.schedule_targets import TargetDelivery
from infra.manifest import Naming
from tests.support.aws import provision_manifest

NAMING = Naming()
GROUP = NAMING.schedule_group()
ROLE = NAMING.role_arn("scheduler-execution")
FUNCTION_ARN = NAMING.function_arn("scheduler")
DLQ_ARN = NAMING.queue_arn(NAMING.queue("schedules-dlq"))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class RecordingRunner:
    """Stands in for the function runner: records (function, event, platform time) per invocation."""

    def __init__(self, clock: PlatformClock) -> None:
        self.clock = clock
        self.specs = {"scheduler": SimpleNamespace(arn=FUNCTION_ARN, name=NAMING.function("scheduler"))}
        self.calls: list[tuple[str, Any, datetime]] = []
        self.fail_next = 0

    def invoke(self, key: str, event: Any, trace_id: str | None = None) -> SimpleNamespace:
        self.calls.append((key, event, self.clock.now()))
        error = None
        if self.fail_next > 0:
            self.fail_next -= 1
            error = {"errorType": "RuntimeError", "errorMessage": "boom"}
        return SimpleNamespace(failed=error is not None, error=error, result=None, request_id="req", calls=[])


@pytest.fixture()
def platform():
    """``platform(start)`` → a frozen clock, moto with the manifest's resources, and a running engine."""
    engines: list[ScheduleEngine] = []
    with mock_aws():
        provisioned = provision_manifest(NAMING)

        def make(start: str = "2027-03-01T00:00") -> SimpleNamespace:
            clock = PlatformClock(frozen_at=utc(start))
            runner = RecordingRunner(clock)
            sqs = boto3.client("sqs", region_name="us-east-1")
            scheduler = boto3.client("scheduler", region_name="us-east-1")
            delivery = TargetDelivery(clock, runner=runner, sqs=sqs, sns=boto3.client("sns", region_name="us-east-1"),
                                      region="us-east-1", account=NAMING.account)
            engine = ScheduleEngine(clock, scheduler, delivery)
            engine.start()
            engines.append(engine)
            return SimpleNamespace(clock=clock, runner=runner, sqs=sqs, scheduler=scheduler, engine=engine,
                                   queues=provisioned.queue_urls)

        yield make
        for engine in engines:
            engine.stop()


def create(env: SimpleNamespace, name: str, expression: str, *, tz: str = "UTC", target: dict | None = None,
           **extra: Any) -> str:
    target = target or {"Arn": FUNCTION_ARN, "Input": json.dumps({"name": name, "at": "<aws.scheduler.scheduled-time>"})}
    return env.scheduler.create_schedule(
        Name=name, GroupName=GROUP, ScheduleExpression=expression, ScheduleExpressionTimezone=tz,
        FlexibleTimeWindow=extra.pop("FlexibleTimeWindow", {"Mode": "OFF"}),
        Target={"RoleArn": ROLE, **target}, **extra)["ScheduleArn"]


def update(env: SimpleNamespace, name: str, **changes: Any) -> None:
    current = env.scheduler.get_schedule(GroupName=GROUP, Name=name)
    request = {k: current[k] for k in ("Name", "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone",
                                       "FlexibleTimeWindow", "Target", "State") if current.get(k) is not None}
    env.scheduler.update_schedule(**{**request, **changes})


def settle(env: SimpleNamespace) -> None:
    """Wait until the engine's poll thread has armed a sync at the frozen instant (two 20 ms polls), as
    it does between any two advances a client makes: the next advance then sees every change first."""
    deadline = time.monotonic() + 5
    while not env.engine.sync_due:
        assert time.monotonic() < deadline, "the engine never armed a sync"
        time.sleep(0.01)


def fires(env: SimpleNamespace, name: str | None = None) -> list[tuple[str, datetime]]:
    """(scheduled-time attribute, platform time of the invocation) per Lambda invocation."""
    return [(event.get("at"), at) for _, event, at in env.runner.calls
            if isinstance(event, dict) and (name is None or event.get("name") == name)]


def dead_letters(env: SimpleNamespace) -> list[dict]:
    return env.sqs.receive_message(QueueUrl=env.queues[NAMING.queue("schedules-dlq")], MaxNumberOfMessages=10,
                                   MessageAttributeNames=["All"]).get("Messages", [])


def test_an_advance_fires_every_due_occurrence_in_order_each_at_its_own_time(platform):
    env = platform()
    create(env, "daily", "cron(0 7 * * ? *)", tz="America/New_York")
    create(env, "six-hourly", "rate(6 hours)", StartDate=utc("2027-03-01T01:00"))
    env.clock.advance(timedelta(days=1))
    assert [(event["name"], at) for _, event, at in env.runner.calls] == [
        ("six-hourly", utc("2027-03-01T01:00")), ("six-hourly", utc("2027-03-01T07:00")),
        ("daily", utc("2027-03-01T12:00")),  # 07:00 EST
        ("six-hourly", utc("2027-03-01T13:00")), ("six-hourly", utc("2027-03-01T19:00"))]
    assert fires(env, "daily") == [("2027-03-01T12:00:00Z", utc("2027-03-01T12:00"))]


def test_daylight_saving_spring_gap_is_skipped_and_autumn_repeat_runs_once(platform):
    spring = platform("2027-03-12T00:00")
    create(spring, "early", "cron(30 2 * * ? *)", tz="America/New_York")
    spring.clock.advance(timedelta(days=4))
    assert [at for _, at in fires(spring, "early")] == [utc("2027-03-12T07:30"), utc("2027-03-13T07:30"),
                                               utc("2027-03-15T06:30")]  # no 02:30 on the 14th
    autumn = platform("2027-11-06T00:00")
    create(autumn, "repeat", "cron(30 1 * * ? *)", tz="America/New_York")
    autumn.clock.advance(timedelta(days=2))
    assert [at for _, at in fires(autumn, "repeat")] == [utc("2027-11-06T05:30"),
                                                         utc("2027-11-07T05:30")]  # the EDT 01:30 only


def test_disabled_schedules_do_not_fire_and_resume_without_catching_up(platform):
    env = platform()
    create(env, "hourly", "cron(0 * * * ? *)")
    env.clock.advance(timedelta(minutes=90))
    update(env, "hourly", State="DISABLED")
    settle(env)
    env.clock.advance(timedelta(hours=3))
    assert len(fires(env)) == 1
    update(env, "hourly", State="ENABLED")
    settle(env)
    env.clock.advance(timedelta(hours=1))
    assert [at for _, at in fires(env)] == [utc("2027-03-01T01:00"), utc("2027-03-01T05:00")]


def test_start_and_end_dates_bound_a_recurring_schedule(platform):
    env = platform()
    create(env, "window", "cron(0 * * * ? *)", StartDate=utc("2027-03-01T02:00"), EndDate=utc("2027-03-01T05:00"))
    env.clock.advance(timedelta(hours=8))
    assert [at for _, at in fires(env)] == [utc("2027-03-01T02:00"), utc("2027-03-01T03:00"), utc("2027-03-01T04:00")]


def test_flexible_window_fires_inside_the_window_at_a_reproducible_offset(platform):
    env = platform()
    arn = create(env, "flex", "cron(0 * * * ? *)", FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    env.clock.advance(timedelta(hours=6, minutes=15))
    runs = fires(env)
    assert len(runs) == 6
    detail = {"Arn": arn, "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}}
    for scheduled_text, at in runs:
        scheduled = utc(scheduled_text.rstrip("Z"))
        assert scheduled <= at < scheduled + timedelta(minutes=15)  # the Input keeps the nominal time
        assert at == scheduled + flexible_offset(detail, scheduled)
    assert len({at - utc(s.rstrip("Z")) for s, at in runs}) > 1


def test_failed_delivery_is_retried_with_backoff_then_dead_lettered(platform):
    env = platform()
    missing = NAMING.queue_arn("no-such-queue")
    arn = create(env, "doomed", "cron(0 1 * * ? *)", target={
        "Arn": missing, "Input": '{"n":"<aws.scheduler.attempt-number>","at":"<aws.scheduler.scheduled-time>"}',
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        "DeadLetterConfig": {"Arn": DLQ_ARN}})
    env.clock.advance(timedelta(hours=1, minutes=6))  # attempts at 01:00, 01:01, 01:03; the last at 01:07
    assert not dead_letters(env)
    env.clock.advance(timedelta(minutes=1))
    [dead] = dead_letters(env)
    assert json.loads(dead["Body"]) == {"n": "4", "at": "2027-03-01T01:00:00Z"}
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "3" and attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["SCHEDULE_ARN"] == arn and attributes["TARGET_ARN"] == missing
    assert attributes["SCHEDULED_TIME"] == "2027-03-01T01:00:00Z" and attributes["IS_PAYLOAD_TRUNCATED"] == "false"
    assert "NonExistentQueue" in attributes["ERROR_CODE"] and attributes["EXECUTION_ID"]


def test_maximum_event_age_ends_retries_before_the_attempts_run_out(platform):
    env = platform()
    create(env, "aged", "cron(0 1 * * ? *)", target={
        "Arn": NAMING.queue_arn("no-such-queue"), "Input": "{}",
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": DLQ_ARN}})
    env.clock.advance(timedelta(hours=2))
    [dead] = dead_letters(env)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert attributes["RETRY_ATTEMPTS"] == "1"  # 01:00, 01:01; the next (01:03) would be past 60 s


def test_lambda_targets_are_invoked_asynchronously(platform):
    env = platform()
    env.runner.fail_next = 10
    create(env, "erring", "cron(0 1 * * ? *)", target={
        "Arn": FUNCTION_ARN, "Input": '{"name":"erring"}', "DeadLetterConfig": {"Arn": DLQ_ARN}})
    create(env, "nowhere", "cron(0 1 * * ? *)", target={
        "Arn": NAMING.function_arn("nowhere"), "Input": "{}", "DeadLetterConfig": {"Arn": DLQ_ARN},
        "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}})
    env.clock.advance(timedelta(hours=2))
    # A function error is Lambda's to retry (twice, 1 and 2 minutes apart), not the schedule's DLQ's.
    assert [at for _, at in fires(env, "erring")] == [utc("2027-03-01T01:00"), utc("2027-03-01T01:01"),
                                                      utc("2027-03-01T01:03")]
    [dead] = dead_letters(env)  # only the function that does not exist is dead-lettered
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "ResourceNotFoundException"


def test_one_shot_at_fires_once_in_its_timezone_and_is_deleted_after_completion(platform):
    env = platform()
    create(env, "once", "at(2027-03-01T09:00:00)", tz="America/New_York", ActionAfterCompletion="DELETE")
    create(env, "kept", "at(2027-03-01T10:00:00)", tz="UTC")
    env.clock.advance(timedelta(days=1))
    assert [at for _, at in fires(env, "once")] == [utc("2027-03-01T14:00")]
    assert [at for _, at in fires(env, "kept")] == [utc("2027-03-01T10:00")]
    with pytest.raises(ClientError, match="ResourceNotFound"):
        env.scheduler.get_schedule(GroupName=GROUP, Name="once")
    assert env.scheduler.get_schedule(GroupName=GROUP, Name="kept")["Name"] == "kept"


def test_sqs_and_sns_targets_get_the_input_and_lambda_without_input_the_default_event(platform):
    env = platform()
    create(env, "to-queue", "cron(0 1 * * ? *)", target={"Arn": NAMING.queue_arn(NAMING.queue("web-actions")),
                                                         "Input": '{"via":"sqs"}'})
    create(env, "to-topic", "cron(0 1 * * ? *)", target={"Arn": NAMING.topic_arn("notifications"),
                                                         "Input": '{"via":"sns"}'})
    arn = create(env, "bare", "cron(0 1 * * ? *)", target={"Arn": FUNCTION_ARN})
    env.clock.advance(timedelta(hours=1))
    bodies = {name: [json.loads(m["Body"]) for m in env.sqs.receive_message(
        QueueUrl=env.queues[NAMING.queue(name)], MaxNumberOfMessages=10).get("Messages", [])]
        for name in ("web-actions", "notifications")}
    assert bodies == {"web-actions": [{"via": "sqs"}], "notifications": [{"via": "sns"}]}  # raw delivery
    [(_, event, _)] = env.runner.calls
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.scheduler"
    assert event["resources"] == [arn] and event["time"] == "2027-03-01T01:00:00Z"


def test_expressions_aws_rejects_are_skipped_and_logged(platform, caplog):
    env = platform()
    create(env, "nonsense", "every tuesday-ish")  # moto accepts it
    create(env, "bad-zone", "cron(0 1 * * ? *)", tz="Mars/Olympus_Mons")
    create(env, "fine", "cron(0 1 * * ? *)")
    with caplog.at_level(logging.WARNING):
        env.clock.advance(timedelta(hours=2))
    assert [event["name"] for _, event, _ in env.runner.calls] == ["fine"]
    assert "nonsense is skipped" in caplog.text and "bad-zone is skipped" in caplog.text


def test_a_change_just_before_a_fire_is_honoured_and_deleted_schedules_stop(platform):
    env = platform()
    create(env, "moving", "cron(0 * * * ? *)")
    create(env, "doomed", "cron(0 * * * ? *)")
    env.clock.advance(timedelta(minutes=30))  # both planned for 01:00
    update(env, "moving", ScheduleExpression="cron(30 1 * * ? *)")
    env.scheduler.delete_schedule(GroupName=GROUP, Name="doomed")
    env.clock.advance(timedelta(hours=2))
    assert [(event["name"], at) for _, event, at in env.runner.calls] == [("moving", utc("2027-03-01T01:30"))]


def test_static_schedules_are_created_once_and_fire_the_scheduler_function(platform):
    env = platform("2027-03-01T11:00")
    assert ensure_static_schedules(env.scheduler, NAMING) == ["rez-agent-daily-scheduler-dev"]
    ensure_static_schedules(env.scheduler, NAMING)  # idempotent
    static = env.scheduler.get_schedule(GroupName=GROUP, Name="rez-agent-daily-scheduler-dev")  # as Pulumi deploys it
    assert static["ScheduleExpression"] == "cron(0 12 * * ? *)" and static["Target"]["Arn"] == FUNCTION_ARN
    assert static["Target"]["DeadLetterConfig"] == {"Arn": DLQ_ARN} and "Input" not in static["Target"]
    env.clock.advance(timedelta(hours=2))
    [(key, event, at)] = env.runner.calls
    assert key == "scheduler" and event["detail-type"] == "Scheduled Event" and at == utc("2027-03-01T12:00")
