"""SNS -> Lambda subscriptions, which no Docker-free emulator runs.

The platform subscribes a queue of its own to the topic (envelope delivery, not raw) and turns
each delivered notification into the SNS event Lambda receives (``Records[].Sns``), invoked
asynchronously: a failed invocation is retried twice (the message becomes visible again after
the bridge's visibility timeout on the platform clock), then dropped, as Lambda's async invoke does
without an on-failure destination.

``EventSubscriptionArn`` is ``<topic-arn>:<uuid>`` as on AWS: the emulator's ARN of the bridge's
subscription. ``Sns.Timestamp`` is the platform time of the publish (the emulator stamps wall time).

LIMITATIONS: the bridge queue is visible in ListQueues (named ``rez-platform-...``) and its
subscription in ListSubscriptionsByTopic as protocol ``sqs``, not ``lambda``; signatures in the
event are placeholders; no filter policies on Lambda subscriptions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from emulation.runtime.events import sqs_record

BRIDGE_VISIBILITY = 60
MAX_ATTEMPTS = 3


def bridge_queue_name(topic_name: str, function_name: str) -> str:
    return f"rez-platform-{topic_name}-to-{function_name}"[:80]


def create_bridge(sqs: Any, sns: Any, topic_arn: str, queue_name: str, region: str,
                  account: str) -> tuple[str, str]:
    """The bridge queue's URL and the subscription ARN the function's events carry.

    The ARN is the one the emulator issued for the bridge's subscription (``<topic-arn>:<uuid>``,
    the shape of a real Lambda subscription): a ``lambda`` subscription cannot be made instead,
    because the emulators would try to invoke the function themselves on every publish."""
    url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": str(BRIDGE_VISIBILITY)})["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{region}:{account}:{queue_name}"
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                 Attributes={"RawMessageDelivery": "false"}, ReturnSubscriptionArn=True)
    return url, subscription["SubscriptionArn"]


def sns_timestamp(clock: Any, stamp: str | None) -> str | None:
    """SNS's wall-clock ``Timestamp`` (``2026-12-02T13:45:00.123Z``) as the platform time it was then."""
    try:
        wall = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return stamp
    moment = clock.at_wall(wall).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sns_event(messages: list[dict[str, Any]], subscription_arn: str, clock: Any = None) -> dict[str, Any]:
    records = []
    for message in messages:
        envelope = json.loads(message["Body"])
        if clock is not None and envelope.get("Timestamp"):
            envelope["Timestamp"] = sns_timestamp(clock, envelope["Timestamp"])
        records.append({
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn,
            "Sns": {
                "Type": envelope.get("Type", "Notification"), "MessageId": envelope.get("MessageId"),
                "TopicArn": envelope.get("TopicArn"), "Subject": envelope.get("Subject"),
                "Message": envelope.get("Message"), "Timestamp": envelope.get("Timestamp"),
                "SignatureVersion": envelope.get("SignatureVersion", "1"),
                "Signature": envelope.get("Signature", "EXAMPLE"),
                "SigningCertUrl": envelope.get("SigningCertURL", ""),
                "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                "MessageAttributes": envelope.get("MessageAttributes", {}),
            },
        })
    return {"Records": records}


def to_sqs_records(messages: list[dict[str, Any]], queue_arn: str, region: str) -> list[dict[str, Any]]:
    return [sqs_record(m, queue_arn, region) for m in messages]
