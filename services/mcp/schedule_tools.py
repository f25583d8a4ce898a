"""The schedule tools, on the same rules and path as ``POST /api/schedules``.

``create_schedule`` validates the command with ``schedule_requests.parse_command`` (expression by
EventBridge's rules, IANA timezone, the target's payload), saves the schedule ``pending`` and
publishes the ``create`` command on the schedule-creation topic: the scheduler function creates
the EventBridge schedule and marks it ``active``. ``delete_schedule`` checks the schedule exists
and can be deleted, then publishes ``delete``. ``list_schedules`` queries the status index.

A payload ``operation`` is the operation the target runs (``fetch_reservations``,
``agentEvent``...): it is moved to the command's ``operation``, where the schedule keeps it.
"""

from __future__ import annotations

from typing import Any

from services.core.errors import ConflictError
from services.core.messages import Message, MessageType, Status
from services.core.schedule_requests import CreateCommand, build_schedule, parse_command
from services.core.schedules import Schedule, ScheduleStatus
from services.core.submission import store_and_publish
from services.mcp.deps import McpDeps

CREATED_BY = "mcp-server"
_DELETABLE = (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED, ScheduleStatus.COMPLETED, ScheduleStatus.ERROR,
              ScheduleStatus.DELETED)
_LISTED = (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED, ScheduleStatus.PENDING, ScheduleStatus.ERROR,
           ScheduleStatus.COMPLETED)


def list_schedules(args: dict[str, Any], deps: McpDeps) -> str:
    wanted = args.get("status", "active")
    statuses = _LISTED if wanted == "all" else (ScheduleStatus(wanted),)
    found = [s for status in statuses for s in deps.schedules.all_with_status(status)]
    if not found:
        return f"No {'' if wanted == 'all' else wanted + ' '}schedules."
    lines = [f"{len(found)} schedule(s):"] + [describe(s) for s in found]
    return "\n".join(lines)


def describe(schedule: Schedule) -> str:
    target = schedule.target
    what = schedule.target_type.value
    operation = (target.arguments or {}).get("operation") or target.payload.get("action")
    if operation:
        what += f" ({operation})"
    parts = [f"- {schedule.id} '{schedule.name}': {schedule.schedule_expression} {schedule.timezone}",
             f"status {schedule.status.value}", f"target {what}"]
    if schedule.last_run:
        parts.append(f"last run {schedule.last_run} ({schedule.execution_count} run(s))")
    if schedule.error_message:
        parts.append(f"error: {schedule.error_message}")
    return ", ".join(parts)


def create_schedule(args: dict[str, Any], deps: McpDeps) -> str:
    payload = dict(args["payload"])
    body: dict[str, Any] = {"action": "create", "name": args["name"],
                            "schedule_expression": args["schedule_expression"], "timezone": args["timezone"],
                            "target_type": args["target_type"], "payload": payload}
    operation = payload.pop("operation", None)
    if operation is not None:
        body["operation"] = operation
    if args.get("description"):
        body["description"] = args["description"]
    command = parse_command(body)  # ValidationError names each problem
    assert isinstance(command, CreateCommand)
    schedule = build_schedule(command, group=deps.settings.schedule_group_name, stage=deps.settings.stage,
                              created_by=CREATED_BY)
    deps.schedules.create(schedule)
    try:
        _publish(deps, {"action": "create", "schedule_id": schedule.id, "run_now": False})
    except Exception:
        deps.schedules.set_status(schedule.id, ScheduleStatus.ERROR, error_message="creation command not published")
        raise
    return (f"Schedule {schedule.id} '{schedule.name}' created: {schedule.schedule_expression} "
            f"{schedule.timezone}, target {schedule.target_type.value}. It becomes active in a moment.")


def delete_schedule(args: dict[str, Any], deps: McpDeps) -> str:
    schedule = deps.schedules.get(args["schedule_id"])  # NotFoundError -> tool error
    if schedule.status not in _DELETABLE:
        raise ConflictError(f"cannot delete schedule {schedule.id} yet: status={schedule.status.value} "
                            "(it is still being created; try again shortly)")
    _publish(deps, {"action": "delete", "schedule_id": schedule.id})
    return f"Schedule {schedule.id} '{schedule.name}' is being deleted; it will not fire again."


def _publish(deps: McpDeps, arguments: dict[str, Any]) -> Message:
    web = deps.web
    message = Message.new(message_type=MessageType.SCHEDULE_CREATION, payload={}, arguments=arguments,
                          created_by=CREATED_BY, stage=deps.settings.stage, status=Status.QUEUED)
    return store_and_publish(message, web.messages, web.publisher)
