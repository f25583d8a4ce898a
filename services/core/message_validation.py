"""Validation of messages submitted by clients (``POST /api/messages`` and the MCP tools).

A request is checked completely before anything is stored or published. Each message type has a
payload model; a problem is reported as the field path and what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.core.errors import FieldProblem, ValidationError
from services.core.messages import STAGES, Message, MessageType
from services.core.ntfy import PRIORITIES
from services.core.storable import check_item, check_sns_message, published_json


class CreateMessageRequest(BaseModel):
    """What a client may send. Server-owned fields (id, dates, status...) are ignored if present."""

    model_config = ConfigDict(extra="ignore")

    version: str = "1.0"
    stage: str | None = None
    message_type: MessageType = MessageType.NOTIFY
    payload: dict[str, Any] = Field(default_factory=dict)
    arguments: dict[str, Any] | None = None
    auth_config: dict[str, Any] | None = None

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str | None) -> str | None:
        if value not in (None, "") and value not in STAGES:
            raise ValueError(f"must be one of {', '.join(STAGES)}")
        return value or None


class NotifyPayload(BaseModel):
    """Payload of ``notify``, ``hello_world`` and ``agent_response`` messages."""

    model_config = ConfigDict(extra="allow")

    message: str = Field(min_length=1, max_length=4096)
    title: str | None = Field(None, max_length=250)
    priority: int | None = Field(None, ge=1, le=5)
    tags: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("message", "title", mode="before")
    @classmethod
    def _strict_string(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be a string")
        return value

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in PRIORITIES:
            return PRIORITIES[value.strip().lower()]
        if isinstance(value, bool) or (value is not None and not isinstance(value, int)):
            raise ValueError("must be 1-5 or one of min, low, default, high, max, urgent")
        return value


PayloadCheck = Callable[[dict[str, Any], dict[str, Any] | None], None]


def _check_notify(payload: dict[str, Any], _arguments: dict[str, Any] | None) -> None:
    NotifyPayload.model_validate(payload)


def _check_web_action(payload: dict[str, Any], arguments: dict[str, Any] | None) -> None:
    from services.core.web_action_payload import check_payload

    check_payload(payload, arguments)


# Checks per message type; modules that own a message type add theirs with ``register_check``.
_CHECKS: dict[MessageType, PayloadCheck] = {
    MessageType.NOTIFY: _check_notify,
    MessageType.HELLO_WORLD: _check_notify,
    MessageType.AGENT_RESPONSE: _check_notify,
    MessageType.WEB_ACTION: _check_web_action,
}


def register_check(message_type: MessageType, check: PayloadCheck) -> None:
    _CHECKS[message_type] = check


def problems_of(exc: pydantic.ValidationError, prefix: str = "") -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"])
        field = f"{prefix}.{path}" if prefix and path else prefix or path or "body"
        problem = error["msg"].removeprefix("Value error, ")
        problems.append(FieldProblem(field, problem))
    return problems


def validate_create_request(body: Any) -> CreateMessageRequest:
    """Parse and check a create-message request; raises ``ValidationError`` naming every problem."""
    if not isinstance(body, dict):
        raise ValidationError.for_field("body", "must be a JSON object")
    try:
        request = CreateMessageRequest.model_validate(body)
    except pydantic.ValidationError as exc:
        raise _failed(problems_of(exc)) from exc
    check = _CHECKS.get(request.message_type)
    if check is not None:
        try:
            check(request.payload, request.arguments)
        except pydantic.ValidationError as exc:
            raise _failed(problems_of(exc, "payload")) from exc
        except ValidationError as exc:
            raise _failed(exc.details or [FieldProblem("payload", exc.message)]) from exc
    return request


def check_message_storable(message: Message) -> None:
    """Raise ``ValidationError`` unless the messages table stores and SNS publishes ``message``.

    Checked before the message is stored, so a message too large to publish is refused with a 400
    instead of being stored and then failing to publish (a 502 and a failed message).
    """
    data = message.to_json_dict()
    check_item(data, what="message")
    attributes = {"stage": message.stage, "message_type": message.message_type.value, "status": message.status.value}
    largest = max(("payload", "arguments", "auth_config"), key=lambda k: len(published_json(data.get(k))))
    check_sns_message(published_json(data), attributes, what="message", field=largest)


def _failed(problems: list[FieldProblem]) -> ValidationError:
    summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
    return ValidationError(f"invalid message: {summary}", problems)
