"""``/api/messages``: create (validate -> save -> publish), list through the GSIs, get one."""

from __future__ import annotations

import json
import re

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from services.core.message_validation import check_message_storable, validate_create_request
from services.core.messages import Message, MessageType, Status
from services.core.submission import store_and_publish
from services.webapi.routes._request import enum_param, json_body, known_id, limit_param

router = Router()
MESSAGE_ID = re.compile(r"msg_[0-9]{14}_[0-9]{6}")


@router.post("/api/messages", summary="Submit a message (stored, then published to its topic)",
             status_code=201)
def create_message() -> Response[dict]:
    deps = router.context["deps"]
    request = validate_create_request(json_body(router.current_event))
    message = Message.new(
        message_type=request.message_type, payload=request.payload, arguments=request.arguments,
        auth_config=request.auth_config, version=request.version, created_by="webapi",
        stage=request.stage or deps.settings.stage, status=Status.QUEUED,
    )
    check_message_storable(message)
    message = store_and_publish(message, deps.messages, deps.publisher)
    return Response(status_code=201, content_type="application/json",
                    body=json.dumps(message.to_json_dict(), separators=(",", ":")))


@router.get("/api/messages", summary="List messages, newest first (filters: stage, status, message_type)")
def list_messages() -> dict:
    deps = router.context["deps"]
    query = router.current_event.query_string_parameters or {}
    status = enum_param(Status, query.get("status"), "status")
    message_type = enum_param(MessageType, query.get("message_type"), "message_type")
    limit = limit_param(query.get("limit"))
    page = deps.messages.list(stage=query.get("stage") or deps.settings.stage, status=status,
                              message_type=message_type, limit=limit, cursor=query.get("cursor") or None)
    body: dict = {"messages": [m.to_json_dict() for m in page.messages], "count": len(page.messages)}
    if page.cursor:
        body["next_cursor"] = page.cursor
    return body


@router.get("/api/messages/<message_id>", summary="One message and its status")
def get_message(message_id: str) -> dict:
    known_id(MESSAGE_ID, message_id, "message")
    return router.context["deps"].messages.get(message_id).to_json_dict()
