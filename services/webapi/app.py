"""The HTTP API resolver: routes, CORS, and one mapping from errors to responses."""

from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFound

from services.core.errors import RezError
from services.webapi.deps import WebApiDeps
from services.webapi.openapi import openapi_document
from services.webapi.routes import dlq, health, messages, results, schedules

logger = logging.getLogger(__name__)


def json_response(status: int, body: Any) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body, separators=(",", ":"), default=str))


def create_app() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", allow_headers=["Content-Type", "Authorization"]))
    app.include_router(health.router)
    app.include_router(messages.router)
    app.include_router(schedules.router)
    app.include_router(dlq.router)
    app.include_router(results.router)
    document: list[str] = []

    @app.get("/api/openapi.json", summary="This document (public)", include_in_schema=True)
    def _openapi() -> Response[dict]:
        if not document:  # built on first use, not on every cold start
            document.append(json.dumps(openapi_document(app), separators=(",", ":")))
        return Response(status_code=200, content_type="application/json", body=document[0])

    @app.exception_handler(RezError)
    def _rez_error(exc: RezError) -> Response:
        if exc.http_status >= 500:
            logger.error("request failed: %s", exc.message)
        return json_response(exc.http_status, exc.body())

    @app.not_found
    def _not_found(_exc: RouteNotFound) -> Response:
        return json_response(404, {"error": "endpoint not found", "status": "404"})

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, {"error": "internal error", "status": "500"})

    return app


def handle(event: dict[str, Any], context: Any, deps: WebApiDeps, app: APIGatewayHttpResolver) -> dict[str, Any]:
    app.append_context(deps=deps)
    try:
        return app.resolve(event, context)
    finally:
        app.clear_context()
