"""Composition root of the scheduler function: everything its parts need, built once per container."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from services.core.aws import AwsClients
from services.core.message_repository import MessageRepository
from services.core.publisher import Publisher
from services.core.schedule_repository import ScheduleRepository
from services.core.settings import Settings, get_settings
from services.scheduler.eventbridge import SchedulerApi


@dataclass
class SchedulerDeps:
    settings: Settings
    messages: MessageRepository
    schedules: ScheduleRepository
    publisher: Publisher
    eventbridge: SchedulerApi


def build_deps(settings: Settings, clients: AwsClients | None = None) -> SchedulerDeps:
    clients = clients or AwsClients(settings.region)
    return SchedulerDeps(
        settings=settings,
        messages=MessageRepository(clients.dynamodb, settings.messages_table),
        schedules=ScheduleRepository(clients.dynamodb, settings.schedules_table),
        publisher=Publisher(clients.sns, settings),
        eventbridge=SchedulerApi(clients.scheduler),
    )


@lru_cache(maxsize=1)
def default_deps() -> SchedulerDeps:
    return build_deps(get_settings())
