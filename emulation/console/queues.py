"""Queues for the console: every provisioned queue with its depths and its dead-letter queue."""

from __future__ import annotations

import json
from typing import Any


def queues_view(sqs: Any, queue_urls: dict[str, str]) -> list[dict[str, Any]]:
    rows, dlq_of = [], {}
    attributes = {name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                  for name, url in queue_urls.items()}
    for name, attrs in attributes.items():
        if attrs.get("RedrivePolicy"):
            policy = json.loads(attrs["RedrivePolicy"])
            dlq_of[name] = {"dlq": policy["deadLetterTargetArn"].rsplit(":", 1)[-1],
                            "max_receive_count": int(policy.get("maxReceiveCount", 0))}
    dead_letter_targets = {d["dlq"] for d in dlq_of.values()}
    for name, attrs in sorted(attributes.items()):
        rows.append({
            "name": name, "url": queue_urls[name], "is_dlq": name in dead_letter_targets,
            "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
            "visibility_timeout": int(attrs.get("VisibilityTimeout", 30)),
            **({"dlq": dlq_of[name]["dlq"], "max_receive_count": dlq_of[name]["max_receive_count"]}
               if name in dlq_of else {}),
        })
    return rows
