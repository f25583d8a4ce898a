"""Dead-letter queues: list, peek, and redrive messages back to their source queue.

``StartMessageMoveTask`` is the AWS way, but not every AWS-API implementation has it, and
a redrive here must also keep each message's attributes: so messages are moved one batch at a
time — receive from the DLQ, send to the source with the same body and attributes, then delete
from the DLQ. A message is deleted only after its copy is sent, so a failure midway duplicates at
worst and never loses one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.core.errors import NotFoundError


@dataclass(frozen=True)
class DeadLetterQueue:
    key: str
    queue: str
    dlq: str


class DeadLetters:
    def __init__(self, sqs: Any, redrive_queues: str | dict[str, dict[str, str]]) -> None:
        self._sqs = sqs
        mapping = json.loads(redrive_queues or "{}") if isinstance(redrive_queues, str) else redrive_queues
        self._queues = {k: DeadLetterQueue(k, v["queue"], v["dlq"]) for k, v in mapping.items()}

    def queue(self, key: str) -> DeadLetterQueue:
        found = self._queues.get(key) or next((q for q in self._queues.values() if key in (q.queue, q.dlq)), None)
        if found is None:
            raise NotFoundError(f"no dead-letter queue {key!r}; known: {', '.join(sorted(self._queues))}")
        return found

    def _url(self, name: str) -> str:
        return self._sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def overview(self) -> list[dict[str, Any]]:
        rows = []
        for queue in self._queues.values():
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._url(queue.dlq), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            rows.append({"queue": queue.key, "source": queue.queue, "dlq": queue.dlq,
                         "messages": int(attributes.get("ApproximateNumberOfMessages", 0))})
        return rows

    def peek(self, key: str, limit: int = 10) -> list[dict[str, Any]]:
        """Messages waiting in the DLQ, left in place (visibility timeout 0)."""
        queue = self.queue(key)
        messages = self._sqs.receive_message(QueueUrl=self._url(queue.dlq), MaxNumberOfMessages=min(limit, 10),
                                             VisibilityTimeout=0, AttributeNames=["All"]).get("Messages", [])
        return [{"sqs_message_id": m["MessageId"], "body": _json_or_text(m["Body"]),
                 "receive_count": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0))} for m in messages]

    def redrive(self, key: str, limit: int = 1000) -> int:
        queue = self.queue(key)
        source, dlq = self._url(queue.queue), self._url(queue.dlq)
        moved = 0
        while moved < limit:
            batch = self._sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=min(10, limit - moved),
                                              VisibilityTimeout=30, MessageAttributeNames=["All"]
                                              ).get("Messages", [])
            if not batch:
                return moved
            for message in batch:
                request: dict[str, Any] = {"QueueUrl": source, "MessageBody": message["Body"]}
                if message.get("MessageAttributes"):
                    request["MessageAttributes"] = message["MessageAttributes"]
                self._sqs.send_message(**request)
                self._sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        return moved


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body
