"""Composition root of the notifications processor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import httpx

from services.core.aws import AwsClients
from services.core.message_repository import MessageRepository
from services.core.ntfy import NtfyNotifier
from services.core.settings import Settings, get_settings


@dataclass
class ProcessorDeps:
    settings: Settings
    messages: MessageRepository
    notifier: NtfyNotifier


def build_deps(settings: Settings, clients: AwsClients | None = None,
               http: httpx.Client | None = None) -> ProcessorDeps:
    clients = clients or AwsClients(settings.region)
    http = http or httpx.Client(timeout=settings.ntfy_timeout_seconds, follow_redirects=False)
    return ProcessorDeps(
        settings=settings,
        messages=MessageRepository(clients.dynamodb, settings.messages_table),
        notifier=NtfyNotifier(http, settings.ntfy_url, max_attempts=settings.ntfy_max_attempts,
                              backoff=settings.ntfy_backoff_seconds),
    )


@lru_cache(maxsize=1)
def default_deps() -> ProcessorDeps:
    return build_deps(get_settings())
