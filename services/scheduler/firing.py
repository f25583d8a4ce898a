"""What a firing does: one fresh message per run, stored, published by type, and counted.

A fired schedule invokes this function with the Input ``{"schedule_id", "scheduled_time",
"execution_id"}``. The schedule's row says what to deliver (``target``: message type, payload,
arguments); each run builds a *new* message from it — a new id and created_date every time (the
original froze one message into the Input, §17 item 13) — stores it ``queued`` in the messages
table, publishes it to its topic (web_action → web-actions, notify → notifications), then records
``last_run``, ``execution_count`` and the execution id on the schedule. ``scheduled`` messages go to
the agent-event hook instead of a topic.

At-least-once, deduplicated: EventBridge (and Lambda's asynchronous retries) may deliver one
invocation twice; a run whose execution id is already recorded on the schedule is skipped. A run
that fails to publish raises, so the invocation is retried.

Only ``active`` schedules fire: a row that is paused, completed or gone (the Scheduler and the
table briefly disagree while a command is applied) skips the run.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from services.core import clock
from services.core.errors import NotFoundError
from services.core.messages import Message, MessageType, Status
from services.core.schedules import Schedule, ScheduleStatus
from services.core.submission import publish_stored
from services.scheduler.agent_events import handle_scheduled
from services.scheduler.deps import SchedulerDeps

logger = logging.getLogger(__name__)

CREATED_BY = "scheduler"


def fire(event: dict[str, Any], deps: SchedulerDeps) -> dict[str, Any]:
    """Entry point for an EventBridge Scheduler invocation of a user schedule."""
    schedule_id = str(event.get("schedule_id", ""))
    try:
        schedule = deps.schedules.get(schedule_id)
    except NotFoundError:
        logger.warning("fired schedule %s is not in the table; nothing to run", schedule_id)
        return {"schedule_id": schedule_id, "skipped": "not found"}
    execution_id = _substituted(event.get("execution_id")) or f"unlabelled-{uuid.uuid4().hex}"
    scheduled = _time(event.get("scheduled_time")) or clock.now()
    return fire_schedule(schedule, deps, scheduled_time=scheduled, execution_id=execution_id,
                         triggered_by="schedule")


def fire_schedule(schedule: Schedule, deps: SchedulerDeps, *, scheduled_time: datetime, execution_id: str,
                  triggered_by: str) -> dict[str, Any]:
    """Run the schedule's target once. ``triggered_by``: schedule | run_now | execute | catch_up."""
    outcome: dict[str, Any] = {"schedule_id": schedule.id, "triggered_by": triggered_by}
    if schedule.status is not ScheduleStatus.ACTIVE:
        logger.info("schedule %s is %s; run skipped", schedule.id, schedule.status.value)
        return {**outcome, "skipped": schedule.status.value}
    if schedule.last_execution_id == execution_id:
        logger.info("schedule %s execution %s already ran; duplicate skipped", schedule.id, execution_id)
        return {**outcome, "skipped": "duplicate"}
    arguments = {**(schedule.target.arguments or {}), "schedule_id": schedule.id}
    message = Message.new(message_type=schedule.target.message_type, payload=schedule.target.payload,
                          arguments=arguments, created_by=CREATED_BY, stage=schedule.stage, status=Status.QUEUED)
    message = deps.messages.create(message)
    if message.message_type is MessageType.SCHEDULED:
        handle_scheduled(message, deps)
    else:
        publish_stored(message, deps.messages, deps.publisher)  # raises (retryable) if it cannot
    counted = deps.schedules.record_execution(
        schedule.id, scheduled_time=clock.iso(scheduled_time), execution_id=execution_id, message_id=message.id,
        complete=schedule.one_shot and triggered_by in ("schedule", "catch_up"))
    logger.info("schedule %s fired (%s): message %s%s", schedule.id, triggered_by, message.id,
                "" if counted else " (execution already counted)")
    return {**outcome, "message_id": message.id, "message_type": message.message_type.value,
            "scheduled_time": clock.iso(scheduled_time)}


def manual_execution_id(triggered_by: str) -> str:
    return f"{triggered_by}-{uuid.uuid4().hex}"


def _substituted(value: Any) -> str | None:
    """A context attribute's value, or None when the placeholder was not filled in."""
    if not isinstance(value, str) or not value or value.startswith("<aws.scheduler."):
        return None
    return value


def _time(value: Any) -> datetime | None:
    text = _substituted(value)
    if text is None:
        return None
    try:
        return clock.parse_iso(text)
    except ValueError:
        return None
