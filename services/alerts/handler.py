"""Lambda entry point of the alerts function (SNS: the alerts topic)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import httpx

from services.alerts.notify import AlertDeps, handle_alarm_record
from services.core.aws import AwsClients
from services.core.logging import get_logger
from services.core.message_repository import MessageRepository
from services.core.ntfy import NtfyNotifier
from services.core.settings import get_settings

logger = get_logger("alerts")


@lru_cache(maxsize=1)
def default_deps() -> AlertDeps:
    settings = get_settings()
    clients = AwsClients(settings.region)
    return AlertDeps(
        sqs=clients.sqs, messages=MessageRepository(clients.dynamodb, settings.messages_table),
        notifier=NtfyNotifier(httpx.Client(timeout=settings.ntfy_timeout_seconds), settings.ntfy_url,
                              max_attempts=settings.ntfy_max_attempts, backoff=settings.ntfy_backoff_seconds),
        redrive_queues=json.loads(settings.redrive_queues or "{}"))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    deps = default_deps()
    for record in event.get("Records", []):
        handle_alarm_record(record, deps)
