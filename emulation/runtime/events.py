"""Lambda event shapes, built the way AWS builds them."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any


def sqs_record(message: dict[str, Any], queue_arn: str, region: str, clock: Any = None) -> dict[str, Any]:
    """One record of an SQS event from a ReceiveMessage result entry (all attributes requested).

    With the platform ``clock``, ``SentTimestamp`` and ``ApproximateFirstReceiveTimestamp`` are
    platform time: the emulator stamps them on the wall clock, which a frozen or advanced platform
    clock does not follow (a message sent at frozen 09:00 says 09:00, not today's wall time)."""
    attributes = dict(message.get("Attributes", {}))
    if clock is not None:
        for name in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
            if attributes.get(name, "").isdigit():
                attributes[name] = platform_ms(clock, int(attributes[name]))
    record_attributes = {k: attributes[k] for k in (
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
        "AWSTraceHeader", "SequenceNumber", "MessageGroupId", "MessageDeduplicationId") if k in attributes}
    message_attributes = {
        name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
               "stringListValues": value.get("StringListValues", []),
               "binaryListValues": value.get("BinaryListValues", []), "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    for value in message_attributes.values():
        if value["binaryValue"] is None:
            del value["binaryValue"]
        if value["stringValue"] is None:
            del value["stringValue"]
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": record_attributes, "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def scheduler_event(*, schedule_arn: str, input_json: str | None, region: str, account: str,
                    scheduled_time: datetime) -> Any:
    """What EventBridge Scheduler hands a Lambda target: the Input verbatim, or the default envelope."""
    if input_json is not None:
        import json

        return json.loads(input_json)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": account, "time": scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [schedule_arn], "detail": "{}"}


def now_ms() -> int:
    return int(time.time() * 1000)


def platform_ms(clock: Any, wall_ms: int) -> str:
    """A wall-clock epoch-milliseconds stamp, as the platform time it was then (SQS's string form)."""
    moment = clock.at_wall(datetime.fromtimestamp(wall_ms / 1000, UTC))
    return str(round(moment.timestamp() * 1000))
