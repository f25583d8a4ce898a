"""Schedule commands: create | update | delete | pause | resume | execute, validated completely.

Two doors lead here and both check the same way, before anything is stored or published:

* ``POST /api/schedules`` with ``{"action": ..., ...}`` (``parse_command``);
* ``POST /api/messages`` with ``message_type: schedule_creation`` (ORIGINAL_SYSTEM §13.2): the
  command is the message's ``arguments`` and the payload the schedule delivers is its ``payload``
  (``command_from_message``; ``check_schedule_message`` is the registered payload check).

What is checked: the name; the expression by EventBridge's own rules (``schedule_expression``:
six-field ``cron()``, ``rate()`` units, real ``at()`` dates — not a field count); the timezone is
an IANA name; the target type; and that the payload is valid for the message type the schedule
will deliver (``notify`` → ``NotifyPayload``; ``web_action`` → the web-action payload check;
``scheduled`` → an ``operation`` and, for ``agentEvent``, a ``user_prompt``). Problems are reported
as ``ValidationError`` with one ``{field, problem}`` per problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, field_validator

from services.core import clock
from services.core.errors import FieldProblem, ValidationError
from services.core.message_validation import NotifyPayload, check_message_storable
from services.core.messages import Message, Status
from services.core.schedule_expression import (
    InvalidScheduleExpression,
    InvalidTimezone,
    parse_expression,
    resolve_timezone,
)
from services.core.schedules import (
    SCHEDULE_ID,
    TARGET_MESSAGE_TYPES,
    FlexibleWindow,
    Schedule,
    ScheduleTarget,
    TargetType,
)
from services.core.storable import check_item

ACTIONS = ("create", "update", "delete", "pause", "resume", "execute")
Where = Callable[[str], str]


class _Command(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("schedule_id", check_fields=False)
    @classmethod
    def _schedule_id(cls, value: str) -> str:
        if not SCHEDULE_ID.match(value):
            raise ValueError("must be a schedule id (sched_<yyyymmddHHMMSS>_<8 hex>)")
        return value


class _Fields(_Command):
    """What create and update share; update leaves out what it does not change."""

    description: str | None = Field(None, max_length=512)
    payload: dict[str, Any] | None = None
    arguments: dict[str, Any] | None = None
    operation: str | None = Field(None, min_length=1, max_length=100)
    flexible_window_minutes: int | None = Field(None, ge=0, le=1440)  # 0 = OFF
    start_date: AwareDatetime | None = None
    end_date: AwareDatetime | None = None

    @field_validator("start_date", "end_date")
    @classmethod
    def _in_utc_range(cls, value: datetime | None) -> datetime | None:
        # 9999-12-31T23:59:59-14:00 is a valid datetime that has no UTC form (year 10000).
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise ValueError("is out of range once converted to UTC (years 1-9999)") from None

    @field_validator("schedule_expression", check_fields=False)
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_expression(value).text
        except InvalidScheduleExpression as exc:
            raise ValueError(str(exc)) from None

    @field_validator("timezone", check_fields=False, mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        try:
            resolve_timezone(value)
        except InvalidTimezone as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None


class CreateCommand(_Fields):
    action: Literal["create"]
    name: str = Field(min_length=1, max_length=200)
    schedule_expression: str
    timezone: str | None = None
    target_type: TargetType
    run_now: StrictBool = False


class UpdateCommand(_Fields):
    action: Literal["update"]
    schedule_id: str
    name: str | None = Field(None, min_length=1, max_length=200)
    schedule_expression: str | None = None
    timezone: str | None = None


class RefCommand(_Command):
    action: Literal["delete", "pause", "resume", "execute"]
    schedule_id: str


Command = CreateCommand | UpdateCommand | RefCommand
_MODELS: dict[str, type[BaseModel]] = {"create": CreateCommand, "update": UpdateCommand}


def parse_command(body: Any, where: Where = lambda field: field) -> Command:
    """Validate a command; for create, also the target it delivers. Raises ``ValidationError``."""
    if not isinstance(body, dict):
        raise ValidationError.for_field(where("body"), "must be a JSON object")
    action = body.get("action")
    if action not in ACTIONS:
        raise _failed([FieldProblem(where("action"), f"must be one of {', '.join(ACTIONS)}")])
    try:
        command = _MODELS.get(action, RefCommand).model_validate(body)
    except pydantic.ValidationError as exc:
        extra = _raw_target_problems(body, where) if action == "create" else []
        raise _failed(_problems(exc, where) + extra) from exc
    if isinstance(command, CreateCommand):
        _raise_if(_date_problems(command.start_date, command.end_date, where)
                  + check_target(command.target_type, command.payload or {}, target_arguments(command), where))
    return command  # type: ignore[return-value]


def command_from_message(payload: dict[str, Any], arguments: dict[str, Any] | None) -> Command:
    """The command a ``schedule_creation`` message carries (§13.2), with message field paths."""
    body = dict(arguments or {})
    if payload:
        body["payload"] = payload
    return parse_command(body, lambda field: field if field.startswith("payload") else f"arguments.{field}")


def check_schedule_message(payload: dict[str, Any], arguments: dict[str, Any] | None) -> None:
    """``PayloadCheck`` for ``schedule_creation`` messages (registered by the web API)."""
    command_from_message(payload, arguments)


def target_arguments(command: _Fields) -> dict[str, Any] | None:
    """The arguments each firing delivers: ``arguments``, with ``operation`` folded in when given."""
    arguments = dict(command.arguments or {})
    if command.operation:
        arguments["operation"] = command.operation
    return arguments or None


def check_target(target_type: TargetType, payload: dict[str, Any], arguments: dict[str, Any] | None,
                 where: Where = lambda field: field) -> list[FieldProblem]:
    """Problems with the payload a schedule of this target type would deliver."""
    try:
        if target_type is TargetType.NOTIFICATION:
            NotifyPayload.model_validate(payload)
        elif target_type is TargetType.WEB_ACTION:
            from services.core.web_action_payload import check_payload

            check_payload(payload, arguments)
        else:
            return _scheduled_problems(payload, arguments, where)
    except pydantic.ValidationError as exc:
        return _problems(exc, lambda f: where(f"payload.{f}" if f else "payload"))
    except ValidationError as exc:  # cross-field problems already carry their payload./arguments. paths
        return list(exc.details) or [FieldProblem(where("payload"), exc.message)]
    return []


def build_schedule(command: CreateCommand, *, group: str, stage: str, created_by: str) -> Schedule:
    target = ScheduleTarget(message_type=TARGET_MESSAGE_TYPES[command.target_type], payload=command.payload or {},
                            arguments=target_arguments(command))
    return Schedule.new(name=command.name, schedule_expression=command.schedule_expression,
                        timezone=command.timezone or "UTC", target_type=command.target_type, target=target,
                        group=group, stage=stage, created_by=created_by, description=command.description,
                        flexible_window=_window(command.flexible_window_minutes),
                        start_date=_iso(command.start_date), end_date=_iso(command.end_date))


def apply_update(schedule: Schedule, command: UpdateCommand, where: Where = lambda field: field) -> Schedule:
    """The schedule as the update leaves it, validated as a whole (the target type never changes)."""
    changes: dict[str, Any] = {}
    for field in ("name", "description", "schedule_expression", "timezone"):
        value = getattr(command, field)
        if value is not None:
            changes[field] = value
    if command.flexible_window_minutes is not None:
        changes["flexible_window"] = _window(command.flexible_window_minutes)
    for field in ("start_date", "end_date"):
        if getattr(command, field) is not None:
            changes[field] = _iso(getattr(command, field))
    if command.payload is not None or command.arguments is not None or command.operation is not None:
        arguments = target_arguments(command) if (command.arguments is not None or command.operation) \
            else schedule.target.arguments
        payload = command.payload if command.payload is not None else schedule.target.payload
        _raise_if(check_target(schedule.target_type, payload, arguments, where))
        changes["target"] = schedule.target.model_copy(update={"payload": payload, "arguments": arguments})
    updated = schedule.model_copy(update=changes)
    start = clock.parse_iso(updated.start_date) if updated.start_date else None
    end = clock.parse_iso(updated.end_date) if updated.end_date else None
    _raise_if(_date_problems(start, end, where))
    return updated


def check_schedule_storable(schedule: Schedule) -> None:
    """Raise ``ValidationError`` unless the schedules table stores ``schedule`` and each firing's
    message can be stored and published (its target becomes that message)."""
    renamed = {"target.payload": "payload", "target.arguments": "arguments"}

    def rename(field: str) -> str:
        if field == "target":
            return "payload"
        for stored, asked in renamed.items():
            if field == stored or field.startswith(stored + "."):
                return asked + field[len(stored):]
        return field

    check_item(schedule.to_json_dict(), what="schedule", rename=rename)
    check_message_storable(Message.new(message_type=schedule.target.message_type, payload=schedule.target.payload,
                                       arguments=schedule.target.arguments, created_by="scheduler",
                                       stage=schedule.stage, status=Status.QUEUED))


def _raw_target_problems(body: dict[str, Any], where: Where) -> list[FieldProblem]:
    """Target problems of a create whose other fields failed, so one answer names every problem."""
    try:
        target_type = TargetType(body.get("target_type"))
    except ValueError:
        return []
    payload, arguments, operation = body.get("payload", {}), body.get("arguments"), body.get("operation")
    if not isinstance(payload, dict) or not isinstance(arguments, dict | None):
        return []
    arguments = {**(arguments or {}), **({"operation": operation} if isinstance(operation, str) and operation else {})}
    return check_target(target_type, payload, arguments or None, where)


def _window(minutes: int | None) -> FlexibleWindow:
    return FlexibleWindow(mode="FLEXIBLE", maximum_window_minutes=minutes) if minutes else FlexibleWindow()


def _iso(value: datetime | None) -> str | None:
    return clock.iso(value) if value is not None else None


def _date_problems(start: datetime | None, end: datetime | None, where: Where) -> list[FieldProblem]:
    if start is not None and end is not None and end <= start:
        return [FieldProblem(where("end_date"), "must be after start_date")]
    return []


def _scheduled_problems(payload: dict[str, Any], arguments: dict[str, Any] | None,
                        where: Where) -> list[FieldProblem]:
    operation = (arguments or {}).get("operation")
    if not isinstance(operation, str) or not operation:
        return [FieldProblem(where("operation"), "is required when target_type is scheduled (e.g. agentEvent)")]
    prompt = payload.get("user_prompt")
    if operation == "agentEvent" and (not isinstance(prompt, str) or not prompt.strip()):
        return [FieldProblem(where("payload.user_prompt"), "is required for agentEvent schedules")]
    return []


def _problems(exc: pydantic.ValidationError, where: Where) -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        problems.append(FieldProblem(where(path or "body"), error["msg"].removeprefix("Value error, ")))
    return problems


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        raise _failed(problems)


def _failed(problems: list[FieldProblem]) -> ValidationError:
    summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
    return ValidationError(f"invalid schedule: {summary}", problems)
