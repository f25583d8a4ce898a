"""What the intent backend knows about the domain, derived from the sources the services use.

Course names, ids and aliases come from ``services/core/courses.json`` (``load_courses``); tool
names, titles, argument limits (players 1-4, forecast days 1-7, schedule statuses, the schedule
id pattern, target types) come from the MCP tool specs (``services/mcp/tool_specs.py``). Adding a
course or changing a limit there changes what this backend understands and asks, with no copy to
keep in sync. At run time the backend still fits every call to the schemas the agent actually
offers in ``toolConfig`` (``intent_tools.fit_arguments``).

Aliases of a course: its full name, the name without a trailing "Golf Course"/"Golf Club"/
"Country Club", and that name's first word when it is distinctive (not shared by another course).
``find_course`` also matches ignoring spaces and apostrophes, so "bird's foot" finds Birdsfoot.

LIMITATIONS: alias rules are English and name-based; a course known by a nickname that is not
part of its name is not recognised.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from services.core.courses import load_courses
from services.mcp.tool_specs import GRID, SCHEDULE_ID, ToolSpec, tool_specs

_SUFFIX = re.compile(r"\s+(golf course|golf club|country club|golf links|gc)$", re.IGNORECASE)


@lru_cache(maxsize=1)
def specs() -> dict[str, ToolSpec]:
    return {s.name: s for s in tool_specs([c.name for c in load_courses()])}


def prop(tool: str, name: str) -> dict[str, Any]:
    return specs()[tool].input_schema["properties"][name]


def course_ids() -> dict[str, int]:
    return {c.name: c.id for c in load_courses()}


def course_names() -> list[str]:
    return [c.name for c in load_courses()]


def course_aliases() -> dict[str, str]:
    """alias (lower case) -> course name, longest first."""
    names = course_names()
    firsts = [_SUFFIX.sub("", n).split()[0].lower() for n in names]
    out: dict[str, str] = {}
    for name, first in zip(names, firsts, strict=True):
        short = _SUFFIX.sub("", name).lower()
        out[name.lower()] = name
        out[short] = name
        if firsts.count(first) == 1 and len(first) >= 4:
            out[first] = name
    return dict(sorted(out.items(), key=lambda kv: -len(kv[0])))


def short_name(course: str) -> str:
    return _SUFFIX.sub("", course)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_course(text: str, aliases: dict[str, str]) -> str | None:
    t = text.lower()
    for alias in sorted(aliases, key=len, reverse=True):
        if re.search(rf"\b{re.escape(alias)}\b", t):
            return aliases[alias]
    squashed = _squash(t)
    for alias in sorted(aliases, key=len, reverse=True):
        if len(_squash(alias)) >= 6 and _squash(alias) in squashed:
            return aliases[alias]
    return None


def max_players() -> int:
    return int(prop("golf_search_tee_times", "num_players")["maximum"])


def forecast_days() -> tuple[int, int, int]:
    """(minimum, maximum, default) forecast days of get_weather."""
    p = prop("get_weather", "days")
    return int(p["minimum"]), int(p["maximum"]), int(p["default"])


def schedule_statuses() -> list[str]:
    return [s for s in prop("list_schedules", "status")["enum"] if s != "all"]


def schedule_id_pattern() -> str:
    """The schedule id pattern without anchors, to find ids inside text."""
    return SCHEDULE_ID.strip("^$")


def titles() -> dict[str, str]:
    return {name: s.title for name, s in specs().items()}


# requests no tool here may serve: other people's data, secrets, other kinds of booking
_OUT_OF_SCOPE = re.compile(
    r"\b(flights?|hotels?|rental cars?|passwords?|api ?keys?|secrets?|credentials?|tokens?)\b"
    r"|\b(other|every other|everyone else'?s?|all the other)\s+(users?|golfers?|people|players?)\b",
    re.IGNORECASE)
_NO_CONFIRM = re.compile(r"\b(don'?t|do not|without|no need to)\s+(ask|confirm|check with)\w*", re.IGNORECASE)


def out_of_scope(text: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(text))


def refusal() -> str:
    return ("Sorry, I can't help with that. I only act on your own golf account, with these tools: "
            + ", ".join(t.lower() for t in titles().values()) + ".")


def wants_auto_book(text: str) -> bool:
    """The user explicitly asked to book without confirming (golf_search_tee_times' auto_book)."""
    return bool(_NO_CONFIRM.search(text)) and bool(re.search(r"\bbook\b", text, re.IGNORECASE))


def find_grid(text: str) -> str | None:
    m = re.search(GRID.strip("^$"), text)
    return m.group(0) if m else None
