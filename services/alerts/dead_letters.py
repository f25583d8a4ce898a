"""Dead letters end ``failed``: mark each message whose record reached a DLQ, with the reason.

A record reaches a DLQ after ``maxReceiveCount`` receives. When the consumer's handler ran, it
already marked the message ``failed`` with the error; when the function crashed, timed out or was
killed before (or while) the handler ran, nothing did — the message would stay ``queued`` or
``processing`` for ever. So the alerts function, which the DLQ "not empty" alarm invokes (alarm ->
alerts topic -> alerts), reads every dead letter of every DLQ and marks its message ``failed`` with
``maxReceiveCount reached: <last error recorded, or "no attempt recorded an outcome">``.

Why the alerts function and not a consumer of the DLQ (an event source mapping on it): a
consumer deletes what it handles, and the DLQ is what operators inspect and redrive from. The
alerts function only reads: each dead letter is received with a short visibility timeout and made
visible again at once, so ``rez dlq list`` and redrive see the queue as it was (the receive count
of a dead letter grows by one per read, which nothing uses).

It marks on every alarm notification it gets (a DLQ alarm, or a function's Errors alarm changing
state), not only the DLQ alarm's, because CloudWatch notifies on state changes only: a record that
is dead-lettered while the DLQ alarm is already in ALARM is marked at the next notification of any
alarm — a function that crashes raises its Errors alarm, and that alarm returns to OK five minutes
later. Marking is idempotent: a message already marked, or completed meanwhile (a duplicate of a
delivered one), is left alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from services.core.errors import NotFoundError
from services.core.message_repository import MessageRepository
from services.core.messages import Status

logger = logging.getLogger(__name__)

DEAD_LETTER_REASON = "maxReceiveCount reached"
NO_OUTCOME = "no attempt recorded an outcome (the function failed, timed out or was stopped before it finished)"
_HOLD_SECONDS = 30  # how long a dead letter is hidden while it is read; made visible again right after
_MAX_READ = 1000


@dataclass(frozen=True)
class DeadLetter:
    sqs_message_id: str
    message_id: str | None


def read_dead_letters(sqs: Any, queue_url: str, limit: int = _MAX_READ) -> list[DeadLetter]:
    """Every dead letter waiting in the queue, each left visible again for the operator."""
    expected = int(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"].get("ApproximateNumberOfMessages", 0))
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < min(expected, limit):
            # Long polling asks every SQS server; a short poll may answer empty while messages wait.
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                        VisibilityTimeout=_HOLD_SECONDS).get("Messages", [])
            if not batch:
                break
            for message in batch:
                seen[message["MessageId"]] = message
    finally:
        _show_again(sqs, queue_url, list(seen.values()))
    return [DeadLetter(m["MessageId"], _message_id(m["Body"])) for m in seen.values()]


def mark_dead_letters(sqs: Any, messages: MessageRepository, dlq_names: list[str]) -> int:
    """Mark the message of every dead letter in these DLQs ``failed``; how many were marked now."""
    marked = 0
    for name in dlq_names:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        for dead in read_dead_letters(sqs, url):
            if dead.message_id is None:
                logger.warning("dead letter %s in %s carries no message id; nothing to mark",
                               dead.sqs_message_id, name)
            elif mark_failed(messages, dead.message_id):
                marked += 1
                logger.info("message %s marked failed: its record is in %s", dead.message_id, name)
    return marked


def mark_failed(messages: MessageRepository, message_id: str) -> bool:
    try:
        stored = messages.get(message_id)
    except NotFoundError:
        logger.warning("dead letter of unknown message %s; nothing to mark", message_id)
        return False
    if stored.status is Status.COMPLETED:
        return False  # a duplicate record of a message that was delivered
    last = stored.error_message or ""
    if stored.status is Status.FAILED and last.startswith(DEAD_LETTER_REASON):
        return False
    reason = f"{DEAD_LETTER_REASON}: {last or NO_OUTCOME}"
    return messages.update_status(message_id, Status.FAILED, error_message=reason, unless=Status.COMPLETED)


def _show_again(sqs: Any, queue_url: str, read: list[dict[str, Any]]) -> None:
    for start in range(0, len(read), 10):
        chunk = read[start:start + 10]
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(chunk)])


def _message_id(body: str) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) else None
