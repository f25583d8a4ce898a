"""``/api/schedules``: commands (create | update | delete | pause | resume | execute), list, get one.

``POST /api/schedules`` validates the command completely (400 naming each field; nothing stored),
then: ``create`` saves the schedule ``pending`` and publishes a ``schedule_creation`` message that
the scheduler function turns into an EventBridge schedule; every other action checks the schedule
exists (404) and can take the action now (409), and publishes the command. All answer 202 with the
schedule as it is now and the id of the command message (``GET /api/messages/{id}`` shows whether
the command completed). ``schedule_creation`` messages sent to ``POST /api/messages`` are checked by
the same rules (registered below).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core.errors import ConflictError, UpstreamError, ValidationError
from services.core.message_repository import decode_cursor
from services.core.message_validation import check_message_storable, register_check
from services.core.messages import Message, MessageType, Status
from services.core.schedule_requests import (
    CreateCommand,
    UpdateCommand,
    apply_update,
    build_schedule,
    check_schedule_message,
    check_schedule_storable,
    parse_command,
)
from services.core.schedules import SCHEDULE_ID, ScheduleStatus
from services.core.submission import store_and_publish
from services.webapi.routes._request import json_body, known_id, limit_param

router = Router()
# Which statuses allow each action; a pending schedule is still being created, so it takes none yet.
_ALLOWED = {
    "update": (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED),
    "pause": (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED),
    "resume": (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED),
    "execute": (ScheduleStatus.ACTIVE,),
    "delete": (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED, ScheduleStatus.COMPLETED, ScheduleStatus.ERROR,
               ScheduleStatus.DELETED),
}

register_check(MessageType.SCHEDULE_CREATION, check_schedule_message)


@router.post("/api/schedules", summary="A schedule command: create, update, delete, pause, resume, execute",
             status_code=202)
def schedule_command() -> Response[dict]:
    deps = router.context["deps"]
    command = parse_command(json_body(router.current_event))
    if isinstance(command, CreateCommand):
        schedule = build_schedule(command, group=deps.settings.schedule_group_name, stage=deps.settings.stage,
                                  created_by="webapi")
        check_schedule_storable(schedule)
        deps.schedules.create(schedule)
        try:
            message = _publish(deps, {"action": "create", "schedule_id": schedule.id, "run_now": command.run_now})
        except UpstreamError:
            deps.schedules.set_status(schedule.id, ScheduleStatus.ERROR, error_message="creation command not published")
            raise
        return _accepted({"schedule": schedule.to_json_dict(), "action": "create", "message_id": message.id})
    schedule = deps.schedules.get(command.schedule_id)
    if schedule.status not in _ALLOWED[command.action]:
        detail = " (it is still being created; try again shortly)" if schedule.status is ScheduleStatus.PENDING else ""
        raise ConflictError(f"cannot {command.action} schedule {schedule.id}: status={schedule.status.value}{detail}")
    if isinstance(command, UpdateCommand):
        check_schedule_storable(apply_update(schedule, command))  # 400 now rather than a failed command later
    arguments = command.model_dump(mode="json", exclude_none=True)
    payload = arguments.pop("payload", None) or {}
    message = _publish(deps, arguments, payload)
    return _accepted({"schedule": schedule.to_json_dict(), "action": command.action, "message_id": message.id})


@router.get("/api/schedules", summary="List schedules of one status (default active), newest first")
def list_schedules() -> dict:
    deps = router.context["deps"]
    query = router.current_event.query_string_parameters or {}
    raw_status = query.get("status") or ScheduleStatus.ACTIVE.value
    try:
        status = ScheduleStatus(raw_status)
    except ValueError as exc:
        raise ValidationError.for_field("status", f"must be one of {', '.join(s.value for s in ScheduleStatus)}") \
            from exc
    limit, cursor = limit_param(query.get("limit")), query.get("cursor") or None
    if cursor:
        decode_cursor(cursor, index_key=("status", status.value))
    page = deps.schedules.list(status, limit=limit, cursor=cursor)
    body: dict[str, Any] = {"schedules": [s.to_json_dict() for s in page.schedules], "count": len(page.schedules),
                            "status": status.value}
    if page.cursor:
        body["next_cursor"] = page.cursor
    return body


@router.get("/api/schedules/<schedule_id>", summary="One schedule")
def get_schedule(schedule_id: str) -> dict:
    known_id(SCHEDULE_ID, schedule_id, "schedule")
    return router.context["deps"].schedules.get(schedule_id).to_json_dict()


def _publish(deps: Any, arguments: dict[str, Any], payload: dict[str, Any] | None = None) -> Message:
    message = Message.new(message_type=MessageType.SCHEDULE_CREATION, payload=payload or {}, arguments=arguments,
                          created_by="webapi", stage=deps.settings.stage, status=Status.QUEUED)
    check_message_storable(message)
    return store_and_publish(message, deps.messages, deps.publisher)


def _accepted(body: dict[str, Any]) -> Response[dict]:
    return Response(status_code=202, content_type="application/json", body=json.dumps(body, separators=(",", ":")))
