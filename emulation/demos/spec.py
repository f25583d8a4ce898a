"""The demo file: its format, loading and saving.

```json
{"name": "golf-booking", "title": "...", "summary": "one line for `rez demo list`",
 "start": {"rule": "next_monday"},          # or {"rule": "before_dst_start", "timezone": "America/New_York"}
 "llm": "recorded",                         # replay the recorded turns; or a scenario of fixtures/llm; or null
 "steps": [
   {"say": "Ask the agent for tee times",
    "chat": "tee times at Birdsfoot on ${day1} afternoon for 2",
    "expect": {"status": 200, "json": {"message": {"regex": "Tee Sheet ID: (?P<sheet>\\d+)"}}}},
   {"say": "Three days pass", "clock": "advance 3d"},
   {"say": "...", "api": {"method": "POST", "path": "/api/messages", "json": {...}},
    "expect": {"status": 201}, "save": {"message": "id"}},
   {"say": "...", "until": true, "api": {"path": "/api/messages/${message}"},
    "expect": {"json": {"status": "completed"}}}
 ],
 "look_at": ["rez trace ${message}"],
 "cleanup": [{"say": "delete the schedule", "api": {...}}],   # run at the end, even after a failure
 "recording": {...}}                         # written by `rez record`
```

Actions (one per step): ``api`` (the HTTP API as the demo user), ``chat`` (``POST /agent``, the
session carried in ``${session}``), ``clock`` (``advance <duration>``), ``fake`` (a fake's
control route, ``{"name": "ntfy", ...}``), ``control`` (the platform's control API), ``inbox``
(the ntfy messages received since the demo started). ``expect`` narrows the answer with ``find``
(the first item of a list matching ``where``) or ``collect`` (one field of every matching item),
then checks ``status``, ``json`` (dotted paths to a value or to ``{"gte"|"contains"|"regex": ...}``;
regex named groups become variables) and ``equals``. ``until`` retries the step until it holds.
Variables: ``${day0}`` .. ``${day13}`` (the start day and the days after it, ``YYYY-MM-DD``),
``${start}``, and whatever earlier steps saved or captured.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ACTIONS = ("api", "chat", "clock", "fake", "control", "inbox")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Start(_Strict):
    rule: Literal["next_monday", "before_dst_start"] = "next_monday"
    timezone: str | None = None


class Call(_Strict):
    method: str = "GET"
    path: str
    json_body: Any = Field(default=None, alias="json")
    params: dict[str, Any] | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FakeCall(Call):
    name: str


class Selection(_Strict):
    where: dict[str, Any] = Field(default_factory=dict)
    in_: str = Field(default="", alias="in")
    field: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Expect(_Strict):
    status: int | None = None
    find: Selection | None = None
    collect: Selection | None = None
    json_checks: dict[str, Any] = Field(default_factory=dict, alias="json")
    equals: Any = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Step(_Strict):
    say: str
    api: Call | None = None
    chat: str | None = None
    clock: str | None = None
    fake: FakeCall | None = None
    control: Call | None = None
    inbox: dict[str, Any] | None = None
    expect: Expect | None = None
    save: dict[str, str] = Field(default_factory=dict)
    until: bool = False
    timeout: float = 30.0

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a step has exactly one of {', '.join(ACTIONS)}; this one has {given or 'none'}")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class Recording(_Strict):
    start: datetime
    recorded_at: str = ""
    llm_backend: str | None = None
    scenario: dict[str, Any] | None = None
    exchanges: list[list[str]] = Field(default_factory=list)


class Demo(_Strict):
    name: str
    title: str
    summary: str
    description: str = ""
    start: Start = Field(default_factory=Start)
    llm: str | None = None
    steps: list[Step] = Field(min_length=1)
    look_at: list[str] = Field(default_factory=list)
    cleanup: list[Step] = Field(default_factory=list)
    recording: Recording | None = None


def load_demo(path: Path) -> Demo:
    if not path.is_file():
        from emulation.demos import demo_names

        raise FileNotFoundError(f"no demo {path.stem!r} (have: {', '.join(demo_names(path.parent)) or 'none'})")
    return Demo.model_validate(json.loads(path.read_text(encoding="utf-8")))


def save_recording(path: Path, recording: Recording) -> None:
    """Replace the file's recording, keeping the rest of it as its author wrote it."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["recording"] = recording.model_dump(mode="json", exclude_none=True)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
