"""The MCP tools: names, descriptions an LLM can act on, and exact JSON-Schema inputs.

Names and argument names are a contract shared with the agent, the Bedrock stand-in's intent
backend and desktop MCP clients; change them only together. Arguments are validated against
these schemas (Draft 2020-12) before a tool runs; what a schema cannot say (end after start, the
course exists in this deployment...) is checked by the web-action and schedule code the tools
reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.core.ntfy import PRIORITIES
from services.core.schedules import ScheduleStatus, TargetType

LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
GRID = r"^[A-Z]{3}/\d{1,3},\d{1,3}$"
SCHEDULE_ID = r"^sched_\d{14}_[0-9a-f]{8}$"
LIST_STATUSES = [s.value for s in ScheduleStatus if s is not ScheduleStatus.DELETED] + ["all"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool = False
    destructive: bool = False


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _course(names: list[str]) -> dict[str, Any]:
    # Not an enum: people (and models) type "Birdsfoot" or "birdsfoot golf"; the tool resolves
    # the name (services.core.courses.find_by_name) and an unknown one gets the list of courses.
    return {"type": "string", "minLength": 1, "examples": names,
            "description": "Golf course: one of " + ", ".join(names) + " (a distinctive part of the name is enough)"}


def tool_specs(course_names: list[str]) -> list[ToolSpec]:
    course = _course(course_names)
    players = {"type": "integer", "minimum": 1, "maximum": 4, "description": "Number of players (1-4)."}
    local_time = {"type": "string", "pattern": LOCAL_TIME}
    return [
        ToolSpec(
            "golf_search_tee_times", "Search tee times",
            "Search available tee times at one course within one day's time window. Times are the course's "
            "local wall-clock time (America/New_York) as YYYY-MM-DDTHH:MM:SS, with start and end on the same "
            "day. Each slot in the result has a 'Tee Sheet ID: N' line: pass N to golf_book_tee_time. Ask the "
            "user for the course, day, time window and number of players if any is missing. auto_book=true "
            "books the earliest slot without asking - only use it when the user explicitly asked for that.",
            _object({
                "course_name": course,
                "start_time": {**local_time, "description": "Window start, e.g. 2026-11-29T14:00:00."},
                "end_time": {**local_time, "description": "Window end (same day, not before start_time)."},
                "num_players": players,
                "max_results": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5,
                                "description": "Most slots to list (default 5)."},
                "auto_book": {"type": "boolean", "default": False,
                              "description": "Book the earliest slot found (default false)."},
            }, ["course_name", "start_time", "end_time", "num_players"]),
        ),
        ToolSpec(
            "golf_book_tee_time", "Book a tee time",
            "Book one tee time found by golf_search_tee_times, by its Tee Sheet ID. This makes a real "
            "reservation: only call it after the user confirmed this exact time, course and number of players. "
            "The result contains the confirmation number; a confirmation is also pushed to the user's phone.",
            _object({
                "course_name": course,
                "tee_sheet_id": {"type": "integer", "minimum": 1,
                                 "description": "The 'Tee Sheet ID' of the slot, from the search result."},
                "num_players": players,
            }, ["course_name", "tee_sheet_id", "num_players"]),
            destructive=True,
        ),
        ToolSpec(
            "golf_get_reservations", "List reservations",
            "List the user's upcoming tee-time reservations at one course (date, time, players, confirmation "
            "number). Use it before booking to avoid double-booking a day.",
            _object({"course_name": course}, ["course_name"]),
            read_only=True,
        ),
        ToolSpec(
            "get_weather", "Weather forecast",
            "NOAA (US) forecast for a golf course, or for a NOAA grid point 'OFFICE/X,Y' (e.g. 'PBZ/95,64'). "
            "Give exactly one of course_name or grid. days = how many days ahead (1-7, default 2); the result "
            "has one block per day with temperature, wind and the forecast text.",
            _object({
                "course_name": course,
                "grid": {"type": "string", "pattern": GRID,
                         "description": "NOAA grid point OFFICE/X,Y, e.g. PBZ/95,64 (not a URL)."},
                "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 2,
                         "description": "Days of forecast, 1-7 (default 2)."},
            }, []),
            read_only=True,
        ),
        ToolSpec(
            "send_notification", "Send a push notification",
            "Send a push notification to the user's phone (ntfy). Use it when the user asks to be notified, "
            "or to report the outcome of an unattended task.",
            _object({
                "message": {"type": "string", "minLength": 1, "maxLength": 4096, "description": "The text."},
                "title": {"type": "string", "minLength": 1, "maxLength": 250, "description": "Optional title."},
                "priority": {"type": "string", "enum": list(PRIORITIES), "default": "default",
                             "description": "ntfy priority (default 'default')."},
            }, ["message"]),
        ),
        ToolSpec(
            "list_schedules", "List schedules",
            "List the user's schedules (recurring or one-shot automations) with their ids, expressions, "
            "targets, status and last run. status filters (default 'active'; 'all' lists every status).",
            _object({"status": {"type": "string", "enum": LIST_STATUSES, "default": "active",
                                "description": "Which schedules to list (default active)."}}, []),
            read_only=True,
        ),
        ToolSpec(
            "create_schedule", "Create a schedule",
            "Create a schedule that sends a message when it fires. schedule_expression uses EventBridge "
            "syntax: cron(minutes hours day-of-month month day-of-week year) with six fields and '?' in one "
            "day field, e.g. cron(0 7 * * ? *); rate(15 minutes); or at(2026-11-29T09:00:00) for once. "
            "target_type and payload: 'notification' -> {message, title?}; 'web_action' -> a web-action "
            "payload, e.g. {action: 'weather', courseID: 2, days: 2} or {action: 'golf', courseID: 1, "
            "operation: 'fetch_reservations'}; 'scheduled' -> {operation: 'agentEvent', user_prompt, "
            "course_name, num_players} to have the assistant act on the prompt at that time. A payload "
            "'operation' is the operation the target runs. The schedule is active a moment after creation.",
            _object({
                "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Short name."},
                "schedule_expression": {"type": "string", "minLength": 6, "maxLength": 256,
                                        "pattern": r"^(cron|rate|at)\(.+\)$",
                                        "description": "cron(...), rate(...) or at(...)."},
                "timezone": {"type": "string", "minLength": 1, "maxLength": 64,
                             "description": "IANA timezone of the expression, e.g. America/New_York or UTC."},
                "target_type": {"type": "string", "enum": [t.value for t in TargetType],
                                "description": "What each firing delivers (see payload)."},
                "payload": {"type": "object", "description": "The message payload each firing delivers."},
                "description": {"type": "string", "maxLength": 512, "description": "Optional description."},
            }, ["name", "schedule_expression", "timezone", "target_type", "payload"]),
        ),
        ToolSpec(
            "delete_schedule", "Delete a schedule",
            "Delete one schedule by id (from list_schedules). It stops firing and is removed.",
            _object({"schedule_id": {"type": "string", "pattern": SCHEDULE_ID,
                                     "description": "Schedule id, e.g. sched_20261128140300_1a2b3c4d."}},
                    ["schedule_id"]),
            destructive=True,
        ),
    ]
