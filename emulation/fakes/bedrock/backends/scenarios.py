"""Scenario files of the scripted backend: their format, loading, and recording.

The format is described in ``scripted.py``. ``scenario_from_calls`` turns the calls recorded by
the app (``GET /_fake/bedrock/calls/scenario``) into such a file, so a conversation held with the
intent or Ollama backend can be replayed deterministically.

LIMITATIONS: recorded turns match the exact last user text, and any tool result; edit the file
to loosen them (regexes, captures).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..wire import ConverseRequest, StopReason

DEFAULT_SCENARIO_DIR = Path(__file__).resolve().parents[4] / "fixtures" / "llm"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Match(_Strict):
    user_contains: str | None = None
    user_regex: str | None = None
    tool_result_contains: str | None = None
    tool_result_regex: str | None = None
    system_contains: str | None = None
    tools_include: list[str] | None = None


class ToolCall(_Strict):
    name: str
    input: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class ErrorSpec(_Strict):
    code: str
    message: str = "Scripted error"


class Turn(_Strict):
    match: Match | None = None
    text: str | None = None
    tool_use: list[ToolCall] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    error: ErrorSpec | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        answers = bool(self.text) or bool(self.tool_use)
        if answers == (self.error is not None):
            raise ValueError("a turn needs either text/tool_use or error (not both, not neither)")
        return self


class Scenario(_Strict):
    name: str
    description: str = ""
    turns: list[Turn] = Field(min_length=1)


def load_scenarios(paths: str | Path | Iterable[str | Path] | None) -> dict[str, Scenario]:
    """Load scenario files/directories; duplicate names and missing paths are errors."""
    if paths is None:
        paths = [DEFAULT_SCENARIO_DIR]
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.json"))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"scenario path not found: {p}")
    scenarios: dict[str, Scenario] = {}
    for f in files:
        raw = json.loads(f.read_text(encoding="utf-8"))
        items = raw if isinstance(raw, list) else raw.get("scenarios", [raw])
        for item in items:
            sc = Scenario.model_validate({"name": f.stem, **item} if len(items) == 1 else item)
            if sc.name in scenarios:
                raise ValueError(f"duplicate scenario name {sc.name!r} (in {f})")
            scenarios[sc.name] = sc
    return scenarios


def scenario_from_calls(name: str, calls: list[dict[str, Any]], description: str = "") -> dict[str, Any]:
    """A scenario (as JSON data) replaying the successful Converse calls recorded by the app.

    Each turn matches the exact last user text, or "some tool result" when the call answered
    tool results, and replays the recorded content with the original tool use ids.
    """
    turns: list[dict[str, Any]] = []
    for call in calls:
        response, body = call.get("response"), call.get("request")
        if not response or not isinstance(body, dict):
            continue
        request = ConverseRequest.model_validate(body)
        match = (
            {"tool_result_regex": "(?s)."}
            if request.last_tool_results()
            else {"user_contains": request.last_user_text()}
        )
        turn: dict[str, Any] = {"match": match, "stop_reason": response["stopReason"]}
        content = response["output"]["message"]["content"]
        text = "\n".join(b["text"] for b in content if "text" in b)
        if text:
            turn["text"] = text
        uses = [b["toolUse"] for b in content if "toolUse" in b]
        if uses:
            turn["tool_use"] = [{"name": u["name"], "input": u["input"], "id": u["toolUseId"]} for u in uses]
        turns.append(turn)
    return {
        "name": name,
        "description": description or f"recorded from {len(turns)} Converse calls",
        "turns": turns,
    }
