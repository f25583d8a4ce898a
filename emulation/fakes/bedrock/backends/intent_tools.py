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
CAPABILITIES = [
    ("golf_search_tee_times", 'search tee times — e.g. "tee times at Birdsfoot tomorrow afternoon for 2"'),
    ("golf_book_tee_time", 'book a time from the results — e.g. "book the second one"'),
    ("golf_get_reservations", 'show your reservations — e.g. "my reservations at Totteridge"'),
    ("get_weather", 'check the weather — e.g. "weather at Totteridge this weekend"'),
    ("send_notification", 'send you a push notification — e.g. "notify me that I leave at 8"'),
    ("list_schedules", 'list your schedules — "list my schedules"'),
    ("create_schedule", 'create a schedule — e.g. "every day at 7am check the weather at Totteridge"'),
    ("delete_schedule", 'delete a schedule — e.g. "delete schedule sched_123"'),
]


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
