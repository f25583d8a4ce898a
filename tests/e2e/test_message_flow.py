"""Seed diagram "Message Processing Flow" and "Error Handling and DLQ", through HTTP only."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import inbox, message_status, settled, wait_for

pytestmark = pytest.mark.e2e


def _notify(api, text: str, **extra) -> dict:
    response = api.post("/api/messages", json={"message_type": "notify", "payload": {"message": text, **extra}})
    assert response.status_code == 201, response.text
    return response.json()


def _delivered(ntfy, text: str) -> list[dict]:
    return [m for m in inbox(ntfy) if m["message"] == text]


def test_notify_message_is_stored_published_and_delivered(api, ntfy):
    text = f"hi {uuid.uuid4()}"
    created = _notify(api, text, title="T", priority=4, tags=["golf"])
    assert created["status"] == "queued"
    assert created["id"].startswith("msg_") and len(created["id"]) == len("msg_20260101000000_000000")
    assert created["created_by"] == "webapi" and created["stage"] == "dev"

    delivered = wait_for(lambda: _delivered(ntfy, text), what="notification in the ntfy inbox")
    assert len(delivered) == 1
    assert delivered[0]["title"] == "T" and delivered[0]["priority"] == 4 and delivered[0]["tags"] == ["golf"]
    done = wait_for(lambda: (m := message_status(api, created["id"]))["status"] == "completed" and m,
                    what="status completed")
    assert done["updated_date"] >= created["updated_date"]
    assert "error_message" not in done


def test_default_title_names_the_stage(api, ntfy):
    text = f"untitled {uuid.uuid4()}"
    _notify(api, text)
    delivered = wait_for(lambda: _delivered(ntfy, text), what="notification")
    assert delivered[0]["title"] == "Rez Agent - dev"


def test_invalid_message_is_rejected_and_changes_nothing(api, aws, stack):
    queue_url = stack.provisioned.queue_urls[stack.naming.queue("notifications")]
    settled(stack)  # work an earlier test started (a fired schedule's notifications) is not counted here
    before = api.get("/api/metrics").json()["total"]
    response = api.post("/api/messages", json={"message_type": "notify", "payload": {"message": 42}})
    assert response.status_code == 400
    body = response.json()
    assert body["details"] == [{"field": "payload.message", "problem": "must be a string"}]
    bad_json = api.post("/api/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    unknown_type = api.post("/api/messages", json={"message_type": "fax", "payload": {}})
    assert unknown_type.status_code == 400 and unknown_type.json()["details"][0]["field"] == "message_type"
    assert api.get("/api/metrics").json()["total"] == before
    attributes = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_get_unknown_message_is_404(api):
    response = api.get("/api/messages/msg_20200101000000_000000")
    assert response.status_code == 404
    assert response.json()["error"] == "message not found: msg_20200101000000_000000"


def test_list_filters_and_paginates_through_the_indexes(api):
    ids = {_notify(api, f"page {uuid.uuid4()}")["id"] for _ in range(3)}
    first = api.get("/api/messages", params={"limit": 2, "message_type": "notify"}).json()
    assert first["count"] == 2 and "next_cursor" in first
    second = api.get("/api/messages", params={"limit": 2, "message_type": "notify",
                                              "cursor": first["next_cursor"]}).json()
    seen = [m["id"] for m in first["messages"] + second["messages"]]
    assert len(seen) == len(set(seen))
    newest_first = [m["created_date"] for m in first["messages"] + second["messages"]]
    assert newest_first == sorted(newest_first, reverse=True)
    wait_for(lambda: all(message_status(api, i)["status"] == "completed" for i in ids), what="all completed")
    completed = api.get("/api/messages", params={"status": "completed", "limit": 100}).json()
    assert ids <= {m["id"] for m in completed["messages"]}
    assert api.get("/api/messages", params={"status": "nope"}).status_code == 400
    assert api.get("/api/messages", params={"cursor": "garbage"}).status_code == 400


def test_health_and_metrics(api):
    health = api.get("/api/health").json()
    assert health["status"] == "healthy" and health["stage"] == "dev"
    metrics = api.get("/api/metrics").json()
    assert set(metrics["by_status"]) == {"created", "queued", "processing", "completed", "failed"}
    assert api.get("/api/nowhere").status_code == 404


def test_failing_ntfy_retries_three_times_then_dead_letters(api, ntfy, control, aws, stack, quiet_alarms):
    assert ntfy.post("/_fake/faults", json={"status": 500}).status_code == 201
    text = f"doomed {uuid.uuid4()}"
    message_id = _notify(api, text)["id"]
    for attempt in (1, 2, 3):
        failed = wait_for(lambda n=attempt: (m := message_status(api, message_id))["retry_count"] == n and
                          m["status"] == "failed" and m, what=f"delivery attempt {attempt}")
        assert "ntfy returned status 500" in failed["error_message"]
        # The record is invisible for the queue's visibility timeout (300 s): advance the platform clock.
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    dlq_url = stack.provisioned.queue_urls[stack.naming.dlq("notifications")]
    sqs = aws("sqs")
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages"), what="message in the DLQ")
    assert [m for m in dead if message_id in m["Body"]]
    final = message_status(api, message_id)
    assert final["status"] == "failed" and final["retry_count"] == 3
    assert not _delivered(ntfy, text)


def test_partial_batch_retries_only_the_failed_record(api, ntfy, control):
    control.post("/_rez/event-source-mappings/processor/disable").raise_for_status()
    try:
        texts = [f"batch {i} {uuid.uuid4()}" for i in range(4)]
        ids = [_notify(api, text)["id"] for text in texts]
        # The processor makes three attempts per record: this fails exactly the first record of the batch.
        ntfy.post("/_fake/faults", json={"status": 503, "times": 3}).raise_for_status()
    finally:
        control.post("/_rez/event-source-mappings/processor/enable").raise_for_status()
    statuses = wait_for(lambda: (s := [message_status(api, i) for i in ids]) and
                        all(m["status"] in ("completed", "failed") for m in s) and s, what="batch processed")
    failed = [m for m in statuses if m["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["retry_count"] == 1
    assert sum(len(_delivered(ntfy, t)) for t in texts) == 3
    control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    wait_for(lambda: message_status(api, failed[0]["id"])["status"] == "completed", what="retried record completes")
    # Each record reached the inbox exactly once: the successes were not redelivered.
    assert [len(_delivered(ntfy, t)) for t in texts] == [1, 1, 1, 1]
