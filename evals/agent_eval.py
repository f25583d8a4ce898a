"""``make eval-agent``: run the evaluation set through the whole agent on every available backend.

One local stack (clock frozen at ``evals.cases.NOW``) serves every run: each case is a fresh
session of ``POST /agent`` calls through the HTTP API, the agent Lambda, ``ChatBedrockConverse``
and the MCP server, exactly as in production; only the Bedrock stand-in's backend is switched
between runs (``POST /_fake/bedrock/backend``). What the model did is read from the stand-in's
call log and scored by ``evals.scoring``.

Backends: ``intent`` and ``scripted`` always; ``local`` when ``make llm`` installed it;
``openai`` when ``REZ_EVAL_OPENAI_URL`` names an OpenAI-compatible server; ``ollama`` when one
answers on ``REZ_EVAL_OLLAMA_HOST`` (default 127.0.0.1:11434); ``bedrock`` (the real service,
through the ``aws`` pass-through backend) when AWS credentials are configured and
``REZ_EVAL_BEDROCK_MODEL`` is set. An unavailable backend is listed with the reason.

``python -m evals.agent_eval [--backends intent,local] [--cases id,...] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from evals.cases import CASES, NOW, Case
from evals.scoring import CaseScore, TurnLog, observe, score


@dataclass
class BackendRun:
    name: str
    options: dict[str, Any]
    skipped: str | None = None
    scores: list[CaseScore] | None = None
    seconds: float = 0.0
    warm_up_s: float | None = None


def available_backends() -> list[BackendRun]:
    from emulation.fakes.bedrock.backends.local_model import installation

    runs = [BackendRun("intent", {}), BackendRun("scripted", {"default": "agent_golf_booking"})]
    missing = installation().missing()
    runs.append(BackendRun("local", {}, skipped=missing))
    url = os.environ.get("REZ_EVAL_OPENAI_URL")
    runs.append(BackendRun("openai", {"base_url": url or ""},
                           skipped=None if url else "REZ_EVAL_OPENAI_URL is not set"))
    host = os.environ.get("REZ_EVAL_OLLAMA_HOST", "http://127.0.0.1:11434")
    try:
        httpx.get(f"{host}/api/tags", timeout=2).raise_for_status()
        runs.append(BackendRun("ollama", {"host": host, "model": os.environ.get("REZ_EVAL_OLLAMA_MODEL",
                                                                                  "qwen2.5:1.5b")}))
    except httpx.HTTPError:
        runs.append(BackendRun("ollama", {}, skipped=f"no Ollama server at {host} (none can be installed here)"))
    runs.append(_bedrock_run())
    return runs


def _bedrock_run() -> BackendRun:
    model = os.environ.get("REZ_EVAL_BEDROCK_MODEL")
    try:
        import boto3

        creds = boto3.Session().get_credentials()
    except Exception as e:  # a broken profile must not stop the other backends
        return BackendRun("bedrock", {}, skipped=f"AWS credentials unreadable: {e}")
    if creds is None:
        return BackendRun("bedrock", {}, skipped="no AWS credentials configured")
    if not model:
        return BackendRun("bedrock", {}, skipped="REZ_EVAL_BEDROCK_MODEL is not set (a Bedrock model id)")
    return BackendRun("aws", {"model": model, "region": os.environ.get("AWS_REGION", "us-east-1")})


class Session:
    def __init__(self, api: httpx.Client, bedrock: str) -> None:
        self.api, self.bedrock = api, bedrock

    def seq(self) -> int:
        calls = httpx.get(f"{self.bedrock}/_fake/bedrock/calls").json()["calls"]
        return calls[-1]["seq"] if calls else 0

    def run(self, case: Case) -> list[TurnLog]:
        httpx.post(f"{self.bedrock}/_fake/reset", timeout=30).raise_for_status()
        logs, session_id = [], None
        for turn in case.turns:
            seq = self.seq()
            body = {"message": turn.user, **({"session_id": session_id} if session_id else {})}
            started = time.perf_counter()
            r = self.api.post("/agent", json=body)
            took = time.perf_counter() - started
            data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            calls = httpx.get(f"{self.bedrock}/_fake/bedrock/calls", params={"since": seq}).json()["calls"]
            reply = data.get("message") or data.get("error") or r.text
            logs.append(observe(turn.user, r.status_code, str(reply), took, calls))
            session_id = data.get("session_id") or session_id
            if r.status_code != 200:
                break
        return logs


def warm_up_local(sample: dict[str, Any]) -> None:
    """Send the agent's request, as the local backend maps it, straight to the server (no 110 s limit)."""
    from emulation.fakes.bedrock.backends.local import LocalBackend
    from emulation.fakes.bedrock.backends.local_server import shared_server
    from emulation.fakes.bedrock.wire import parse_request

    server = shared_server()
    body = LocalBackend(base_url=server.base_url)._body(parse_request(json.dumps(sample).encode()))
    httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=1800).raise_for_status()


def _sample_request(api: httpx.Client, bedrock: str) -> dict[str, Any]:
    """One real Converse request of the agent (system prompt + tools), recorded on the intent backend."""
    httpx.post(f"{bedrock}/_fake/bedrock/backend", json={"name": "intent"}).raise_for_status()
    httpx.post(f"{bedrock}/_fake/reset").raise_for_status()
    api.post("/agent", json={"message": "hello"}).raise_for_status()
    return httpx.get(f"{bedrock}/_fake/bedrock/calls").json()["calls"][0]["request"]


