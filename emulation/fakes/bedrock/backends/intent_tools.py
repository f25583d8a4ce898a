"""What the intent backend says (questions it recognises later) and how it fills tool arguments.

The clarifying questions start with fixed phrases so that the next turn can tell which request
the user's answer belongs to; the booking question embeds every booking argument so that "yes"
can be turned into golf_book_tee_time from the conversation alone.

LIMITATIONS: schema fitting handles flat JSON-schema ``properties`` with ``type``, ``enum`` and
``default``; nested schemas, ``anyOf`` and formats are not checked.
"""

from __future__ import annotations

import re
from typing import Any

from ..wire import ToolSpec
from .intent_domain import short_name, titles

ASK_SEARCH = "To search for tee times I still need"
ASK_WEATHER = "To get the forecast I need"
ASK_NOTIFY = "What should the notification say?"
ASK_DELETE = "Which schedule should I delete?"
ASK_SCHEDULE = "To create the schedule I still need"
QUESTIONS = {
    ASK_SEARCH: "search",
    ASK_WEATHER: "weather",
    ASK_NOTIFY: "notify",
    ASK_DELETE: "delete_schedule",
    ASK_SCHEDULE: "create_schedule",
}
BOOK_QUESTION = re.compile(
    r"Shall I book the (?P<time>\d{1,2}:\d{2} [AP]M) tee time(?: on (?P<date>[^()]+?))? at (?P<course>.+?) "
    r"\(Tee Sheet ID: (?P<id>\d+)\) for (?P<n>\d) players?\?"
)
NO_NOW = (
    "I can't work out dates: the system prompt has no current date and time "
    "(expected a line like 'Current date and time: 2026-11-28 14:03:00 UTC')."
)
# How to ask for each tool; the tool's title comes from its MCP spec, the course names from courses.json.
_EXAMPLES = {
    "golf_search_tee_times": '"tee times at {a} tomorrow afternoon for 2"',
    "golf_book_tee_time": '"book the second one" (after a search)',
    "golf_get_reservations": '"my reservations at {b}"',
    "get_weather": '"check the weather at {b} this weekend"',
    "send_notification": '"notify me that I leave at 8"',
    "list_schedules": '"list my schedules"',
    "create_schedule": '"every day at 7am check the weather at {b}"',
    "delete_schedule": '"delete schedule sched_123"',
}


def capabilities(courses: list[str]) -> list[tuple[str, str]]:
    """(tool name, "<title> — e.g. <example>") for every MCP tool, in spec order."""
    a, b = short_name(courses[0]), short_name(courses[-1])
    return [(name, f"{title} — e.g. {_EXAMPLES.get(name, repr(title)).format(a=a, b=b)}")
            for name, title in titles().items()]


def fit_arguments(spec: ToolSpec, args: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Fit candidate arguments to a JSON schema: (arguments, required properties still missing)."""
    schema = spec.inputSchema.json_
    props: dict[str, Any] = schema.get("properties") or {}
    if not props:
        return {k: v for k, v in args.items() if v is not None}, []
    out: dict[str, Any] = {}
    for key, value in args.items():
        prop = props.get(key)
        if value is None or prop is None:
            continue
        kind = prop.get("type")
        try:
            value = {"integer": int, "number": float, "string": str, "boolean": bool}.get(kind, lambda v: v)(
                value
            )
        except (TypeError, ValueError):
            continue
        if "enum" in prop and value not in prop["enum"]:
            continue
        out[key] = value
    for key in schema.get("required", []):
        if key not in out and key in props and "default" in props[key]:
            out[key] = props[key]["default"]
    return out, [k for k in schema.get("required", []) if k not in out]
