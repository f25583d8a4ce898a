"""What ``GET /api/health`` checks, with calls this function can make wherever it runs.

* ``aws``: the AWS endpoint the function is configured with answers ``DescribeTable`` for the
  messages table, and the table is ``ACTIVE``.
* ``event_source_mappings``: every queue the system consumes (the queues with a dead-letter queue,
  from ``REDRIVE_QUEUES``) has an event source mapping in state ``Enabled`` —
  ``lambda:ListEventSourceMappings``, which is how "the pollers are alive" is seen on AWS.

Both calls use their own clients with short timeouts and no retries: a health check that waits
30 s for a dead endpoint is no use. Reasons name the resource and the error code, never the error
text (an AWS error message can carry the role ARN and account id, and this route is public).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from services.core.aws import AwsClients
from services.core.settings import Settings

logger = logging.getLogger(__name__)

HEALTH_CLIENT_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"})


@dataclass
class CheckResult:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.ok else "down", **self.detail}
        if self.reasons:
            body["reason"] = "; ".join(self.reasons)
        return body


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__


class HealthChecks:
    def __init__(self, settings: Settings, clients: AwsClients | None = None) -> None:
        self._settings = settings
        self._clients = clients or AwsClients(settings.region, config=HEALTH_CLIENT_CONFIG)

    def run(self) -> dict[str, CheckResult]:
        return {"aws": self.aws_endpoint(), "event_source_mappings": self.event_source_mappings()}

    def aws_endpoint(self) -> CheckResult:
        table = self._settings.messages_table
        started = time.perf_counter()
        try:
            status = self._clients.dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        except Exception as exc:
            logger.warning("health: DescribeTable %s failed: %s", table, exc)
            return CheckResult(False, {"table": table},
                               [f"AWS endpoint: DescribeTable {table} failed ({_error_code(exc)})"])
        latency = round((time.perf_counter() - started) * 1000, 1)
        if status != "ACTIVE":
            return CheckResult(False, {"table": table, "latency_ms": latency}, [f"table {table} is {status}"])
        return CheckResult(True, {"table": table, "latency_ms": latency})

    def event_source_mappings(self) -> CheckResult:
        queues = sorted(q["queue"] for q in json.loads(self._settings.redrive_queues or "{}").values())
        try:
            mappings = self._list_mappings()
        except Exception as exc:
            logger.warning("health: ListEventSourceMappings failed: %s", exc)
            return CheckResult(False, {}, [f"event source mappings: ListEventSourceMappings failed "
                                           f"({_error_code(exc)})"])
        detail: dict[str, Any] = {}
        reasons: list[str] = []
        for queue in queues:
            found = [m for m in mappings if m.get("EventSourceArn", "").rsplit(":", 1)[-1] == queue]
            if not found:
                reasons.append(f"no event source mapping reads {queue}")
                detail[queue] = {"state": "missing"}
                continue
            mapping = next((m for m in found if m.get("State") == "Enabled"), found[0])
            function = mapping.get("FunctionArn", "").rsplit(":", 1)[-1]
            detail[queue] = {"function": function, "state": mapping.get("State")}
            if mapping.get("State") != "Enabled":
                reasons.append(f"event source mapping {queue} -> {function} is {mapping.get('State')}"
                               + (f" ({mapping['StateTransitionReason']})"
                                  if mapping.get("StateTransitionReason") else ""))
        return CheckResult(not reasons, {"mappings": detail}, reasons)

    def _list_mappings(self) -> list[dict[str, Any]]:
        paginator = self._clients.client("lambda").get_paginator("list_event_source_mappings")
        return [m for page in paginator.paginate() for m in page.get("EventSourceMappings", [])]
