"""The "Move to DLQ" hop, recorded in each dead-lettered record's own trace.

SQS moves a record to the dead-letter queue when its receive count has reached the redrive
policy's ``maxReceiveCount`` and its visibility timeout expires (the move itself happens on the
next receive). The poller knows both: it left the record on the queue after a failed receive
numbered ``maxReceiveCount``, and it knows the visibility timeout on the platform clock. So the hop
is recorded there, per record, whatever the DLQ's alarm does later (an alarm already in ALARM
does not transition again, and must not hide the move).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from emulation.runtime.clock import PlatformClock
from emulation.runtime.traces import TraceStore

logger = logging.getLogger(__name__)

MOVE_LABEL = "Move to DLQ (maxReceiveCount reached)"

_limits: dict[str, int | None] = {}
_limits_lock = threading.Lock()


def max_receive_count(sqs: Any, queue_url: str) -> int | None:
    """The queue's redrive policy ``maxReceiveCount`` (None: no DLQ), read once per queue."""
    with _limits_lock:
        if queue_url in _limits:
            return _limits[queue_url]
    policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"]) \
        .get("Attributes", {}).get("RedrivePolicy")
    limit = int(json.loads(policy)["maxReceiveCount"]) if policy else None
    with _limits_lock:
        _limits[queue_url] = limit
    return limit


def trace_redrive_moves(sqs: Any, queue_url: str, visibility_timeout: int, clock: PlatformClock,
                        traces: TraceStore, kept: list[dict[str, Any]], received_at: datetime) -> None:
    """Record the move of every kept record that has used its last receive, when its timeout expires."""
    if not kept:
        return
    try:
        limit = max_receive_count(sqs, queue_url)
    except Exception:  # the data plane is down: the poller's own error handling reports it
        logger.warning("cannot read the redrive policy of %s", queue_url, exc_info=True)
        return
    moving = [r for r in kept if limit and int(r["attributes"].get("ApproximateReceiveCount", "1")) >= limit]
    if not moving:
        return

    def moved() -> None:
        at = clock.now().isoformat()
        for record in moving:
            traces.add(record["attributes"]["AWSTraceHeader"], "SQS Queue", "Dead Letter Queue", MOVE_LABEL,
                       "deliver", at, sqs_message_id=record["messageId"], max_receive_count=limit)

    clock.call_at(received_at + timedelta(seconds=visibility_timeout), moved)
