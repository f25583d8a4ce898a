"""Lambda entry point of the web API (API Gateway HTTP API, payload format 2.0)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from services.core.logging import get_logger
from services.webapi.app import create_app, handle
from services.webapi.deps import default_deps

logger = get_logger("webapi")


@lru_cache(maxsize=1)
def _app():
    return create_app()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context, default_deps(), _app())
