"""Composition root of the web API: every dependency a route needs, built once per container."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from services.core.aws import AwsClients
from services.core.message_repository import MessageRepository
from services.core.publisher import Publisher
from services.core.schedule_repository import ScheduleRepository
from services.core.settings import Settings, get_settings
from services.webapi.health_checks import HealthChecks


@dataclass
class WebApiDeps:
    settings: Settings
    clients: AwsClients
    messages: MessageRepository
    publisher: Publisher
    schedules: ScheduleRepository
    health: HealthChecks | None = None  # GET /api/health: its own short-timeout clients


def build_deps(settings: Settings, clients: AwsClients | None = None) -> WebApiDeps:
    clients = clients or AwsClients(settings.region)
    return WebApiDeps(
        settings=settings,
        clients=clients,
        messages=MessageRepository(clients.dynamodb, settings.messages_table),
        publisher=Publisher(clients.sns, settings),
        schedules=ScheduleRepository(clients.dynamodb, settings.schedules_table),
        health=HealthChecks(settings),
    )


@lru_cache(maxsize=1)
def default_deps() -> WebApiDeps:
    return build_deps(get_settings())
