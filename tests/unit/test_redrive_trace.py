"""The "Move to DLQ" hop is recorded per record, when its last visibility timeout expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from emulation.runtime.clock import PlatformClock
from emulation.runtime.redrive_trace import MOVE_LABEL, trace_redrive_moves
from emulation.runtime.traces import TraceStore


class _Queue:
    """The one SQS call the tracer makes: the queue's redrive policy."""

    def __init__(self, max_receive_count: int | None) -> None:
        self.max_receive_count = max_receive_count

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict:  # noqa: N803
        policy = {} if self.max_receive_count is None else {"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq", "maxReceiveCount": self.max_receive_count})}
        return {"Attributes": policy}


def _record(message_id: str, receive: int, trace: str) -> dict:
    return {"messageId": message_id, "attributes": {"ApproximateReceiveCount": str(receive), "AWSTraceHeader": trace}}


def _moves(traces: TraceStore, trace_id: str) -> list[str]:
    found = traces.resolve(trace_id)
    return [h.label for h in found.hops] if found else []


def test_the_record_on_its_last_receive_moves_when_its_timeout_expires():
    clock = PlatformClock(frozen_at=datetime(2026, 12, 1, tzinfo=UTC))
    traces = TraceStore()
    kept = [_record("a", 3, "Root=1-a"), _record("b", 2, "Root=1-b")]
    trace_redrive_moves(_Queue(3), "http://q/one", 300, clock, traces, kept, clock.now())
    assert _moves(traces, "Root=1-a") == []  # still invisible: not moved yet
    clock.advance(timedelta(seconds=299))
    assert _moves(traces, "Root=1-a") == []
    clock.advance(timedelta(seconds=1))
    assert _moves(traces, "Root=1-a") == [MOVE_LABEL]
    assert _moves(traces, "Root=1-b") == []  # one more receive to go


def test_a_queue_without_a_redrive_policy_moves_nothing():
    clock = PlatformClock(frozen_at=datetime(2026, 12, 1, tzinfo=UTC))
    traces = TraceStore()
    trace_redrive_moves(_Queue(None), "http://q/two", 30, clock, traces, [_record("a", 9, "Root=1-c")], clock.now())
    clock.advance(timedelta(minutes=5))
    assert _moves(traces, "Root=1-c") == []
