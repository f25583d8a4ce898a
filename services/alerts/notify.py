"""Turn a CloudWatch alarm notification into an operator notification.

Every notification first marks the messages of all dead letters ``failed`` (``dead_letters.py``).
For a dead-letter queue alarm the operator gets the queue, how many messages wait there, and the
first failed message's id and recorded error — what "manual investigation and reprocessing" starts
from. For a function's Errors alarm, the function and the alarm's reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from services.alerts.dead_letters import mark_dead_letters
from services.core.errors import NotFoundError
from services.core.message_repository import MessageRepository
from services.core.ntfy import Notification, NtfyNotifier

logger = logging.getLogger(__name__)


@dataclass
class AlertDeps:
    sqs: Any
    messages: MessageRepository
    notifier: NtfyNotifier
    redrive_queues: dict[str, dict[str, str]]  # key -> {"queue": name, "dlq": name}


@dataclass(frozen=True)
class DeadLetterSummary:
    queue: str
    count: int
    first_message_id: str | None
    first_error: str | None


def summarise_dead_letters(dlq_name: str, deps: AlertDeps) -> DeadLetterSummary:
    url = deps.sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    count = int(deps.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                ["Attributes"].get("ApproximateNumberOfMessages", 0))
    # Peek: a zero visibility timeout leaves the message where it is for the operator.
    peeked = deps.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0).get("Messages", [])
    first_id = first_error = None
    if peeked:
        try:
            first_id = json.loads(peeked[0]["Body"]).get("id")
        except (ValueError, AttributeError):
            first_id = peeked[0].get("MessageId")
        if first_id:
            try:
                first_error = deps.messages.get(first_id).error_message
            except NotFoundError:
                first_error = None
    return DeadLetterSummary(dlq_name, count, first_id, first_error)


def alert_for(alarm: dict[str, Any], deps: AlertDeps) -> Notification:
    state, name = alarm.get("NewStateValue", "?"), alarm.get("AlarmName", "?")
    dimensions = {d.get("name"): d.get("value") for d in alarm.get("Trigger", {}).get("Dimensions", [])}
    if state != "ALARM":
        return Notification(message=f"{name} is {state} again.\n{alarm.get('NewStateReason', '')}",
                            title=f"Resolved: {name}", priority=3, tags=("white_check_mark",))
    if "QueueName" in dimensions:
        summary = summarise_dead_letters(dimensions["QueueName"], deps)
        lines = [f"Dead-letter queue {summary.queue} has {summary.count} message(s)."]
        if summary.first_message_id:
            lines.append(f"First failed message: {summary.first_message_id}")
        if summary.first_error:
            lines.append(f"Error: {summary.first_error}")
        lines.append("Investigate, fix, then redrive: rez dlq redrive " + _queue_key(summary.queue, deps))
        return Notification(message="\n".join(lines), title=f"ALARM: {name}", priority=5,
                            tags=("rotating_light", "dlq"))
    function = dimensions.get("FunctionName", "a function")
    return Notification(message=f"{function} reported errors.\n{alarm.get('NewStateReason', '')}",
                        title=f"ALARM: {name}", priority=5, tags=("rotating_light", "lambda"))


def _queue_key(dlq_name: str, deps: AlertDeps) -> str:
    return next((key for key, names in deps.redrive_queues.items() if names["dlq"] == dlq_name), dlq_name)


def handle_alarm_record(record: dict[str, Any], deps: AlertDeps) -> None:
    alarm = json.loads(record["Sns"]["Message"])
    if alarm.get("OldStateValue") == "INSUFFICIENT_DATA" and alarm.get("NewStateValue") == "OK":
        return  # a new alarm seeing its first data: nothing was wrong, nothing to tell
    # Before the operator's summary, so it shows each dead letter's final reason.
    marked = mark_dead_letters(deps.sqs, deps.messages, [names["dlq"] for names in deps.redrive_queues.values()])
    if marked:
        logger.info("%d dead-lettered message(s) marked failed", marked)
    deps.notifier.send(alert_for(alarm, deps))
    logger.info("operator notified: %s is %s", alarm.get("AlarmName"), alarm.get("NewStateValue"))
