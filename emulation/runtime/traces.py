"""Traces: every request through the stack, hop by hop, from what the platform sees.

A trace starts where a request enters (an HTTP request, a fired schedule, a redrive) and gets an
X-Ray style id. It follows the request through function invocations (the calls each function
made come back from its worker, see ``instrument.py``), through SNS and SQS (a published body is
matched to the SQS record that delivers it by the body's MD5, as ``md5OfBody`` carries it), and to
the fakes. ``mermaid()`` renders a trace as a sequence diagram comparable with the seed diagrams.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

FUNCTION_NAMES = {"webapi": "WebAPI Lambda", "processor": "Processor Lambda", "webaction": "WebAction Lambda",
                  "scheduler": "Scheduler Lambda", "mcp": "MCP Server", "agent": "Agent Lambda",
                  "alerts": "Alerts Lambda"}
SERVICE_NAMES = {"dynamodb": "DynamoDB", "sns": "SNS Topic", "sqs": "SQS Queue",
                 "secretsmanager": "Secrets Manager", "scheduler": "EventBridge Scheduler",
                 "bedrock-runtime": "Bedrock", "iam": "IAM", "cloudwatch": "CloudWatch", "sts": "STS",
                 "lambda": "Lambda API"}


# Tables appear under the names the seed diagrams give them.
TABLE_NAMES = (("web-action-results", "Results Table"), ("schedules", "Schedules Table"),
               ("sessions", "Session Table"), ("-cost-", "Cost Tracking Table"))


def _aws_participant(service: str, resource: str) -> str:
    if service == "dynamodb":
        return next((name for part, name in TABLE_NAMES if part in resource), "DynamoDB")
    return SERVICE_NAMES.get(service, service)


def new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def root_of(header: str | None) -> str | None:
    """The ``Root=`` part of an X-Amzn-Trace-Id / AWSTraceHeader value."""
    if not header:
        return None
    for part in header.split(";"):
        if part.strip().startswith("Root="):
            return part.strip()
    return None


def function_participant(key: str) -> str:
    return FUNCTION_NAMES.get(key, f"{key} Lambda")


@dataclass
class Hop:
    seq: int
    at: str
    source: str
    target: str
    label: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0  # when it happened (epoch seconds): hops are recorded after the fact, read in time order


@dataclass
class Trace:
    trace_id: str
    started: float
    hops: list[Hop] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)


class TraceStore:
    def __init__(self, origin_names: dict[str, str] | None = None, keep: int = 2000) -> None:
        self._traces: OrderedDict[str, Trace] = OrderedDict()
        self._by_message: dict[str, str] = {}
        self._by_body: dict[str, str] = {}
        # A record can arrive before its publisher's "about to send" notice (a busy machine): it gets
        # a provisional trace, merged into the publisher's when the notice comes (see ``link_body``).
        self._provisional: OrderedDict[str, str] = OrderedDict()  # body md5 -> provisional trace id
        self._aliases: dict[str, str] = {}  # merged provisional trace id -> the trace it joined
        self._origin_names = origin_names or {}
        self._keep = keep
        self._seq = 0
        self._lock = threading.Lock()

    def set_origin_name(self, origin: str, name: str) -> None:
        self._origin_names[origin] = name

    # --- recording ----------------------------------------------------------------------------
    def _canonical(self, trace_id: str) -> str:
        while trace_id in self._aliases:
            trace_id = self._aliases[trace_id]
        return trace_id

    def open(self, trace_id: str) -> None:
        """Start a trace before its first hop is recorded, so calls it makes meanwhile join it."""
        with self._lock:
            trace_id = self._canonical(trace_id)
            if trace_id not in self._traces:
                self._traces[trace_id] = Trace(trace_id, time.time())

    def known(self, trace_id: str) -> bool:
        with self._lock:
            return self._canonical(trace_id) in self._traces

    def add(self, trace_id: str, source: str, target: str, label: str, kind: str, at: str = "",
            ts: float | None = None, **detail: Any) -> None:
        with self._lock:
            trace_id = self._canonical(trace_id)
            trace = self._traces.get(trace_id)
            if trace is None:
                trace = self._traces[trace_id] = Trace(trace_id, time.time())
                while len(self._traces) > self._keep:
                    self._traces.popitem(last=False)
            self._seq += 1
            trace.hops.append(Hop(self._seq, at, source, target, label, kind, detail,
                                  ts if ts is not None else time.time()))

    def index_message(self, message_id: str, trace_id: str) -> None:
        with self._lock:
            trace_id = self._canonical(trace_id)
            self._by_message.setdefault(message_id, trace_id)
            if trace_id in self._traces:
                self._traces[trace_id].message_ids.add(message_id)

    def record_calls(self, trace_id: str, function: str, calls: list[dict[str, Any]], at: str = "",
                     index_ids: bool = True) -> None:
        """The AWS and HTTP calls one invocation made, as hops from the function.

        ``index_ids``: whether message ids the calls touch belong to this trace — not so for a batch
        that carries several traces (each record is indexed to its own trace by the poller).
        """
        source = function_participant(function)
        for call in calls:
            if call["kind"] == "aws":
                target = _aws_participant(call["service"], call.get("resource", ""))
                label = call["operation"] + (f" ({call['resource']})" if call.get("resource") else "")
                self.add(trace_id, source, target, label, "aws", at, ts=call.get("start"), error=call.get("error"),
                         duration_ms=call.get("duration_ms"))
                with self._lock:
                    trace_id = self._canonical(trace_id)
                    for message_id in call.get("ids", []) if index_ids else ():
                        self._by_message.setdefault(message_id, trace_id)
                        self._traces[trace_id].message_ids.add(message_id)
                    if call.get("body_md5") and not call.get("error"):
                        self._by_body[call["body_md5"]] = trace_id
            else:
                target = self.participant_for_origin(call["origin"], call.get("path", ""))
                label = f"{call['method']} {call.get('path', '')}"
                self.add(trace_id, source, target, label, "http", at, ts=call.get("start"), status=call.get("status"),
                         error=call.get("error"), duration_ms=call.get("duration_ms"))

    def participant_for_origin(self, origin: str, path: str) -> str:
        if "/connect/token" in path:
            return "OAuth Server"
        if "/.well-known/" in path:
            return "JWKS Endpoint"
        return self._origin_names.get(origin, origin)

    # --- lookup -------------------------------------------------------------------------------
    def link_body(self, body_md5: str, trace_id: str) -> None:
        with self._lock:
            trace_id = self._canonical(trace_id)
            provisional = self._provisional.pop(body_md5, None)
            if provisional is not None:
                self._merge(self._canonical(provisional), trace_id)
            self._by_body[body_md5] = trace_id

    def trace_for_body(self, body_md5: str, or_new: bool = False) -> str | None:
        """The trace that published this body; with ``or_new``, a provisional one when none did yet."""
        with self._lock:
            found = self._by_body.get(body_md5)
            if found is not None:
                return self._canonical(found)
            if not or_new:
                return None
            provisional = self._provisional[body_md5] = new_trace_id()
            while len(self._provisional) > self._keep:
                self._provisional.popitem(last=False)
            return provisional

    def _merge(self, source: str, target: str) -> None:
        """Move a provisional trace into the one it belongs to (hops keep their times)."""
        if source == target:
            return
        self._aliases[source] = target
        moved = self._traces.pop(source, None)
        if moved is None:
            return
        trace = self._traces.setdefault(target, Trace(target, moved.started))
        trace.hops.extend(moved.hops)
        trace.message_ids |= moved.message_ids
        for message_id in [m for m, t in self._by_message.items() if t == source]:
            self._by_message[message_id] = target

    def resolve(self, key: str) -> Trace | None:
        """A trace by its id (with or without ``Root=``) or by a message id it carried."""
        with self._lock:
            key = self._canonical(key)
            trace_id = self._by_message.get(key) or (key if key in self._traces else None) \
                or (f"Root={key}" if f"Root={key}" in self._traces else None)
            return self._traces.get(self._canonical(trace_id)) if trace_id else None

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            traces = list(self._traces.values())[-limit:]
        return [{"trace_id": t.trace_id, "hops": len(t.hops), "message_ids": sorted(t.message_ids),
                 "entry": f"{t.hops[0].source} -> {t.hops[0].target}: {t.hops[0].label}" if t.hops else ""}
                for t in reversed(traces)]

    def as_json(self, trace: Trace) -> dict[str, Any]:
        with self._lock:
            hops = [asdict(h) for h in _ordered(trace.hops)]
        return {"trace_id": trace.trace_id, "message_ids": sorted(trace.message_ids), "hops": hops,
                "mermaid": mermaid(trace)}


def _ordered(hops: list[Hop]) -> list[Hop]:
    return sorted(hops, key=lambda h: (h.ts, h.seq))


def _alias(name: str) -> str:
    return "".join(ch for ch in name.title() if ch.isalnum()) or "P"


def mermaid(trace: Trace) -> str:
    hops = _ordered(trace.hops)
    participants: list[str] = []
    for hop in hops:
        for name in (hop.source, hop.target):
            if name not in participants:
                participants.append(name)
    lines = ["sequenceDiagram"]
    aliases: dict[str, str] = {}
    for name in participants:
        alias = _alias(name)
        while alias in aliases.values():
            alias += "_"
        aliases[name] = alias
        lines.append(f"    participant {alias} as {name}" if alias != name else f"    participant {name}")
    for hop in hops:
        arrow = "-->>" if hop.kind == "response" else "--x" if hop.detail.get("error") else "->>"
        label = hop.label.replace(";", ",").replace("#", "")
        lines.append(f"    {aliases[hop.source]}{arrow}{aliases[hop.target]}: {label}")
    return "\n".join(lines)
