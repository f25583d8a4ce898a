"""SQS event source mappings: poll a queue, invoke the function with a batch, delete successes.

Behaves like Lambda's SQS poller: up to ``batch_size`` records per invocation; with
ReportBatchItemFailures only the records the function lists in ``batchItemFailures`` stay on the
queue (an invalid response fails the whole batch); a function error leaves every record. Records
that stay are not touched: they come back when the queue's visibility timeout expires, and after
``maxReceiveCount`` receives the queue's redrive policy moves them to the DLQ.

Receives of one queue are serialised (``receive_lock``): moto's ReceiveMessage is not atomic, so
two pollers receiving at once can both get the same record and deliver it twice. Lambda's own
pollers never hand one record to two invocations while its visibility timeout holds; the lock
makes the default backend keep that promise. (The consumers also claim each message with a
conditional write, which covers what AWS itself may redeliver.)

The visibility timeout is measured on the platform clock: when the clock is advanced past a
record's timeout, the poller makes it visible again (``ChangeMessageVisibility`` to 0), so a test
of "three deliveries, then the DLQ" advances time instead of waiting five minutes per delivery.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from emulation.runtime.clock import PlatformClock
from emulation.runtime.events import sqs_event, sqs_record
from emulation.runtime.functions import FunctionRunner, Invocation
from emulation.runtime.redrive_trace import trace_redrive_moves
from emulation.runtime.traces import TraceStore, function_participant, new_trace_id

logger = logging.getLogger(__name__)

_receive_locks: dict[str, threading.Lock] = {}
_receive_locks_guard = threading.Lock()


def receive_lock(queue_url: str) -> threading.Lock:
    """The one lock every poller of ``queue_url`` takes around ReceiveMessage."""
    with _receive_locks_guard:
        return _receive_locks.setdefault(queue_url, threading.Lock())


@dataclass(frozen=True)
class PollerSpec:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool
    visibility_timeout: int
    region: str
    concurrency: int = 2
    from_topic: bool = True  # the queue is fed by an SNS subscription
    # Set for the platform's SNS -> Lambda bridge: records become an SNS event, invoked asynchronously.
    sns_subscription_arn: str | None = None
    max_attempts: int | None = None  # async invoke: drop after this many failed attempts


def failed_ids(invocation: Invocation, records: list[dict[str, Any]], report_failures: bool) -> set[str]:
    """The message ids that must stay on the queue after this invocation."""
    every = {r["messageId"] for r in records}
    if invocation.failed:
        return every
    if not report_failures:
        return set()
    result = invocation.result
    if result is None or (isinstance(result, dict) and not result.get("batchItemFailures")):
        return set()
    try:
        listed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    except (TypeError, KeyError):
        return every  # Lambda treats a malformed response as a failure of the whole batch
    if not listed <= every or any(not i for i in listed):
        return every
    return listed


class SqsPoller:
    def __init__(self, spec: PollerSpec, sqs: Any, runner: FunctionRunner, clock: PlatformClock,
                 traces: TraceStore | None = None) -> None:
        self.spec = spec
        self._traces = traces
        self._sqs = sqs
        self._runner = runner
        self._clock = clock
        self._stop = threading.Event()
        self._enabled = threading.Event()
        self._enabled.set()
        self._threads: list[threading.Thread] = []
        self.invocations = 0
        self._busy = 0  # received batches not yet deleted or kept
        self._awaiting_release = 0
        self._busy_lock = threading.Lock()

    def start(self) -> None:
        for index in range(self.spec.concurrency):
            thread = threading.Thread(target=self._loop, daemon=True, name=f"poller:{self.spec.function}:{index}")
            thread.start()
            self._threads.append(thread)

    @property
    def enabled(self) -> bool:
        return self._enabled.is_set()

    @property
    def alive(self) -> bool:
        """Whether its receive loops are running (they survive errors; only ``stop()`` ends them)."""
        return any(thread.is_alive() for thread in self._threads)

    def set_enabled(self, enabled: bool) -> None:
        """Like ``UpdateEventSourceMapping(Enabled=...)``: a disabled mapping leaves the queue alone."""
        if enabled:
            self._enabled.set()
        else:
            self._enabled.clear()

    def stop(self) -> None:
        self._stop.set()
        self._enabled.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self._enabled.is_set():
                self._enabled.wait(0.5)
                continue
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("poller for %s failed; retrying", self.spec.function)
                self._stop.wait(1.0)

    @property
    def busy(self) -> bool:
        """True while a received batch is being handled (tests wait for every poller to be idle)."""
        return self._busy > 0

    @property
    def awaiting_release(self) -> int:
        """Records kept after a failed invocation, hidden until the clock passes their visibility timeout."""
        return self._awaiting_release

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self._receive(wait_seconds)
        if not messages:
            return 0
        try:
            return self._poll(messages)
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _receive(self, wait_seconds: int) -> list[dict[str, Any]]:
        with receive_lock(self.spec.queue_url):
            response = self._sqs.receive_message(
                QueueUrl=self.spec.queue_url, MaxNumberOfMessages=min(self.spec.batch_size, 10),
                WaitTimeSeconds=wait_seconds, AttributeNames=["All"], MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"])
            messages = response.get("Messages", [])
            if messages:
                with self._busy_lock:
                    self._busy += 1
        return messages

    def _poll(self, messages: list[dict[str, Any]]) -> int:
        received_at = self._clock.now()
        records = [sqs_record(m, self.spec.queue_arn, self.spec.region, self._clock) for m in messages]
        trace_ids = self._trace(records)
        if self.spec.sns_subscription_arn:
            from emulation.runtime.sns_lambda import sns_event

            event = sns_event(messages, self.spec.sns_subscription_arn, self._clock)
        else:
            event = sqs_event(records)
        invocation = self._runner.invoke(self.spec.function, event, trace_id=trace_ids[0])
        self.invocations += 1
        keep = failed_ids(invocation, records, self.spec.report_batch_item_failures)
        if keep and self.spec.max_attempts:
            exhausted = {r["messageId"] for r in records
                         if int(r["attributes"].get("ApproximateReceiveCount", "1")) >= self.spec.max_attempts}
            if exhausted:
                logger.warning("%s: dropping %d event(s) after %d failed attempts", self.spec.function,
                               len(exhausted), self.spec.max_attempts)
            keep -= exhausted
        done = [r for r in records if r["messageId"] not in keep]
        self._record(trace_ids, records, invocation, keep)
        for start in range(0, len(done), 10):
            chunk = done[start:start + 10]
            self._sqs.delete_message_batch(QueueUrl=self.spec.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)])
        for record in records:
            if record["messageId"] in keep:
                self._release_later(record["receiptHandle"], received_at)
        if self._traces and not self.spec.sns_subscription_arn:
            trace_redrive_moves(self._sqs, self.spec.queue_url, self.spec.visibility_timeout, self._clock,
                                self._traces, [r for r in records if r["messageId"] in keep], received_at)
        return len(records)

    def _trace(self, records: list[dict[str, Any]]) -> list[str]:
        """Each record's trace: carried as AWSTraceHeader, or found from the body that was published."""
        trace_ids: list[str] = []
        for record in records:
            trace_id = record["attributes"].get("AWSTraceHeader")
            if not trace_id and self._traces:
                digest = record["md5OfBody"]
                if self.spec.sns_subscription_arn:  # the bridge gets the SNS envelope; the trace knows the message
                    import hashlib
                    import json

                    digest = hashlib.md5(json.loads(record["body"]).get("Message", "").encode()).hexdigest()
                trace_id = self._traces.trace_for_body(digest, or_new=True)
            trace_id = trace_id or new_trace_id()
            record["attributes"]["AWSTraceHeader"] = trace_id
            trace_ids.append(trace_id)
        return list(dict.fromkeys(trace_ids))

    def _record(self, trace_ids: list[str], records: list[dict[str, Any]], invocation: Invocation,
                keep: set[str]) -> None:
        if not self._traces:
            return
        at = self._clock.now().isoformat()
        fn = function_participant(self.spec.function)
        for record in records:
            message_id = _message_id(record["body"])
            if message_id:
                self._traces.index_message(message_id, record["attributes"]["AWSTraceHeader"])
        single = len(trace_ids) == 1
        for trace_id in trace_ids:
            if self.spec.sns_subscription_arn:
                self._traces.add(trace_id, "SNS Topic", fn, "Invoke (async)", "invoke", at, ts=invocation.started_at,
                                 request_id=invocation.request_id)
                self._traces.record_calls(trace_id, self.spec.function, invocation.calls, at, index_ids=single)
                continue
            if self.spec.from_topic:
                self._traces.add(trace_id, "SNS Topic", "SQS Queue", "Deliver", "deliver", at,
                                 ts=invocation.started_at - 2e-6)
            receive = records[0]["attributes"].get("ApproximateReceiveCount", "1")
            self._traces.add(trace_id, "SQS Queue", fn, f"Invoke (batch of {len(records)}, receive {receive})",
                             "invoke", at, ts=invocation.started_at - 1e-6, request_id=invocation.request_id)
            self._traces.record_calls(trace_id, self.spec.function, invocation.calls, at, index_ids=single)
            if invocation.failed:
                self._traces.add(trace_id, fn, "SQS Queue", f"Function error: {invocation.error.get('errorType')}",
                                 "response", at, error=invocation.error.get("errorMessage"))
            elif keep:
                self._traces.add(trace_id, fn, "SQS Queue", f"Processing failed ({len(keep)} record(s))",
                                 "response", at, error="batchItemFailures")
            if len(keep) < len(records):
                self._traces.add(trace_id, fn, "SQS Queue", "Delete message", "aws", at)

    def _release_later(self, receipt_handle: str, received_at) -> None:
        due = received_at + timedelta(seconds=self.spec.visibility_timeout)

        def release() -> None:
            try:
                self._sqs.change_message_visibility(QueueUrl=self.spec.queue_url, ReceiptHandle=receipt_handle,
                                                    VisibilityTimeout=0)
            except ClientError:
                pass  # already received again, deleted or dead-lettered: nothing to release
            finally:
                with self._busy_lock:
                    self._awaiting_release -= 1

        with self._busy_lock:
            self._awaiting_release += 1
        self._clock.call_at(due, release)


def _message_id(body: str) -> str | None:
    """The application message id a record carries (``{"id": "msg_..."}``), when it has one."""
    import json

    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None
