"""The Schedule: what the schedules table stores about one user schedule (ORIGINAL_SYSTEM §2.3).

A schedule is two things kept in step: this row (the user's intent, and everything later actions
need) and an EventBridge Scheduler schedule (what actually fires). The row stores the *target* —
the message type, payload and arguments every firing delivers — so ``execute``, ``update``,
``pause``, ``resume`` and ``delete`` work from the row alone (fixes of §17 item 13: the original
lost the payload and the EventBridge name, turned ``notification`` into an invalid message type
and dropped ``arguments.operation``).

Status: ``pending`` (saved by the API, not yet created in EventBridge) → ``active`` ⇄ ``paused``;
``completed`` (a one-shot ``at()`` that fired, or a schedule past its EndDate); ``error`` (EventBridge
refused it; ``error_message`` says why). ``delete`` removes the row; ``deleted`` is kept for rows
written by older versions and for list filters.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.core import clock
from services.core.messages import MessageType

SCHEDULE_ID = re.compile(r"^sched_\d{14}_[0-9a-f]{8}$")
EVENTBRIDGE_NAME_PREFIX = 30  # characters of the sanitized name kept in the EventBridge name
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class ScheduleStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    DELETED = "deleted"
    ERROR = "error"


class TargetType(StrEnum):
    WEB_ACTION = "web_action"
    NOTIFICATION = "notification"
    SCHEDULED = "scheduled"


# The message type each firing produces. ``notification`` delivers ``notify`` (the original sent the
# invalid type ``notification``, §17 item 13).
TARGET_MESSAGE_TYPES: dict[TargetType, MessageType] = {
    TargetType.WEB_ACTION: MessageType.WEB_ACTION,
    TargetType.NOTIFICATION: MessageType.NOTIFY,
    TargetType.SCHEDULED: MessageType.SCHEDULED,
}


class ScheduleTarget(BaseModel):
    """What every firing delivers: a new message of this type, payload and arguments."""

    model_config = ConfigDict(extra="ignore")

    message_type: MessageType
    payload: dict[str, Any] = Field(default_factory=dict)
    arguments: dict[str, Any] | None = None


class FlexibleWindow(BaseModel):
    """EventBridge's FlexibleTimeWindow: OFF, or fire somewhere within N minutes after the time."""

    model_config = ConfigDict(extra="ignore")

    mode: Literal["OFF", "FLEXIBLE"] = "OFF"
    maximum_window_minutes: int | None = Field(None, ge=1, le=1440)

    def to_aws(self) -> dict[str, Any]:
        if self.mode == "OFF" or not self.maximum_window_minutes:
            return {"Mode": "OFF"}
        return {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": self.maximum_window_minutes}


class Schedule(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    description: str | None = None
    schedule_expression: str
    timezone: str = "UTC"
    target_type: TargetType
    target: ScheduleTarget
    eventbridge_name: str
    eventbridge_arn: str | None = None
    group: str
    flexible_window: FlexibleWindow = Field(default_factory=FlexibleWindow)
    start_date: str | None = None
    end_date: str | None = None
    status: ScheduleStatus = ScheduleStatus.PENDING
    stage: str
    created_by: str
    created_date: str
    updated_date: str
    active_since: str | None = None  # when it last became active: runs before this were never due
    last_run: str | None = None  # when the last firing ran (platform clock)
    last_scheduled_time: str | None = None  # the scheduled time of that firing
    last_execution_id: str | None = None  # EventBridge execution id of that firing (deduplicates retries)
    last_message_id: str | None = None
    execution_count: int = 0
    error_message: str | None = None

    @classmethod
    def new(cls, *, name: str, schedule_expression: str, timezone: str, target_type: TargetType,
            target: ScheduleTarget, group: str, stage: str, created_by: str, description: str | None = None,
            flexible_window: FlexibleWindow | None = None, start_date: str | None = None,
            end_date: str | None = None) -> Schedule:
        moment = clock.now()
        schedule_id = new_schedule_id(moment)
        stamp = clock.iso(moment)
        return cls(id=schedule_id, name=name, description=description, schedule_expression=schedule_expression,
                   timezone=timezone, target_type=target_type, target=target,
                   eventbridge_name=eventbridge_name(name, stage, schedule_id), group=group,
                   flexible_window=flexible_window or FlexibleWindow(), start_date=start_date,
                   end_date=end_date, stage=stage, created_by=created_by, created_date=stamp, updated_date=stamp)

    @property
    def one_shot(self) -> bool:
        return self.schedule_expression.strip().startswith("at(")

    def to_json_dict(self) -> dict[str, Any]:
        """The stored and returned shape: optional fields omitted when empty."""
        return self.model_dump(mode="json", exclude_none=True)


def new_schedule_id(moment: datetime | None = None) -> str:
    """``sched_<UTC yyyymmddHHMMSS>_<8 hex from 4 random bytes>`` (§5.3)."""
    moment = moment or clock.now()
    return f"sched_{moment:%Y%m%d%H%M%S}_{secrets.token_hex(4)}"


def eventbridge_name(name: str, stage: str, schedule_id: str) -> str:
    """``<sanitized name ≤30>-{stage}-<8 hex of the id>``: readable, unique, within AWS's 64 characters.

    The suffix is the schedule id's random part rather than the original's unix seconds, so two
    schedules with the same name created in the same second do not collide.
    """
    sanitized = _UNSAFE.sub("-", name.strip())[:EVENTBRIDGE_NAME_PREFIX] or "schedule"
    return f"{sanitized}-{stage}-{schedule_id.rsplit('_', 1)[-1]}"
