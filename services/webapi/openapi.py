"""The web API's OpenAPI 3.1 document (served publicly at ``GET /api/openapi.json``).

Paths, operations, summaries and path parameters come from the resolver itself (powertools'
``get_openapi_schema``), so a route cannot exist without being documented. The routes read their
body and query themselves (the boundary checks of ``routes/_request.py`` run before any model), so
what powertools cannot see from a signature is added here from the same pydantic models and enums
the routes validate with: request bodies, query parameters, the error shape, and the user token.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import TypeAdapter

from services.core.message_validation import CreateMessageRequest
from services.core.messages import STAGES, MessageType, Status
from services.core.schedule_requests import CreateCommand, RefCommand, UpdateCommand
from services.core.schedules import ScheduleStatus
from services.webapi.routes._request import MAX_BODY_BYTES, MAX_LIMIT

PUBLIC = {("get", "/api/health"), ("get", "/api/openapi.json")}
_ERROR = {
    "type": "object", "required": ["error", "status"],
    "properties": {
        "error": {"type": "string", "description": "what is wrong, with every field problem"},
        "status": {"type": "string", "description": "the HTTP status, as a string"},
        "details": {"type": "array", "items": {
            "type": "object", "required": ["field", "problem"],
            "properties": {"field": {"type": "string"}, "problem": {"type": "string"}}}},
    },
}
_UNAUTHORIZED = {"type": "object", "required": ["message"], "properties": {"message": {"const": "Unauthorized"}}}
_BODY_TYPES: dict[tuple[str, str], Any] = {
    ("post", "/api/messages"): CreateMessageRequest,
    ("post", "/api/schedules"): CreateCommand | UpdateCommand | RefCommand,
}
_REF = "#/components/schemas/{model}"


def _enum(kind: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [k.value for k in kind]}


_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}
_CURSOR = {"name": "cursor", "in": "query", "schema": {"type": "string"},
           "description": "next_cursor of the previous page (same filters)"}
_QUERIES = {
    ("get", "/api/messages"): [
        {"name": "stage", "in": "query", "schema": {"type": "string", "enum": list(STAGES)}},
        {"name": "status", "in": "query", "schema": _enum(Status)},
        {"name": "message_type", "in": "query", "schema": _enum(MessageType)},
        _LIMIT, _CURSOR,
    ],
    ("get", "/api/schedules"): [{"name": "status", "in": "query", "schema": _enum(ScheduleStatus)}, _LIMIT, _CURSOR],
}


def openapi_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    schema = app.get_openapi_schema(title="rez-agent HTTP API", version="1.0.0",
                                    description="Messages, web actions, schedules, results, DLQs, metrics. "
                                                f"Bad input is a 400 naming each field; bodies up to "
                                                f"{MAX_BODY_BYTES} bytes of UTF-8 JSON.")
    document = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):  # powertools' 422
        schemas.pop(unused, None)
    schemas.update({"Error": _ERROR, "Unauthorized": _UNAUTHORIZED})
    bodies = {}
    for key, kind in _BODY_TYPES.items():
        body = TypeAdapter(kind).json_schema(ref_template=_REF)
        schemas.update(body.pop("$defs", {}))
        bodies[key] = body
    components["securitySchemes"] = {"userToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    document["security"] = [{"userToken": []}]
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _complete(operation, method, path, bodies)
    return document


def _complete(operation: dict[str, Any], method: str, path: str, bodies: dict[tuple[str, str], Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # powertools' own validation is not used: our 400 says what is wrong
    errors = {"400": "bad input: every field problem is named", "404": "not found"}
    if (method, path) in PUBLIC:
        operation["security"] = []
    else:
        responses["401"] = {"description": "missing, invalid or expired user token",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unauthorized"}}}}
    for status, description in errors.items():
        responses.setdefault(status, {"description": description,
                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    if (method, path) in bodies:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": bodies[method, path]}}}
    if (method, path) in _QUERIES:
        operation["parameters"] = [*operation.get("parameters", []), *_QUERIES[method, path]]
