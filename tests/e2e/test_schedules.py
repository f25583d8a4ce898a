"""Seed diagrams "Schedule Creation" and "EventBridge Scheduler Workflow", on a frozen platform clock.

Schedules are created through the HTTP API and fired by the schedule engine as time is advanced
through the control API; nothing here waits for wall-clock time to pass (``wait_for`` only waits
for the platform to finish work that is already due).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import inbox, message_status, wait_for

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
WEATHER = {"action": "weather", "courseID": 1, "days": 1}


@pytest.fixture()
def base(control):
    """Freeze at the next UTC midnight at least a day ahead of the platform clock (it only moves forward)."""
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    at = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    control.post("/_rez/clock/freeze", json={"at": at.isoformat()}).raise_for_status()
    yield at
    control.post("/_rez/clock/unfreeze").raise_for_status()


@pytest.fixture()
def created(api):
    """Create schedules through the API; whatever a test leaves behind is deleted afterwards."""
    ids: list[str] = []

    def create(**fields) -> dict:
        response = api.post("/api/schedules", json={"action": "create", **fields})
        assert response.status_code == 202, response.text
        schedule = response.json()["schedule"]
        ids.append(schedule["id"])
        return schedule

    yield create
    for schedule_id in ids:
        current = api.get(f"/api/schedules/{schedule_id}")
        if current.status_code == 200:
            api.post("/api/schedules", json={"action": "delete", "schedule_id": schedule_id})
            wait_for(lambda i=schedule_id: api.get(f"/api/schedules/{i}").status_code == 404, what="cleanup")


def advance(control, by: str) -> None:
    control.post("/_rez/clock/advance", json={"by": by}).raise_for_status()


def schedule(api, schedule_id: str) -> dict:
    response = api.get(f"/api/schedules/{schedule_id}")
    assert response.status_code == 200, response.text
    return response.json()


def until_status(api, schedule_id: str, status: str) -> dict:
    return wait_for(lambda: (s := schedule(api, schedule_id))["status"] == status and s, what=f"status {status}")


def fired_messages(api, schedule_id: str, message_type: str) -> list[dict]:
    listed = api.get("/api/messages", params={"message_type": message_type, "limit": 100}).json()["messages"]
    return sorted((m for m in listed if (m.get("arguments") or {}).get("schedule_id") == schedule_id),
                  key=lambda m: m["created_date"])


def command(api, action: str, schedule_id: str, **fields) -> dict:
    response = api.post("/api/schedules", json={"action": action, "schedule_id": schedule_id, **fields})
    assert response.status_code == 202, response.text
    body = response.json()
    wait_for(lambda: message_status(api, body["message_id"])["status"] in ("completed", "failed"),
             what=f"{action} command processed")
    assert message_status(api, body["message_id"])["status"] == "completed"
    return body


def eventbridge(aws, stack, found: dict) -> dict:
    return aws("scheduler").get_schedule(GroupName=found["group"], Name=found["eventbridge_name"])


def test_daily_weather_schedule_runs_three_times_in_three_days(api, control, ntfy, base, created):
    pending = created(name="Daily weather 7am", schedule_expression="cron(0 7 * * ? *)",
                      timezone="America/New_York", target_type="web_action", payload=WEATHER,
                      arguments={"operation": "get_weather"})
    assert pending["status"] == "pending" and pending["id"].startswith("sched_")
    active = until_status(api, pending["id"], "active")
    assert active["eventbridge_arn"].endswith(f":schedule/{active['group']}/{active['eventbridge_name']}")

    advance(control, "3d")

    runs = wait_for(lambda: len(r := fired_messages(api, pending["id"], "web_action")) == 3 and r,
                    what="three web actions")
    expected = [datetime.combine((base + timedelta(days=d)).date(), datetime.min.time().replace(hour=7),
                                 NEW_YORK).astimezone(UTC) for d in range(3)]
    assert [datetime.fromisoformat(m["created_date"].replace("Z", "+00:00")) for m in runs] == expected
    assert len({m["id"] for m in runs}) == 3  # a fresh message per run
    assert all(m["payload"] == WEATHER and m["arguments"]["operation"] == "get_weather" for m in runs)
    finished = schedule(api, pending["id"])
    assert finished["execution_count"] == 3 and finished["last_run"] == runs[-1]["created_date"]
    assert finished["last_message_id"] == runs[-1]["id"]

    run_ids = {m["id"] for m in runs}
    wait_for(lambda: all(message_status(api, i)["status"] == "completed" for i in run_ids), what="web actions done")

    def notifications() -> list[dict]:
        listed = api.get("/api/messages", params={"message_type": "notify", "limit": 100}).json()["messages"]
        return [m for m in listed if m["payload"].get("source_message_id") in run_ids]

    # A web action completes only after publishing all of its texts (one per forecast day, or two when
    # the forecast starts with a night), so these are all of them; wait until each is delivered.
    sent = wait_for(lambda: (n := notifications()) and all(m["status"] == "completed" for m in n) and n,
                    what="weather notifications delivered")
    assert {m["payload"]["source_message_id"] for m in sent} == run_ids
    texts = {m["message"] for m in inbox(ntfy)}
    assert all(m["payload"]["message"] in texts and "Weather" in m["payload"]["message"] for m in sent)


def test_pause_resume_update_and_delete(api, control, ntfy, aws, stack, base, created):
    text = f"tick {uuid.uuid4()}"
    found = created(name="hourly tick", schedule_expression="cron(0 * * * ? *)", target_type="notification",
                    payload={"message": text})
    until_status(api, found["id"], "active")

    def deliveries() -> int:
        return len([m for m in inbox(ntfy) if m["message"] == text])

    advance(control, "1h")  # 01:00
    wait_for(lambda: deliveries() == 1, what="first run delivered")

    command(api, "pause", found["id"])
    assert schedule(api, found["id"])["status"] == "paused"
    assert eventbridge(aws, stack, found)["State"] == "DISABLED"
    advance(control, "3h30m")  # 02:00, 03:00, 04:00 do not run
    assert schedule(api, found["id"])["execution_count"] == 1 and deliveries() == 1

    command(api, "resume", found["id"])
    assert eventbridge(aws, stack, found)["State"] == "ENABLED"
    advance(control, "1h")  # 05:00 runs; the paused hours are not caught up
    wait_for(lambda: deliveries() == 2, what="run after resume")
    assert schedule(api, found["id"])["execution_count"] == 2

    command(api, "update", found["id"], schedule_expression="cron(15 * * * ? *)")
    assert schedule(api, found["id"])["schedule_expression"] == "cron(15 * * * ? *)"
    assert eventbridge(aws, stack, found)["ScheduleExpression"] == "cron(15 * * * ? *)"
    advance(control, "1h")  # 06:00 no longer runs, 06:15 does
    wait_for(lambda: deliveries() == 3, what="run on the new expression")
    runs = fired_messages(api, found["id"], "notify")
    assert [m["created_date"][11:16] for m in runs] == ["01:00", "05:00", "06:15"]

    command(api, "delete", found["id"])
    assert api.get(f"/api/schedules/{found['id']}").status_code == 404
    with pytest.raises(ClientError) as gone:
        eventbridge(aws, stack, found)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    advance(control, "2h")
    assert deliveries() == 3


def test_run_now_fires_at_once_and_execute_runs_again(api, control, ntfy, base, created):
    text = f"now {uuid.uuid4()}"
    found = created(name="new year", schedule_expression="cron(0 7 1 1 ? *)", timezone="Europe/London",
                    target_type="notification", payload={"message": text, "title": "Now"}, run_now=True)
    ran = wait_for(lambda: (s := schedule(api, found["id"]))["execution_count"] == 1 and s, what="run_now")
    assert ran["last_run"] == base.strftime("%Y-%m-%dT%H:%M:%S.000000Z")  # no time passed
    wait_for(lambda: [m for m in inbox(ntfy) if m["message"] == text and m["title"] == "Now"], what="delivered")

    command(api, "execute", found["id"])
    assert schedule(api, found["id"])["execution_count"] == 2
    wait_for(lambda: len([m for m in inbox(ntfy) if m["message"] == text]) == 2, what="executed")
    assert len({m["id"] for m in fired_messages(api, found["id"], "notify")}) == 2


def test_schedule_creation_messages_through_the_messages_api(api, base, created):
    name = f"via messages {uuid.uuid4().hex[:8]}"
    response = api.post("/api/messages", json={
        "message_type": "schedule_creation", "payload": {"message": "from a message"},
        "arguments": {"action": "create", "name": name, "schedule_expression": "rate(2 hours)",
                      "timezone": "UTC", "target_type": "notification"}})
    assert response.status_code == 201, response.text
    wait_for(lambda: message_status(api, response.json()["id"])["status"] == "completed", what="command done")
    listed = api.get("/api/schedules", params={"status": "active", "limit": 100}).json()["schedules"]
    made = next(s for s in listed if s["name"] == name)
    assert made["target"] == {"message_type": "notify", "payload": {"message": "from a message"}}
    assert made["created_by"] == "webapi" and made["eventbridge_name"].startswith("via-messages-")
    command(api, "delete", made["id"])

    bad = api.post("/api/messages", json={
        "message_type": "schedule_creation", "payload": {"message": "x"},
        "arguments": {"action": "create", "name": "bad", "schedule_expression": "every tuesday-ish",
                      "target_type": "notification", "timezone": "Mars/Olympus_Mons"}})
    assert bad.status_code == 400
    fields = {d["field"] for d in bad.json()["details"]}
    assert fields == {"arguments.schedule_expression", "arguments.timezone"}


def test_invalid_schedules_are_rejected_and_nothing_is_stored(api, aws, stack):
    def pending() -> int:
        return api.get("/api/schedules", params={"status": "pending"}).json()["count"]

    before = pending()
    cases = [
        ({"schedule_expression": "cron(0 7 * * *)"}, "schedule_expression"),  # five fields
        ({"schedule_expression": "cron(0 7 * * MON *)"}, "schedule_expression"),  # both day fields
        ({"schedule_expression": "rate(1 hours)"}, "schedule_expression"),
        ({"schedule_expression": "at(2026-02-30T07:00:00)"}, "schedule_expression"),
        ({"timezone": "Eastern"}, "timezone"),
        ({"target_type": "custom"}, "target_type"),
        ({"payload": {"message": ""}}, "payload.message"),
        ({"name": "   "}, "name"),
        ({"target_type": "web_action", "payload": {"action": "golf", "courseID": 1}}, "arguments.operation"),
    ]
    for change, field in cases:
        body = {"action": "create", "name": "x", "schedule_expression": "cron(0 7 * * ? *)",
                "target_type": "notification", "payload": {"message": "m"}, **change}
        response = api.post("/api/schedules", json=body)
        assert response.status_code == 400, (change, response.text)
        assert field in {d["field"] for d in response.json()["details"]}, (change, response.json())
    assert api.post("/api/schedules", json={"action": "launch"}).status_code == 400
    missing = api.post("/api/schedules", json={"action": "pause", "schedule_id": "sched_20200101000000_00000000"})
    assert missing.status_code == 404
    assert api.get("/api/schedules/sched_20200101000000_00000000").status_code == 404
    assert api.get("/api/schedules", params={"status": "sleeping"}).status_code == 400
    assert pending() == before


def test_failing_target_ends_in_the_schedule_dlq_after_the_retry_policy(aws, stack, control, base):
    sqs, scheduler = aws("sqs"), aws("scheduler")
    doomed = f"doomed-{uuid.uuid4().hex[:8]}"
    sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName=doomed)["QueueUrl"])  # the target is gone
    dlq_name = stack.naming.queue("schedules-dlq")
    marker = uuid.uuid4().hex
    at = (base + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    arn = scheduler.create_schedule(
        Name=doomed, GroupName=stack.naming.schedule_group(), ScheduleExpression=f"at({at})",
        ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
        Target={"Arn": stack.naming.queue_arn(doomed), "RoleArn": stack.naming.role_arn("scheduler-execution"),
                "Input": json.dumps({"marker": marker, "at": "<aws.scheduler.scheduled-time>"}),
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                "DeadLetterConfig": {"Arn": stack.naming.queue_arn(dlq_name)}})["ScheduleArn"]

    advance(control, "1h")  # the first attempt fails; retries follow 1 and 2 minutes later
    dlq_url = stack.provisioned.queue_urls[dlq_name]

    def dead_lettered() -> list[dict]:
        return [m for m in sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                               MessageAttributeNames=["All"]).get("Messages", [])
                if marker in m["Body"]]

    assert not dead_lettered()  # still retrying
    advance(control, "5m")
    dead = wait_for(dead_lettered, what="dead-letter event")[0]
    assert json.loads(dead["Body"]) == {"marker": marker, "at": f"{at}Z"}
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "2" and attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["SCHEDULE_ARN"] == arn and attributes["TARGET_ARN"] == stack.naming.queue_arn(doomed)
    assert attributes["SCHEDULED_TIME"] == f"{at}Z" and "NonExistentQueue" in attributes["ERROR_CODE"]
    with pytest.raises(ClientError):  # a one-shot at() is deleted once its invocation is settled
        scheduler.get_schedule(GroupName=stack.naming.schedule_group(), Name=doomed)
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=dead["ReceiptHandle"])


def test_results_row_expires_after_72_hours_and_not_before(api, aws, stack, control, base):
    message = api.post("/api/messages", json={"message_type": "web_action", "payload": WEATHER,
                                              "arguments": {"operation": "get_weather"}}).json()
    wait_for(lambda: message_status(api, message["id"])["status"] == "completed", what="web action done")
    dynamodb = aws("dynamodb")
    table = stack.naming.table("results")

    def rows() -> list[dict]:
        return dynamodb.query(TableName=table, IndexName="message_id-index",
                              KeyConditionExpression="message_id = :m",
                              ExpressionAttributeValues={":m": {"S": message["id"]}})["Items"]

    row = rows()[0]
    assert int(row["ttl"]["N"]) == int((base + timedelta(hours=72)).timestamp())
    advance(control, "71h59m")
    assert rows(), "expired too early"
    advance(control, "2m")
    wait_for(lambda: not rows(), what="expired row deleted")
