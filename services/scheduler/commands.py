"""Schedule commands from the schedule-creation queue (seed diagram "Schedule Creation").

A record's body is a ``schedule_creation`` message; its ``arguments`` are the command:

* ``create`` with ``schedule_id`` — the web API already saved the schedule (``pending``): load it;
* ``create`` with the full definition (``POST /api/messages``, §13.2) — build and save it here;
  then CreateSchedule (group, expression, timezone, flexible window, start/end, target = this
  function with Input ``{schedule_id, ...}``, role, retry policy, DLQ) and mark it ``active``.
  EventBridge refusing it marks the schedule ``error`` with the reason. ``run_now`` then fires it.
* ``update`` — apply the change to the row, UpdateSchedule with the whole definition, save.
* ``pause`` / ``resume`` — UpdateSchedule with State DISABLED / ENABLED, status ``paused`` / ``active``.
* ``delete`` — DeleteSchedule (already gone is fine), then the row is removed.
* ``execute`` — fire now (the schedule must be ``active``).

The message moves ``processing`` → ``completed``, or ``failed`` with the error. Errors a retry
cannot fix (bad input, unknown or inactive schedule, EventBridge validation) fail the message and
acknowledge the record; anything else is raised so SQS redelivers it (then its DLQ). Redelivery is
safe: a second create finds the EventBridge schedule it made and reuses it.
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic

from services.core import clock
from services.core.errors import ConfigurationError, ConflictError, RezError, ValidationError
from services.core.messages import Message, MessageType, Status
from services.core.schedule_requests import (
    CreateCommand,
    UpdateCommand,
    apply_update,
    build_schedule,
    command_from_message,
)
from services.core.schedules import Schedule, ScheduleStatus
from services.scheduler.agent_events import handle_scheduled
from services.scheduler.deps import SchedulerDeps
from services.scheduler.eventbridge import definition
from services.scheduler.firing import fire_schedule, manual_execution_id

logger = logging.getLogger(__name__)


def handle_record(body: str, deps: SchedulerDeps, function_arn: str) -> None:
    """Process one queue record; raises only when the record should be retried."""
    try:
        message = Message.model_validate_json(body)
    except pydantic.ValidationError:
        raise ValidationError("record body is not a message") from None
    if message.message_type is MessageType.SCHEDULED:
        handle_scheduled(message, deps)
        return
    if not deps.messages.begin_processing(message):
        logger.info("command message %s already completed; redelivery ignored", message.id)
        return
    try:
        if message.message_type is not MessageType.SCHEDULE_CREATION:
            raise ValidationError(f"unexpected message type on the schedule-creation queue: "
                                  f"{message.message_type.value}")
        result = run_command(message, deps, function_arn)
    except RezError as exc:
        retry = exc.retryable or isinstance(exc, ConfigurationError)
        deps.messages.update_status(message.id, Status.FAILED, error_message=exc.message, count_retry=retry)
        logger.warning("schedule command %s failed (%s): %s", message.id, "will retry" if retry else "final",
                       exc.message)
        if retry:
            raise
        return
    except Exception as exc:
        deps.messages.update_status(message.id, Status.FAILED, error_message=f"internal error ({type(exc).__name__})",
                                    count_retry=True)
        raise
    deps.messages.update_status(message.id, Status.COMPLETED)
    logger.info("schedule command %s done: %s", message.id, result)


def run_command(message: Message, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    arguments = message.arguments or {}
    if arguments.get("action") == "create" and arguments.get("schedule_id"):
        schedule = deps.schedules.get(str(arguments["schedule_id"]))
        return create(schedule, deps, function_arn, run_now=arguments.get("run_now") is True)
    command = command_from_message(message.payload, message.arguments)
    if isinstance(command, CreateCommand):
        schedule = build_schedule(command, group=deps.settings.schedule_group_name, stage=message.stage,
                                  created_by=message.created_by)
        deps.schedules.create(schedule)
        return create(schedule, deps, function_arn, run_now=command.run_now)
    schedule = deps.schedules.get(command.schedule_id)
    if isinstance(command, UpdateCommand):
        return update(schedule, command, deps, function_arn)
    return _REF_ACTIONS[command.action](schedule, deps, function_arn)


def create(schedule: Schedule, deps: SchedulerDeps, function_arn: str, *, run_now: bool) -> dict[str, Any]:
    if schedule.status is ScheduleStatus.ACTIVE and schedule.eventbridge_arn:
        return {"schedule_id": schedule.id, "status": "active", "note": "already created"}
    if schedule.status not in (ScheduleStatus.PENDING, ScheduleStatus.ERROR):
        raise ConflictError(f"cannot create schedule {schedule.id}: status={schedule.status.value}")
    request = definition(schedule, target_arn=function_arn, settings=deps.settings, enabled=True)
    try:
        arn = deps.eventbridge.create(request)
    except ValidationError as exc:  # EventBridge refused it: the schedule records why
        deps.schedules.set_status(schedule.id, ScheduleStatus.ERROR, error_message=exc.message)
        raise
    schedule = deps.schedules.save(schedule.model_copy(update={
        "status": ScheduleStatus.ACTIVE, "eventbridge_arn": arn, "error_message": None,
        "active_since": clock.iso(clock.now())}))
    result: dict[str, Any] = {"schedule_id": schedule.id, "status": "active", "eventbridge_arn": arn}
    if run_now:
        result["run_now"] = fire_schedule(schedule, deps, scheduled_time=clock.now(),
                                          execution_id=manual_execution_id("run_now"), triggered_by="run_now")
    return result


def update(schedule: Schedule, command: UpdateCommand, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    _require(schedule, (ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED), "update")
    updated = apply_update(schedule, command)
    active = updated.status is ScheduleStatus.ACTIVE
    deps.eventbridge.update(definition(updated, target_arn=function_arn, settings=deps.settings, enabled=active))
    changes = {"active_since": clock.iso(clock.now())} if active else {}
    deps.schedules.save(updated.model_copy(update=changes))
    return {"schedule_id": schedule.id, "status": updated.status.value, "updated": True}


def pause(schedule: Schedule, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    if schedule.status is ScheduleStatus.PAUSED:
        return {"schedule_id": schedule.id, "status": "paused", "note": "already paused"}
    _require(schedule, (ScheduleStatus.ACTIVE,), "pause")
    deps.eventbridge.update(definition(schedule, target_arn=function_arn, settings=deps.settings, enabled=False))
    deps.schedules.set_status(schedule.id, ScheduleStatus.PAUSED)
    return {"schedule_id": schedule.id, "status": "paused"}


def resume(schedule: Schedule, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    if schedule.status is ScheduleStatus.ACTIVE:
        return {"schedule_id": schedule.id, "status": "active", "note": "already active"}
    _require(schedule, (ScheduleStatus.PAUSED,), "resume")
    deps.eventbridge.update(definition(schedule, target_arn=function_arn, settings=deps.settings, enabled=True))
    # Runs due while paused were never due: the daily evaluation must not catch them up.
    deps.schedules.save(schedule.model_copy(update={"status": ScheduleStatus.ACTIVE,
                                                    "active_since": clock.iso(clock.now())}))
    return {"schedule_id": schedule.id, "status": "active"}


def delete(schedule: Schedule, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    deps.eventbridge.delete(schedule.group, schedule.eventbridge_name)
    deps.schedules.delete(schedule.id)
    return {"schedule_id": schedule.id, "deleted": True}


def execute(schedule: Schedule, deps: SchedulerDeps, function_arn: str) -> dict[str, Any]:
    if schedule.status is not ScheduleStatus.ACTIVE:
        raise ConflictError(f"cannot execute inactive schedule: status={schedule.status.value}")
    return fire_schedule(schedule, deps, scheduled_time=clock.now(), execution_id=manual_execution_id("execute"),
                         triggered_by="execute")


_REF_ACTIONS = {"pause": pause, "resume": resume, "delete": delete, "execute": execute}


def _require(schedule: Schedule, allowed: tuple[ScheduleStatus, ...], action: str) -> None:
    if schedule.status not in allowed:
        raise ConflictError(f"cannot {action} schedule {schedule.id}: status={schedule.status.value}")
