"""The exchanges a demo step causes, as comparable lines, and the comparison with a recording.

Two sources, both read over HTTP from the running stack:

* the platform's traces: every HTTP call a function made to the outside world (the fakes, or the
  real services when the stack is configured for them) — who called whom, method, path, status;
* the Bedrock stand-in's call log: each model turn — what the model was given last (the user's
  text or the tool results) and what it answered (text, tool calls with their inputs).

Lines are redacted and normalised (``redact.py``) so they hold no secret and do not change from
run to run: ids, tokens and trace ids are masked, dates are shifted to the run's start.

LIMITATIONS: bodies of HTTP exchanges are not recorded (the traces carry method, path and status
only), so a fake answering the same status with different content shows up only through what the
model was given or through a step's expectations. HTTP lines are compared as a sorted list per
step (concurrent work has no stable order); model turns in their order.
"""

from __future__ import annotations

import difflib
import json
import time
from typing import Any

import httpx

from emulation.demos.context import DemoError
from emulation.demos.platform import Platform
from emulation.demos.redact import normalise, redact

_API_ONLY = {"Client", "API Gateway", "WebAPI Lambda", "DynamoDB"}


class ExchangeWatch:
    """Collects what happened since the last call of ``take``."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._seen: set[int] = set()
        self._counts: dict[str, int] = {}
        self._watched: set[str] = set()
        self._bedrock_seq = 0
        self.raw_calls: list[dict[str, Any]] = []
        self.settle()  # what happened before the demo is not part of it
        self.raw_calls.clear()

    def take(self) -> list[str]:
        return self._model_turns() + sorted(self._http_hops())

    def settle(self, quiet: float = 1.5, limit: float = 30.0) -> list[str]:
        """What arrives until nothing has for ``quiet`` seconds: work still finishing (an alert, a retry)."""
        lines, calm_since, deadline = [], time.monotonic(), time.monotonic() + limit
        while time.monotonic() - calm_since < quiet and time.monotonic() < deadline:
            time.sleep(0.25)
            more = self.take()
            if more:
                lines += more
                calm_since = time.monotonic()
        return lines

    def _http_hops(self) -> list[str]:
        # The control API lists only the latest traces, and every API request (each poll of a step
        # that waits) starts one: a trace that goes on through queues and functions is watched
        # until the end, even after it has left that list. A clock jump can start many traces at
        # once (every schedule occurrence is one), hence the long list.
        listed = self._platform.control.get("/_rez/traces", params={"limit": 1000}).json()["traces"]
        changed = {e["trace_id"] for e in listed
                   if self._counts.get(e["trace_id"]) != e["hops"]}
        lines = []
        for trace_id in sorted(changed | self._watched):
            found = self._platform.control.get(f"/_rez/traces/{trace_id}")
            if found.status_code != 200:
                continue
            hops = found.json()["hops"]
            self._counts[trace_id] = len(hops)
            if any({h["source"], h["target"]} - _API_ONLY for h in hops):
                self._watched.add(trace_id)
            for hop in hops:
                if hop["seq"] in self._seen:
                    continue
                self._seen.add(hop["seq"])
                if hop["kind"] == "http" and hop["source"] != "Client":  # the demo's own requests are its steps
                    status = hop["detail"].get("status") or hop["detail"].get("error") or "no answer"
                    lines.append(normalise(f"{hop['source']} -> {hop['target']}: {hop['label']} -> {status}"))
        return lines

    def _model_turns(self) -> list[str]:
        calls = httpx.get(f"{self._platform.bedrock}/_fake/bedrock/calls", params={"since": self._bedrock_seq},
                          timeout=30).json()["calls"]
        lines = []
        for call in calls:
            self._bedrock_seq = max(self._bedrock_seq, call["seq"])
            self.raw_calls.append(call)
            lines += turn_lines(call)
        return lines


def turn_lines(call: dict[str, Any]) -> list[str]:
    request = call.get("request") if isinstance(call.get("request"), dict) else {}
    messages = request.get("messages") or [{}]
    last = messages[-1].get("content") or []
    given = [f"tool result: {_result_text(b['toolResult'])}" for b in last if "toolResult" in b] \
        or [f"user: {b['text']}" for b in last if "text" in b]
    lines = [_clip(normalise(f"model <- {g}")) for g in given]
    if "error" in call:
        return [*lines, normalise(f"model -> error {call['error']['code']}")]
    for block in call["response"]["output"]["message"]["content"]:
        if "toolUse" in block:
            use = block["toolUse"]
            lines.append(normalise(f"model -> {use['name']} {json.dumps(redact(use['input']), sort_keys=True)}"))
        elif block.get("text"):
            lines.append(normalise(f"model -> text: {block['text']}"))
    return lines


def _result_text(result: dict[str, Any]) -> str:
    parts = [c.get("text") or json.dumps(c.get("json"), sort_keys=True) for c in result.get("content", [])]
    return " ".join(" ".join(parts).split())


def _clip(text: str, n: int = 800) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _window(was: str, now: str, width: int = 90) -> tuple[str, str]:
    """Both lines from a little before where they first differ."""
    at = next((i for i, (a, b) in enumerate(zip(was, now, strict=False)) if a != b), min(len(was), len(now)))
    start = max(0, at - 30)

    def cut(line: str) -> str:
        return ("…" if start else "") + line[start:start + width] + ("…" if len(line) > start + width else "")
    return cut(was), cut(now)


class Divergence(DemoError):
    """The replay did something else than the recording; the message shows the first difference."""


class Comparison:
    """Replayed exchanges held against a recording, step by step.

    Model turns must come in the recorded order. HTTP exchanges must each match a recorded one not
    yet matched: work a step started asynchronously may be seen during the next step, so they are
    matched against the whole recording, and at the end nothing recorded may be left over.
    """

    def __init__(self, recorded: list[list[str]]) -> None:
        self._steps = recorded
        self._model = [line for step in recorded for line in step if line.startswith("model ")]
        self._http = [line for step in recorded for line in step if not line.startswith("model ")]
        self._model_at = 0

    def check(self, step_no: int, say: str, replayed: list[str]) -> None:
        for line in replayed:
            if line.startswith("model "):
                expected = self._model[self._model_at] if self._model_at < len(self._model) else "(nothing more)"
                if line != expected:
                    raise self._diverged(step_no, say, expected, line)
                self._model_at += 1
            elif line in self._http:
                self._http.remove(line)
            else:
                close = difflib.get_close_matches(line, self._http, n=1, cutoff=0.5)
                raise self._diverged(step_no, say, close[0] if close else "(no such exchange)", line)

    def finish(self) -> None:
        left = self._model[self._model_at:] + self._http
        if left:
            raise Divergence("the replay ended without these recorded exchanges:\n  " + "\n  ".join(left[:10]))

    def _diverged(self, step_no: int, say: str, was: str, now: str) -> Divergence:
        recorded = self._steps[step_no - 1] if step_no - 1 < len(self._steps) else []
        short_was, short_now = _window(was, now)
        return Divergence(f"step {step_no} ({say}) diverged from the recording; the first difference:\n"
                          f"  recorded: {short_was}\n  replayed: {short_now}\n"
                          f"whole exchange:\n  recorded: {was}\n  replayed: {now}\n"
                          f"(step {step_no} recorded {len(recorded)} exchange(s))")
