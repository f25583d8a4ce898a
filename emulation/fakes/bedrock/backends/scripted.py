"""Scripted backend: replays the turns of a named scenario and checks the conversation follows it.

Scenario file (JSON, in ``fixtures/llm/`` by default): either one scenario object, or
``{"scenarios": [...]}``, or a list of scenario objects::

    {"name": "golf_booking",                      # defaults to the file stem
     "description": "search, then answer",
     "turns": [
       {"match": {"user_contains": "tee times"},  # optional checks on the incoming request
        "tool_use": [{"name": "golf_search_tee_times", "input": {"course_name": "Totteridge"}}]},
       {"match": {"tool_result_regex": "Tee Sheet ID: (?P<sheet>\\\\d+)"},
        "text": "The first slot has tee sheet ${sheet}."},
       {"error": {"code": "ThrottlingException", "message": "Too many requests"}}
     ]}

A turn answers with ``text`` and/or ``tool_use`` (``stop_reason`` defaults to ``tool_use`` when
tools are called, else ``end_turn``) or raises ``error`` (any Bedrock error code). Matchers:
``user_contains`` / ``user_regex`` (the last human text), ``tool_result_contains`` /
``tool_result_regex`` (tool results in the final message; required to be present),
``system_contains``, ``tools_include`` (names that must be offered in toolConfig). ``*_contains``
is case-insensitive; regexes use ``re.search`` as written. Named regex groups are remembered for
the rest of the run and substituted as ``${name}`` in later text and tool inputs (a value that is
exactly ``${name}`` becomes the JSON value of the capture, so ``"${sheet}"`` → ``12345``).

Selection, first match wins: a ``[scenario: NAME]`` marker in the system prompt; the scenario
chosen with ``POST /_fake/bedrock/scenario``; the ``default`` option; the only scenario loaded.
Each scenario has its own cursor, so parallel sessions using different scenarios do not interfere.

LIMITATIONS:
* Two sessions replaying the *same* scenario at once share its cursor.
* A divergence or an exhausted script is a ValidationException naming the turn; the cursor does
  not advance, so the run has to be reset (``POST /_fake/reset``).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from ..wire import (
    BedrockError,
    ContentBlock,
    ConverseRequest,
    ModelTurn,
    ToolUseBlock,
    ValidationException,
)
from .scenarios import Match, Scenario, Turn, load_scenarios

MARKER = re.compile(r"\[scenario:\s*([A-Za-z0-9_.-]+)\s*\]", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _substitute(value: Any, captures: dict[str, str]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in captures:
            try:
                return json.loads(captures[whole.group(1)])
            except ValueError:
                return captures[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: captures.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _substitute(v, captures) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, captures) for v in value]
    return value


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class _Run:
    def __init__(self) -> None:
        self.cursor = 0
        self.captures: dict[str, str] = {}


class ScriptedBackend:
    """Deterministic replay of scenario turns (see module docstring)."""

    name = "scripted"

    def __init__(self, scenarios: dict[str, Scenario], *, default: str | None = None) -> None:
        if default is not None and default not in scenarios:
            raise ValueError(f"default scenario {default!r} not loaded; have {sorted(scenarios)}")
        self._scenarios = scenarios
        self._default = default
        self._selected: str | None = None
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_paths(cls, paths: Any = None, *, default: str | None = None) -> ScriptedBackend:
        return cls(load_scenarios(paths), default=default)

    # -- control
    def scenario_names(self) -> list[str]:
        return sorted(self._scenarios)

    def select_scenario(self, name: str) -> None:
        if name not in self._scenarios:
            raise ValidationException(f"unknown scenario {name!r}; loaded: {self.scenario_names()}")
        with self._lock:
            self._selected = name
            self._runs.pop(name, None)

    def reset(self) -> None:
        with self._lock:
            self._selected = None
            self._runs.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "ok": True,
                "scenarios": self.scenario_names(),
                "selected": self._selected,
                "default": self._default,
                "cursors": {k: r.cursor for k, r in self._runs.items()},
            }

    # -- model
    def _pick(self, request: ConverseRequest) -> str:
        marker = MARKER.search(request.system_text())
        if marker:
            name = marker.group(1)
            if name not in self._scenarios:
                raise ValidationException(
                    f"system prompt selects unknown scenario {name!r}; loaded: {self.scenario_names()}"
                )
            return name
        for name in (self._selected, self._default):
            if name:
                return name
        if len(self._scenarios) == 1:
            return next(iter(self._scenarios))
        raise ValidationException(
            "scripted backend: no scenario selected; put '[scenario: NAME]' in the system prompt or "
            f"POST /_fake/bedrock/scenario. Loaded: {self.scenario_names()}"
        )

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        with self._lock:
            name = self._pick(request)
            scenario = self._scenarios[name]
            run = self._runs.setdefault(name, _Run())
            if run.cursor >= len(scenario.turns):
                raise ValidationException(
                    f"scripted scenario {name!r} is exhausted: it has {len(scenario.turns)} turns and this "
                    f"is call {run.cursor + 1} (last user text: {_short(request.last_user_text())!r})"
                )
            turn = scenario.turns[run.cursor]
            captures = dict(run.captures)
            problem = self._check(turn.match, request, captures)
            if problem:
                raise ValidationException(
                    f"scripted scenario {name!r} diverged at turn {run.cursor + 1} of "
                    f"{len(scenario.turns)}: {problem}"
                )
            index = run.cursor
            run.cursor += 1
            run.captures = captures
        if turn.error is not None:
            raise BedrockError(turn.error.message, code=turn.error.code)
        return self._answer(name, index, turn, captures)

    @staticmethod
    def _check(match: Match | None, request: ConverseRequest, captures: dict[str, str]) -> str | None:
        if match is None:
            return None
        user = request.last_user_text()
        if match.user_contains and match.user_contains.lower() not in user.lower():
            return f"expected the user to say {match.user_contains!r}, got {_short(user)!r}"
        if match.user_regex:
            m = re.search(match.user_regex, user)
            if not m:
                return f"expected the user text to match /{match.user_regex}/, got {_short(user)!r}"
            captures.update({k: v for k, v in m.groupdict().items() if v is not None})
        if match.tool_result_contains or match.tool_result_regex:
            results = request.last_tool_results()
            if not results:
                return f"expected a tool result, got user text {_short(user)!r}"
            text = "\n".join(r.as_text() for r in results)
            needle = match.tool_result_contains
            if needle and needle.lower() not in text.lower():
                return f"expected the tool result to contain {needle!r}, got {_short(text)!r}"
            if match.tool_result_regex:
                m = re.search(match.tool_result_regex, text)
                if not m:
                    return (
                        f"expected the tool result to match /{match.tool_result_regex}/, got {_short(text)!r}"
                    )
                captures.update({k: v for k, v in m.groupdict().items() if v is not None})
        system = request.system_text()
        if match.system_contains and match.system_contains.lower() not in system.lower():
            return f"expected the system prompt to contain {match.system_contains!r}"
        offered = {s.name for s in request.tool_specs()}
        missing = [t for t in (match.tools_include or []) if t not in offered]
        if missing:
            return f"expected tools {missing} to be offered, toolConfig has {sorted(offered)}"
        return None

    @staticmethod
    def _answer(name: str, index: int, turn: Turn, captures: dict[str, str]) -> ModelTurn:
        blocks: list[ContentBlock] = []
        if turn.text:
            blocks.append(ContentBlock(text=_substitute(turn.text, captures)))
        slug = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:30]
        for k, call in enumerate(turn.tool_use):
            use_id = call.id or f"tooluse_{slug}_{index + 1}_{k + 1}"
            blocks.append(
                ContentBlock(
                    toolUse=ToolUseBlock(
                        toolUseId=use_id, name=call.name, input=_substitute(call.input, captures)
                    )
                )
            )
        reason = turn.stop_reason or ("tool_use" if turn.tool_use else "end_turn")
        return ModelTurn(content=blocks, stop_reason=reason)
