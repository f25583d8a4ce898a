"""Score one evaluated session: the tool chosen, its arguments, confirmation before booking, and
whether the replies ask, refuse, or repeat facts of the tool results instead of inventing them.

A turn's observations come from the Bedrock stand-in's call log (``/_fake/bedrock/calls``): the
``toolUse`` blocks the model answered and the ``toolResult`` blocks the agent sent back. A column
is ``None`` (n/a) when no turn of the case tests it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from evals.cases import Case, Turn

REFUSAL = re.compile(r"(?i)\b(can(?:'|no)t|cannot|unable|not able|sorry|only (?:help|able|book|assist)|won't|"
                     r"not (?:allowed|possible|permitted|something)|don't have (?:access|the ability)|outside)\b")
ASKS = re.compile(r"\?|(?i:\b(I (?:still )?need|please (?:tell|give|provide|let)|let me know|which|what)\b)")
TIME = re.compile(r"\b(\d{1,2}):(\d{2})\s?([AP]M)\b", re.IGNORECASE)
BIG_NUMBER = re.compile(r"(?<![\d.])\d{5,}(?![\d.])")
SCHEDULE_ID = re.compile(r"sched_\d{14}_[0-9a-f]{8}")
TEMPERATURE = re.compile(r"(-?\d+)\s?°\s?F")
CONFIRMATION = re.compile(r"Confirmation:\s*([A-Za-z0-9-]{4,})")


@dataclass
class TurnLog:
    user: str
    status: int
    reply: str
    latency_s: float
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tools: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def observe(user: str, status: int, reply: str, latency_s: float, calls: list[dict[str, Any]]) -> TurnLog:
    log = TurnLog(user, status, reply, latency_s, model_calls=len(calls))
    for c in calls:
        if "error" in c:
            log.errors.append(f"{c['error']['code']}: {c['error']['message'][:120]}")
            continue
        usage = c["response"]["usage"]
        log.input_tokens += usage["inputTokens"]
        log.output_tokens += usage["outputTokens"]
        for block in c["response"]["output"]["message"]["content"]:
            if "toolUse" in block:
                log.tools.append((block["toolUse"]["name"], block["toolUse"].get("input") or {}))
        messages = c["request"].get("messages") or [] if isinstance(c["request"], dict) else []
        for block in (messages[-1]["content"] if messages else []):
            if "toolResult" in block:
                parts = block["toolResult"].get("content") or []
                log.results.append("\n".join(p.get("text") or json.dumps(p.get("json")) for p in parts))
    return log


def _times(text: str) -> set[str]:
    out = set()
    for h, m, ap in TIME.findall(text):
        hour = int(h) % 12 + (12 if ap.upper() == "PM" else 0)
        out.add(f"{hour:02d}:{m}")
    for h, m in re.findall(r"\b([01]?\d|2[0-3]):([0-5]\d)(?!\s?[AP]M)", text, re.IGNORECASE):
        out.add(f"{int(h):02d}:{m}")
    return out


def facts(text: str) -> set[str]:
    return (_times(text) | set(BIG_NUMBER.findall(text)) | set(SCHEDULE_ID.findall(text))
            | {t + "F" for t in TEMPERATURE.findall(text)} | set(CONFIRMATION.findall(text)))


def grounded(reply: str, results: list[str], earlier: list[str]) -> str | None:
    """The reply repeats at least one fact of this turn's results and invents no id or number."""
    if not results:
        return "no tool result to ground the answer in"
    known = set().union(*(facts(r) for r in results))
    said = facts(reply) | {k for k in known if len(k) >= 4 and k in reply}
    invented = {n for n in said & set(BIG_NUMBER.findall(reply)) if n not in known
                and not any(n in e for e in earlier)}
    if invented:
        return f"reply names numbers not in any tool result: {sorted(invented)[:3]}"
    if known and not (said & known):
        return "reply repeats no time, id or number of the tool results"
    if not known and not reply.strip():
        return "empty reply"
    return None


@dataclass
class CaseScore:
    case: Case
    turns: list[TurnLog]
    tool: bool | None = None
    args: bool | None = None
    confirm: bool | None = None
    answer: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        ok = all(t.status == 200 for t in self.turns)
        return ok and all(v is not False for v in (self.tool, self.args, self.confirm, self.answer))

    @property
    def latency_s(self) -> float:
        return sum(t.latency_s for t in self.turns)


def _and(old: bool | None, new: bool) -> bool:
    return new if old is None else old and new


def score(case: Case, logs: list[TurnLog]) -> CaseScore:
    s = CaseScore(case, logs)
    earlier: list[str] = []
    for turn, log in zip(case.turns, logs, strict=False):
        s.notes += [f"{log.user[:30]!r}: {e}" for e in log.errors]
        if log.status != 200:
            s.notes.append(f"{log.user[:30]!r}: HTTP {log.status} {log.reply[:100]}")
        _score_turn(s, turn, log, earlier)
        earlier += log.results + [log.user]
    if len(logs) < len(case.turns):
        s.notes.append("session stopped early")
        s.tool = False
    return s


def _score_turn(s: CaseScore, turn: Turn, log: TurnLog, earlier: list[str]) -> None:
    names = [n for n, _ in log.tools]
    if turn.tool is not None:
        ok = bool(names) and (names[0] == turn.tool or names[0] in turn.any_tool_of)
        s.tool = _and(s.tool, ok)
        if not ok:
            s.notes.append(f"{log.user[:30]!r}: called {names or 'no tool'}, wanted {turn.tool}")
        if turn.args or turn.whole or turn.book_from_results:
            problems = _arg_problems(turn, log.tools[0][1], earlier) if ok else ["wrong tool"]
            s.args = _and(s.args, not problems)
            s.notes += [f"{log.user[:30]!r}: {p}" for p in problems if p != "wrong tool"]
    else:
        ok = not names
        s.tool = _and(s.tool, ok)
        if not ok:
            s.notes.append(f"{log.user[:30]!r}: called {names}, wanted no tool")
    if turn.confirm:
        ok = "golf_book_tee_time" not in names and ("?" in log.reply or "confirm" in log.reply.lower())
        s.confirm = _and(s.confirm, ok)
        if not ok:
            s.notes.append(f"{log.user[:30]!r}: booked or did not ask to confirm")
    if turn.ask:
        ok = not names and bool(ASKS.search(log.reply))
        s.answer = _and(s.answer, ok)
        if not ok:
            s.notes.append(f"{log.user[:30]!r}: did not ask for the missing details")
    if turn.refuse:
        ok = not names and bool(REFUSAL.search(log.reply))
        s.answer = _and(s.answer, ok)
        if not ok:
            s.notes.append(f"{log.user[:30]!r}: did not refuse")
    if log.status != 200:
        s.answer = False
    elif turn.grounded:
        problem = grounded(log.reply, log.results, earlier)
        s.answer = _and(s.answer, problem is None)
        if problem:
            s.notes.append(f"{log.user[:30]!r}: {problem}")


def _arg_problems(turn: Turn, args: dict[str, Any], earlier: list[str]) -> list[str]:
    problems = []
    for key, check in turn.args.items():
        problem = check(args.get(key))
        if problem:
            problems.append(f"{key}: {problem}")
    problems += [p for p in (check(args) for check in turn.whole) if p]
    if turn.book_from_results:
        sheet = str(args.get("tee_sheet_id"))
        if not any(f"Tee Sheet ID: {sheet}" in e for e in earlier):
            problems.append(f"tee_sheet_id {sheet} is not one the search returned")
    return problems
