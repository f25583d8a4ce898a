"""``/api/messages``: create (validate -> save -> publish), list through the GSIs, get one."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core.errors import UpstreamError, ValidationError
from services.core.message_validation import validate_create_request
from services.core.messages import Message, MessageType, Status

router = Router()
MAX_LIMIT = 100


@router.post("/api/messages")
def create_message() -> Response:
    deps = router.context["deps"]
    body = _json_body(router.current_event.decoded_body)
    request = validate_create_request(body)
    message = Message.new(
        message_type=request.message_type, payload=request.payload, arguments=request.arguments,
        auth_config=request.auth_config, version=request.version, created_by="webapi",
        stage=request.stage or deps.settings.stage, status=Status.QUEUED,
    )
    deps.messages.create(message)
    try:
        deps.publisher.publish(message)
    except Exception as exc:  # the message is stored: record why it will never be processed
        deps.messages.update_status(message.id, Status.FAILED, error_message=f"publish failed: {type(exc).__name__}")
        raise UpstreamError("failed to publish message") from exc
    return Response(status_code=201, content_type="application/json",
                    body=json.dumps(message.to_json_dict(), separators=(",", ":")))


@router.get("/api/messages")
def list_messages() -> dict:
    deps = router.context["deps"]
    query = router.current_event.query_string_parameters or {}
    status = _enum(Status, query.get("status"), "status")
    message_type = _enum(MessageType, query.get("message_type"), "message_type")
    limit = _limit(query.get("limit"))
    page = deps.messages.list(stage=query.get("stage") or deps.settings.stage, status=status,
                              message_type=message_type, limit=limit, cursor=query.get("cursor") or None)
    body: dict = {"messages": [m.to_json_dict() for m in page.messages], "count": len(page.messages)}
    if page.cursor:
        body["next_cursor"] = page.cursor
    return body


@router.get("/api/messages/<message_id>")
def get_message(message_id: str) -> dict:
    return router.context["deps"].messages.get(message_id).to_json_dict()


def _json_body(raw: str | None) -> object:
    if not raw:
        raise ValidationError.for_field("body", "is required (a JSON object)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError.for_field("body", f"is not valid JSON ({exc.msg} at position {exc.pos})") from exc


def _enum(kind, raw: str | None, field: str):
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValidationError.for_field(field, f"must be one of {', '.join(k.value for k in kind)}") from exc


def _limit(raw: str | None) -> int:
    if raw in (None, ""):
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationError.for_field("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)
