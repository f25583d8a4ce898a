"""What each tool does, once its arguments passed the schema: map them onto the web-action,
notification and schedule code, and return the text the model reads.

Every failure raises: ``RezError`` (validation, not found, upstream...) becomes an MCP tool error
with its message; the server never invents a success text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.core.errors import ValidationError
from services.core.ntfy import PRIORITIES, Notification
from services.core.web_action_payload import parse_search_time
from services.mcp.actions import run_web_action
from services.mcp.deps import McpDeps
from services.mcp.schedule_tools import create_schedule, delete_schedule, list_schedules

DEFAULT_TITLE = "rez-agent"


def _course_id(args: dict[str, Any], deps: McpDeps) -> int:
    return deps.web.courses.by_name(args["course_name"]).id


def golf_search_tee_times(args: dict[str, Any], deps: McpDeps) -> str:
    start, end = parse_search_time(args["start_time"]), parse_search_time(args["end_time"])
    if end.date() != start.date():
        raise ValidationError.for_field("end_time", "must be on the same day as start_time (search one day per call)")
    payload: dict[str, Any] = {"action": "golf", "courseID": _course_id(args, deps),
                               "startSearchTime": args["start_time"], "endSearchTime": args["end_time"],
                               "numberOfPlayers": args["num_players"], "autoBook": args.get("auto_book", False)}
    if "max_results" in args:
        payload["maxResults"] = args["max_results"]
    return run_web_action(payload, "search_tee_times", deps)


def golf_book_tee_time(args: dict[str, Any], deps: McpDeps) -> str:
    payload = {"action": "golf", "courseID": _course_id(args, deps), "teeSheetID": args["tee_sheet_id"],
               "numberOfPlayers": args["num_players"]}
    return run_web_action(payload, "book_tee_time", deps)


def golf_get_reservations(args: dict[str, Any], deps: McpDeps) -> str:
    return run_web_action({"action": "golf", "courseID": _course_id(args, deps)}, "fetch_reservations", deps)


def get_weather(args: dict[str, Any], deps: McpDeps) -> str:
    if ("course_name" in args) == ("grid" in args):
        raise ValidationError.for_field("course_name", "give exactly one of course_name or grid")
    payload: dict[str, Any] = {"action": "weather", "days": args.get("days", 2)}
    if "course_name" in args:
        payload["courseID"] = _course_id(args, deps)
    else:
        payload["gridpoint"] = args["grid"]
    return run_web_action(payload, "get_weather", deps)


def send_notification(args: dict[str, Any], deps: McpDeps) -> str:
    message = args["message"].strip()
    if not message:
        raise ValidationError.for_field("message", "must not be blank")
    title = (args.get("title") or "").strip() or DEFAULT_TITLE
    priority = args.get("priority", "default")
    deps.notifier.send(Notification(message=message, title=title, priority=PRIORITIES[priority]))
    return f"✅ Notification sent: {title} (priority {priority})"


TOOLS: dict[str, Callable[[dict[str, Any], McpDeps], str]] = {
    "golf_search_tee_times": golf_search_tee_times,
    "golf_book_tee_time": golf_book_tee_time,
    "golf_get_reservations": golf_get_reservations,
    "get_weather": get_weather,
    "send_notification": send_notification,
    "list_schedules": list_schedules,
    "create_schedule": create_schedule,
    "delete_schedule": delete_schedule,
}
