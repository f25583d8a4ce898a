"""The EventBridge Scheduler API as the scheduler function uses it: one schedule definition, four calls.

The definition is built from the schedules-table row alone, so create, update, pause and resume
all send the same complete request (UpdateSchedule replaces the whole schedule: whatever it omits
is reset to the default).

Every user schedule targets the scheduler function itself with Input
``{"schedule_id", "scheduled_time", "execution_id"}`` — the last two are EventBridge context
attributes, filled in per invocation — so each firing makes a fresh message (new id and
created_date), records it, publishes it by type and counts the run (see ``firing``). Retry policy:
3 retries within an hour; then the invocation goes to the schedules DLQ (DeadLetterConfig).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from services.core import clock
from services.core.dynamo import error_code
from services.core.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    UpstreamError,
    ValidationError,
)
from services.core.schedules import Schedule
from services.core.settings import Settings

RETRY_ATTEMPTS = 3
MAX_EVENT_AGE_SECONDS = 3600
# Context attributes EventBridge Scheduler substitutes into a target's Input at each invocation.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
EXECUTION_ID = "<aws.scheduler.execution-id>"
_RETRYABLE = {"ThrottlingException", "InternalServerException", "ServiceUnavailable", "RequestTimeout"}


def fire_input(schedule_id: str) -> str:
    return json.dumps({"schedule_id": schedule_id, "scheduled_time": SCHEDULED_TIME, "execution_id": EXECUTION_ID},
                      separators=(",", ":"))


def definition(schedule: Schedule, *, target_arn: str, settings: Settings, enabled: bool) -> dict[str, Any]:
    """The CreateSchedule / UpdateSchedule request for this schedule."""
    if not settings.scheduler_role_arn:
        raise ConfigurationError("SCHEDULER_ROLE_ARN is not configured: EventBridge needs a role to invoke targets")
    target: dict[str, Any] = {
        "Arn": target_arn, "RoleArn": settings.scheduler_role_arn, "Input": fire_input(schedule.id),
        "RetryPolicy": {"MaximumRetryAttempts": RETRY_ATTEMPTS, "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS},
    }
    if settings.schedules_dlq_arn:
        target["DeadLetterConfig"] = {"Arn": settings.schedules_dlq_arn}
    request: dict[str, Any] = {
        "Name": schedule.eventbridge_name, "GroupName": schedule.group,
        "ScheduleExpression": schedule.schedule_expression, "ScheduleExpressionTimezone": schedule.timezone,
        "FlexibleTimeWindow": schedule.flexible_window.to_aws(), "State": "ENABLED" if enabled else "DISABLED",
        "Description": (schedule.description or schedule.name)[:512], "Target": target,
    }
    if schedule.start_date:
        request["StartDate"] = clock.parse_iso(schedule.start_date)
    if schedule.end_date:
        request["EndDate"] = clock.parse_iso(schedule.end_date)
    if schedule.one_shot:
        request["ActionAfterCompletion"] = "DELETE"  # a fired at() schedule removes itself
    return request


class SchedulerApi:
    def __init__(self, client: Any) -> None:
        self._client = client

    def create(self, request: dict[str, Any]) -> str:
        """Create and return the ARN; an existing schedule of that name (a redelivered command) is reused."""
        try:
            return self._client.create_schedule(**request)["ScheduleArn"]
        except ClientError as exc:
            if error_code(exc) == "ConflictException":
                existing = self.get(request["GroupName"], request["Name"])
                if existing is not None:
                    return existing["Arn"]
            raise _translate(exc, "create") from exc

    def update(self, request: dict[str, Any]) -> str:
        try:
            return self._client.update_schedule(**request)["ScheduleArn"]
        except ClientError as exc:
            raise _translate(exc, "update") from exc

    def delete(self, group: str, name: str) -> None:
        """Delete; a schedule that is already gone (deleted after completion) is not an error."""
        try:
            self._client.delete_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise _translate(exc, "delete") from exc

    def get(self, group: str, name: str) -> dict[str, Any] | None:
        try:
            return self._client.get_schedule(GroupName=group, Name=name)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise _translate(exc, "get") from exc


def _translate(exc: ClientError, operation: str) -> Exception:
    code = error_code(exc)
    text = f"failed to {operation} EventBridge schedule: {code}: {exc.response.get('Error', {}).get('Message', '')}"
    if code in _RETRYABLE or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500:
        return UpstreamError(text)
    if code == "ResourceNotFoundException":
        return NotFoundError(text)
    if code == "ConflictException":
        return ConflictError(text)
    return ValidationError(text)