def run(backends: list[BackendRun], cases: list[Case], progress=print) -> list[BackendRun]:
    from emulation.auth import PasswordGrantAuth
    from emulation.config import StackConfig
    from emulation.stack import Stack

    with tempfile.TemporaryDirectory(prefix="rez-eval-") as tmp:
        # a high cap: the cost limiter prices every backend's tokens as Claude's
        stack = Stack(StackConfig.for_tests(Path(tmp), frozen_at=NOW, agent_daily_cap_usd=10_000.0))
        stack.start()
        try:
            bedrock = stack.urls.fakes["bedrock"]
            auth = PasswordGrantAuth(f"{stack.urls.fakes['identity']}/identityapi")
            with httpx.Client(base_url=stack.urls.api, timeout=600, auth=auth) as api:
                session = Session(api, bedrock)
                sample = _sample_request(api, bedrock)
                for b in backends:
                    if b.skipped:
                        progress(f"[eval] {b.name}: skipped - {b.skipped}")
                        continue
                    r = httpx.post(f"{bedrock}/_fake/bedrock/backend", json={"name": b.name, "options": b.options},
                                   timeout=300)
                    if r.status_code != 200:
                        b.skipped = f"the stand-in refused it: {r.text[:300]}"
                        progress(f"[eval] {b.name}: skipped - {b.skipped}")
                        continue
                    if b.name == "local":
                        # the first call evaluates the whole ~2.3k-token prefix (minutes on a busy 2-core
                        # machine, past the agent's 120 s read timeout); later calls reuse it from the cache
                        started = time.perf_counter()
                        warm_up_local(sample)
                        b.warm_up_s = time.perf_counter() - started
                        progress(f"[eval] local: prompt cache warmed in {b.warm_up_s:.0f} s")
                    started, b.scores = time.perf_counter(), []
                    for k, case in enumerate(cases, 1):
                        result = score(case, session.run(case))
                        b.scores.append(result)
                        progress(f"[eval] {b.name} {k}/{len(cases)} {case.id}: "
                                 f"{'pass' if result.passed else 'FAIL'} ({result.latency_s:.1f} s)")
                    b.seconds = time.perf_counter() - started
        finally:
            stack.stop()
    return backends


def _mark(v: bool | None) -> str:
    return "n/a" if v is None else ("ok" if v else "FAIL")


def table(b: BackendRun) -> str:
    assert b.scores is not None
    rows = ["| case | category | tool | args | confirm | answer | pass | turns | latency s | model calls | "
            "tokens in/out |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in b.scores:
        rows.append(f"| {s.case.id} | {s.case.category} | {_mark(s.tool)} | {_mark(s.args)} | {_mark(s.confirm)} | "
                    f"{_mark(s.answer)} | {'PASS' if s.passed else 'fail'} | {len(s.turns)} | {s.latency_s:.1f} | "
                    f"{sum(t.model_calls for t in s.turns)} | {sum(t.input_tokens for t in s.turns)}/"
                    f"{sum(t.output_tokens for t in s.turns)} |")
    return "\n".join(rows)


def summary(b: BackendRun) -> str:
    assert b.scores is not None
    def rate(attr: str) -> str:
        vals = [getattr(s, attr) for s in b.scores if getattr(s, attr) is not None]
        return f"{sum(vals)}/{len(vals)}" if vals else "n/a"
    turns = [t for s in b.scores for t in s.turns]
    lat = [t.latency_s for t in turns]
    return (f"**{b.name}**: passed {sum(s.passed for s in b.scores)}/{len(b.scores)} cases; tool {rate('tool')}, "
            f"args {rate('args')}, confirm {rate('confirm')}, answer {rate('answer')}; "
            f"{len(turns)} agent turns, latency per turn median {statistics.median(lat):.2f} s, "
            f"max {max(lat):.2f} s; {sum(t.model_calls for t in turns)} model calls, tokens "
            f"{sum(t.input_tokens for t in turns)} in / {sum(t.output_tokens for t in turns)} out; "
            f"run {b.seconds:.0f} s" + (f"; first (cold) call {b.warm_up_s:.0f} s" if b.warm_up_s else ""))


def report(backends: list[BackendRun], details: bool = True) -> str:
    out = [f"# Agent evaluation ({len(CASES)} cases, clock frozen at {NOW:%Y-%m-%d %H:%M} UTC)", ""]
    for b in backends:
        if b.scores is None:
            out += [f"**{b.name}**: skipped - {b.skipped}", ""]
            continue
        out += [summary(b), "", table(b), ""]
        notes = [f"- {s.case.id}: " + "; ".join(s.notes) for s in b.scores if s.notes and not s.passed]
        if details and notes:
            out += ["Failures:", *notes, ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make eval-agent", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", help="comma-separated subset (default: every available one)")
    parser.add_argument("--cases", help="comma-separated case ids (default: all)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    backends = available_backends()
    if args.backends:
        wanted = args.backends.split(",")
        backends = [b for b in backends if b.name in wanted or (b.name == "aws" and "bedrock" in wanted)]
    cases = [c for c in CASES if not args.cases or c.id in args.cases.split(",")]
    run(backends, cases, progress=lambda m: print(m, file=sys.stderr, flush=True))
    text = report(backends)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps([{"backend": b.name, "skipped": b.skipped, "cases": [
            {"id": s.case.id, "passed": s.passed, "tool": s.tool, "args": s.args, "confirm": s.confirm,
             "answer": s.answer, "notes": s.notes, "turns": [t.__dict__ for t in s.turns]}
            for s in (b.scores or [])]} for b in backends], indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
