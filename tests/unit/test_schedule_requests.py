"""The Schedule model and the validation of schedule commands (API body and schedule_creation messages)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from emulation.runtime.schedule_engine import backoff, flexible_offset
from emulation.runtime.schedule_targets import substitute
from services.core import clock
from services.core.errors import ValidationError
from services.core.schedule_requests import (
    CreateCommand,
    RefCommand,
    UpdateCommand,
    apply_update,
    build_schedule,
    check_schedule_message,
    parse_command,
)
from services.core.schedules import (
    SCHEDULE_ID,
    Schedule,
    ScheduleStatus,
    eventbridge_name,
    new_schedule_id,
)

VALID = {"action": "create", "name": "morning", "schedule_expression": "cron(0 7 * * ? *)",
         "timezone": "America/New_York", "target_type": "notification", "payload": {"message": "hi"}}
WEATHER = {"action": "weather", "courseID": 1}


def problems(body: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        parse_command(body)
    return {p.field: p.problem for p in raised.value.details}


def test_schedule_ids_and_eventbridge_names_follow_the_documented_formats():
    schedule_id = new_schedule_id(datetime(2026, 5, 13, 9, 30, 1, tzinfo=UTC))
    assert re.fullmatch(r"sched_20260513093001_[0-9a-f]{8}", schedule_id) and SCHEDULE_ID.match(schedule_id)
    name = eventbridge_name("Daily check to book tee times!! (Birdsfoot)", "prod", schedule_id)
    assert name == f"Daily-check-to-book-tee-times--prod-{schedule_id[-8:]}"
    assert len(eventbridge_name("x" * 200, "stage", schedule_id)) <= 64
    assert re.fullmatch(r"[0-9A-Za-z_.-]+", eventbridge_name("héllo wörld", "dev", schedule_id))


def test_a_valid_create_builds_a_pending_schedule_that_stores_its_target():
    command = parse_command({**VALID, "operation": "ignored-by-notify", "flexible_window_minutes": 15,
                             "start_date": "2026-12-01T00:00:00+01:00"})
    assert isinstance(command, CreateCommand) and command.run_now is False
    schedule = build_schedule(command, group="g", stage="dev", created_by="webapi")
    assert schedule.status is ScheduleStatus.PENDING and schedule.execution_count == 0
    assert schedule.target.message_type.value == "notify"  # not the original's invalid "notification"
    assert schedule.target.payload == {"message": "hi"}
    assert schedule.target.arguments == {"operation": "ignored-by-notify"}
    assert schedule.flexible_window.to_aws() == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert schedule.start_date == "2026-11-30T23:00:00.000000Z" and not schedule.one_shot
    stored = schedule.to_json_dict()
    assert "last_run" not in stored and Schedule.model_validate(stored) == schedule


@pytest.mark.parametrize("expression", [
    "every tuesday-ish", "cron(0 7 * * *)", "cron(0 7 * * ? * *)", "cron(0 7 * * MON *)", "cron(0 24 * * ? *)",
    "cron(60 * * * ? *)", "cron(0 7 ? * 8 *)", "cron(0 7 32 * ? *)", "cron(0 7 ? * MON#6 *)", "rate(0 minutes)",
    "rate(1 hours)", "rate(5 minute)", "rate(2 weeks)", "rate(-1 days)", "at(2026-02-30T07:00:00)",
    "at(2026-01-01 07:00:00)", "at(2026-01-01T07:00)", "cron(0 7 * * ? 1969)", "", "x" * 300,
])
def test_expressions_aws_rejects_are_rejected(expression):
    assert "schedule_expression" in problems({**VALID, "schedule_expression": expression})


@pytest.mark.parametrize("expression", [
    "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)",
    "cron(0 12 L * ? *)", "cron(0 9 ? * 6L *)", "cron(0 9 15W * ? *)", "rate(1 minute)", "rate(5 minutes)",
    "rate(1 day)", "at(2026-12-31T23:59:59)", "  rate(2 hours)  ",
])
def test_expressions_from_the_aws_documentation_are_accepted(expression):
    assert parse_command({**VALID, "schedule_expression": expression}).schedule_expression == expression.strip()


@pytest.mark.parametrize("timezone", ["Eastern", "EST5EDT_nope", "Mars/Olympus_Mons", "America/New York", "x" * 60])
def test_unknown_timezones_are_rejected(timezone):
    assert "timezone" in problems({**VALID, "timezone": timezone})


def test_an_empty_timezone_means_utc():
    command = parse_command({**VALID, "timezone": ""})
    assert build_schedule(command, group="g", stage="dev", created_by="t").timezone == "UTC"


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "  "}, "name"),
    ({"name": None}, "name"),
    ({"target_type": "custom"}, "target_type"),
    ({"payload": {}}, "payload.message"),
    ({"payload": {"message": 7}}, "payload.message"),
    ({"payload": {"message": "x", "priority": 9}}, "payload.priority"),
    ({"target_type": "web_action", "payload": {"action": "fly"}}, "payload.action"),
    ({"target_type": "web_action", "payload": {"action": "golf", "courseID": 1}}, "arguments.operation"),
    ({"target_type": "web_action", "payload": WEATHER, "operation": "book_tee_time"}, "arguments.operation"),
    ({"target_type": "scheduled", "payload": {"user_prompt": "x"}}, "operation"),
    ({"target_type": "scheduled", "operation": "agentEvent", "payload": {}}, "payload.user_prompt"),
    ({"run_now": "yes"}, "run_now"),
    ({"flexible_window_minutes": 1441}, "flexible_window_minutes"),
    ({"start_date": "2026-01-02T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2026-01-02T00:00:00"}, "start_date"),  # no timezone
    ({"action": "launch"}, "action"),
])
def test_each_problem_names_its_field(change, field):
    assert field in problems({**VALID, **change})


def test_valid_targets_of_each_type():
    web = parse_command({**VALID, "target_type": "web_action", "payload": WEATHER, "arguments": {"operation": "get_weather"}})
    agent = parse_command({**VALID, "target_type": "scheduled", "operation": "agentEvent",
                           "payload": {"user_prompt": "book Saturday morning"}})
    assert build_schedule(web, group="g", stage="dev", created_by="t").target.message_type.value == "web_action"
    assert build_schedule(agent, group="g", stage="dev", created_by="t").target.arguments == {"operation": "agentEvent"}


def test_other_actions_need_a_schedule_id():
    assert isinstance(parse_command({"action": "pause", "schedule_id": "sched_20260101000000_0123abcd"}), RefCommand)
    assert problems({"action": "delete"}) == {"schedule_id": "Field required"}
    assert "schedule_id" in problems({"action": "execute", "schedule_id": "msg_20260101000000_000001"})


def test_schedule_creation_messages_report_fields_where_the_message_has_them():
    arguments = {k: v for k, v in VALID.items() if k != "payload"}
    check_schedule_message({"message": "hi"}, arguments)  # no error
    with pytest.raises(ValidationError) as raised:
        check_schedule_message({"message": ""}, {**arguments, "schedule_expression": "rate(1 hours)"})
    assert {p.field for p in raised.value.details} == {"arguments.schedule_expression", "payload.message"}
    with pytest.raises(ValidationError) as raised:
        check_schedule_message(WEATHER, {**arguments, "target_type": "web_action", "operation": "fetch"})
    assert [p.field for p in raised.value.details] == ["arguments.operation"]


def test_an_update_is_validated_as_a_whole_and_keeps_the_target_type():
    schedule = build_schedule(parse_command({**VALID, "target_type": "web_action", "payload": WEATHER,
                                             "operation": "get_weather"}), group="g", stage="dev", created_by="t")
    update = parse_command({"action": "update", "schedule_id": schedule.id, "schedule_expression": "rate(2 hours)",
                            "payload": {**WEATHER, "days": 3}})
    assert isinstance(update, UpdateCommand)
    updated = apply_update(schedule, update)
    assert updated.schedule_expression == "rate(2 hours)" and updated.target.payload["days"] == 3
    assert updated.target.arguments == {"operation": "get_weather"} and updated.timezone == schedule.timezone
    bad = parse_command({"action": "update", "schedule_id": schedule.id, "payload": {"message": "not weather"}})
    with pytest.raises(ValidationError, match="payload.action"):
        apply_update(schedule, bad)
    late = parse_command({"action": "update", "schedule_id": schedule.id, "end_date": "2020-01-01T00:00:00Z",
                          "start_date": "2021-01-01T00:00:00Z"})
    with pytest.raises(ValidationError, match="end_date"):
        apply_update(schedule, late)


def test_engine_helpers_backoff_flexible_offset_and_context_attributes():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 30)] == [60, 120, 240, 3600, 3600, 3600]
    due = clock.parse_iso("2027-03-01T07:00:00Z")
    flexible = {"Arn": "arn:x", "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}}
    offsets = {flexible_offset({**flexible, "Arn": f"arn:{i}"}, due) for i in range(50)}
    assert all(timedelta(0) <= o < timedelta(minutes=5) for o in offsets) and len(offsets) > 10
    assert flexible_offset(flexible, due) == flexible_offset(flexible, due)
    assert flexible_offset({"FlexibleTimeWindow": {"Mode": "OFF"}}, due) == timedelta(0)
    text = substitute('{"a":"<aws.scheduler.schedule-arn>","t":"<aws.scheduler.scheduled-time>",'
                      '"e":"<aws.scheduler.execution-id>","n":"<aws.scheduler.attempt-number>"}',
                      schedule_arn="arn:s", scheduled=due, execution_id="e1", attempt=2)
    assert text == '{"a":"arn:s","t":"2027-03-01T07:00:00Z","e":"e1","n":"2"}'
    assert substitute(None, schedule_arn="a", scheduled=due, execution_id="e", attempt=1) is None
