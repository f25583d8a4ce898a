"""The metrics AWS services would publish, published to the CloudWatch API on the platform clock.

* ``AWS/Lambda`` Invocations, Errors, Duration per function (FunctionName), after every invocation;
* ``AWS/SQS`` ApproximateNumberOfMessagesVisible per queue (QueueName), sampled every minute of
  platform time — as SQS reports it — and on demand before alarms are evaluated.

LIMITATIONS: no Throttles, ConcurrentExecutions or IteratorAge; SQS publishes only the one metric
the alarms use; timestamps are the platform clock's, so an advanced clock writes "future" points.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from emulation.runtime.clock import PlatformClock
from emulation.runtime.functions import Invocation

logger = logging.getLogger(__name__)


class MetricsPublisher:
    def __init__(self, cloudwatch: Any, sqs: Any, clock: PlatformClock, function_names: dict[str, str],
                 queue_urls: dict[str, str]) -> None:
        self._cw = cloudwatch
        self._sqs = sqs
        self._clock = clock
        self._function_names = function_names  # key -> physical name
        self._queue_urls = queue_urls  # physical name -> URL
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._flush_loop, name="metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    def on_invocation(self, invocation: Invocation, _event: dict[str, Any]) -> None:
        """Queued, not sent: a CloudWatch call must not sit on the invocation's path."""
        name = self._function_names.get(invocation.function, invocation.function)
        dimensions = [{"Name": "FunctionName", "Value": name}]
        now = self._clock.now()
        with self._pending_lock:
            self._pending += [
                {"MetricName": "Invocations", "Dimensions": dimensions, "Timestamp": now, "Value": 1, "Unit": "Count"},
                {"MetricName": "Errors", "Dimensions": dimensions, "Timestamp": now,
                 "Value": 1 if invocation.failed else 0, "Unit": "Count"},
                {"MetricName": "Duration", "Dimensions": dimensions, "Timestamp": now,
                 "Value": round(invocation.duration_ms, 3), "Unit": "Milliseconds"},
            ]
        self._wake.set()

    def flush(self) -> None:
        with self._pending_lock:
            data, self._pending = self._pending, []
        for start in range(0, len(data), 20):
            try:
                self._cw.put_metric_data(Namespace="AWS/Lambda", MetricData=data[start:start + 20])
            except Exception:  # metrics must never break the platform
                logger.exception("could not publish Lambda metrics")

    def _flush_loop(self) -> None:
        while not self._stopped:
            self._wake.wait(1.0)
            self._wake.clear()
            self.flush()

    def sample_queues(self) -> None:
        self.flush()
        now = self._clock.now()
        data = []
        with self._lock:
            for name, url in self._queue_urls.items():
                try:
                    attributes = self._sqs.get_queue_attributes(
                        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
                except Exception:
                    logger.exception("could not read the depth of %s", name)
                    continue
                data.append({"MetricName": "ApproximateNumberOfMessagesVisible",
                             "Dimensions": [{"Name": "QueueName", "Value": name}], "Timestamp": now,
                             "Value": float(attributes.get("ApproximateNumberOfMessages", 0)), "Unit": "Count"})
            for start in range(0, len(data), 20):
                self._cw.put_metric_data(Namespace="AWS/SQS", MetricData=data[start:start + 20])
