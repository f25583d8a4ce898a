"""Nothing stuck, nothing twice: a seeded soak of the notification flow under injected faults.

A few hundred notify messages are sent concurrently through the HTTP API while ntfy fails some
requests and the processor function fails, times out, and — in the third round — is down for
every invocation. Redeliveries are driven by the platform clock (advanced past the visibility
timeout, never slept for). At the end every accepted message has ended ``completed`` with exactly
one notification, or ``failed`` with the reason and its record in the DLQ, and no notification
was delivered twice. Malformed records (not JSON, no id, not a message) fail with an ERROR line
naming them and end in the DLQ. ``REZ_SOAK_SEED`` replays one run; the seed is in the assertion
messages. The test leaves the stack as it found it (no faults, an empty DLQ, alarms back to OK).
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from emulation.runtime.pollers import SqsPoller
from services.alerts.dead_letters import DEAD_LETTER_REASON, read_dead_letters
from tests.e2e.conftest import inbox, wait_for

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("REZ_SOAK_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)
DLQ = "rez-agent-notifications-dlq-dev"


def _settled(stack, sqs) -> bool:
    """Nothing will move until time does: no batch in hand, and every queue a poller reads holds only
    the records kept for redelivery (hidden until the clock passes their visibility timeout)."""
    pollers: list[SqsPoller] = stack.pollers
    if any(p.busy for p in pollers):
        return False
    for poller in pollers:
        attributes = sqs.get_queue_attributes(
            QueueUrl=poller.spec.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        kept = sum(p.awaiting_release for p in pollers if p.spec.queue_url == poller.spec.queue_url)
        if int(attributes["ApproximateNumberOfMessages"]) or int(attributes["ApproximateNumberOfMessagesNotVisible"]) != kept:
            return False
    return not any(p.busy for p in pollers)


def _empty(sqs, queue_url: str) -> None:
    """Delete every message (PurgeQueue may run once a minute only)."""
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
                                       ).get("Messages", []):
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])


def _statuses(dynamodb, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 100):
        keys = [{"id": {"S": i}} for i in ids[start:start + 100]]
        request = {"rez-agent-messages-dev": {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = dynamodb.batch_get_item(RequestItems=request)
            for item in response["Responses"].get("rez-agent-messages-dev", []):
                found[item["id"]["S"]] = {"status": item["status"]["S"],
                                          "error": item.get("error_message", {}).get("S")}
            request = response.get("UnprocessedKeys") or None
    return found


def test_soak_every_message_ends_once(stack, api, control, ntfy, aws):
    rng = random.Random(SEED)
    sqs, sns, dynamodb = aws("sqs"), aws("sns"), aws("dynamodb")
    dlq_url = sqs.get_queue_url(QueueName=DLQ)["QueueUrl"]
    topic_arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"]
                     if t["TopicArn"].endswith(":rez-agent-notifications-dev"))

    def settle(what: str) -> None:
        wait_for(lambda: _settled(stack, sqs), timeout=120, what=f"{what} (seed {SEED})")

    # Start from an empty DLQ whose alarm is not ringing (earlier tests of this worker may leave one).
    settle("earlier work")
    _empty(sqs, dlq_url)
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    start = (now + timedelta(hours=1)).replace(minute=0, second=30, microsecond=0)  # off the minute: see below
    control.post("/_rez/clock/freeze", json={"at": start.isoformat()}).raise_for_status()
    control.post("/_rez/clock/advance", json={"by": "121s"}).raise_for_status()
    settle("alarms back to OK")

    try:
        _soak(rng, api, control, ntfy, sqs, sns, dynamodb, topic_arn, dlq_url, settle)
    finally:
        # Leave the worker's stack as found: no faults, an empty DLQ, alarms that notify on the next failure.
        control.delete("/_rez/functions/processor/faults")
        ntfy.delete("/_fake/faults")
        _empty(sqs, dlq_url)
        control.post("/_rez/clock/advance", json={"by": "361s"})
        control.post("/_rez/clock/unfreeze")


def _soak(rng, api, control, ntfy, sqs, sns, dynamodb, topic_arn, dlq_url, settle) -> None:
    # Malformed records first, while nothing fails: each fails with an ERROR line naming it.
    after = max((line["seq"] for line in control.get("/_rez/logs/processor").json()["lines"]), default=0)
    marker = f"BODY-{uuid.uuid4().hex}"
    poison = [f"not json {marker}", json.dumps({"message_type": "notify", "payload": {"message": marker}}),
              json.dumps({"id": f"msg_{marker}", "message_type": "no such type", "payload": {"message": marker}})]
    for body in poison:
        sns.publish(TopicArn=topic_arn, Message=body)
    errors = wait_for(lambda: _record_errors(control, after, len(poison)), what="an ERROR line per malformed record")
    assert any("Invalid JSON" in m for m in errors) and any("id: Field required" in m for m in errors)
    assert any(f"message msg_{marker}" in m and "message_type" in m for m in errors)
    lines = control.get("/_rez/logs/processor", params={"after": after}).json()["lines"]
    assert not any(marker in line["text"].replace(f"msg_{marker}", "") for line in lines), "a body reached the log"

    count = rng.randint(150, 210)
    ntfy.post("/_fake/faults", json={"status": 500, "times": rng.randint(20, 60)}).raise_for_status()
    control.post("/_rez/functions/processor/faults",
                 json={"fail_next": rng.randint(1, 3), "timeout_next": rng.randint(0, 2)}).raise_for_status()
    texts = [f"soak {SEED} #{i} {uuid.uuid4().hex[:8]}" for i in range(count)]
    payloads = [{"message": t, "title": f"soak {rng.randint(1, 9)}", "priority": rng.randint(1, 5)} for t in texts]

    def send(payload: dict) -> str:
        for attempt in range(20):  # a throttled POST (429) is resent, as an AWS SDK resends it
            response = api.post("/api/messages", json={"message_type": "notify", "payload": payload})
            if response.status_code != 429:
                break
            time.sleep(0.05 * (attempt + 1))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = dict(zip(pool.map(send, payloads), texts, strict=True))

    # Receives 2, 3 and 4 come when the clock passes each visibility timeout. The clock stands at
    # :30 past a minute, so each advance runs its alarm evaluations before the releases and the
    # platform is idle at every evaluation. Round 3 is an outage: every record still pending dies.
    plans = [{"fail_next": rng.randint(1, 4)}, {"fail_next": 100_000}, None]
    for number, plan in enumerate(plans, start=1):
        settle(f"round {number}")
        control.delete("/_rez/functions/processor/faults")
        if plan:
            control.post("/_rez/functions/processor/faults", json=plan).raise_for_status()
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    settle("the last redeliveries")
    ntfy.delete("/_fake/faults").raise_for_status()

    dead = read_dead_letters(sqs, dlq_url)
    assert dead, f"the outage dead-letters something (seed {SEED})"
    assert sum(d.message_id in (None, f"msg_{marker}") for d in dead) == len(poison), "poison ends in the DLQ"
    control.post("/_rez/alarms").raise_for_status()  # the DLQ alarm: alerts marks the dead letters failed
    dead_ids = {d.message_id for d in dead}

    def accounted() -> dict[str, dict]:
        stored = _statuses(dynamodb, list(ids))
        done = all(s["status"] == "completed" or (s["status"] == "failed" and i in dead_ids
                                                   and (s["error"] or "").startswith(DEAD_LETTER_REASON))
                   for i, s in stored.items())
        return stored if done and len(stored) == len(ids) else {}

    stored = wait_for(accounted, timeout=120, what=f"every message completed, or failed and dead-lettered (seed {SEED})")
    delivered = Counter(m["message"] for m in inbox(ntfy) if m["message"] in set(texts))
    duplicates = {t: n for t, n in delivered.items() if n > 1}
    assert not duplicates, f"delivered twice (seed {SEED}): {duplicates}"
    for message_id, state in stored.items():
        expected = 1 if state["status"] == "completed" else 0
        assert delivered[ids[message_id]] == expected, (f"{message_id} {state}: {delivered[ids[message_id]]} "
                                                        f"notification(s) (seed {SEED})")
    assert {"completed", "failed"} == {s["status"] for s in stored.values()}, f"seed {SEED}"


def _record_errors(control, after: int, records: int) -> list[str]:
    lines = control.get("/_rez/logs/processor", params={"after": after}).json()["lines"]
    found = [json.loads(line["text"]) for line in lines if line["text"].startswith("{")]
    errors = [f["message"] for f in found
              if f.get("level") == "ERROR" and "record body is not a message" in f.get("message", "")]
    return errors if len({e.split()[1] for e in errors}) >= records else []
