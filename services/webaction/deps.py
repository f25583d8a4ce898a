"""Composition root of the web-action consumer: everything ``execute`` needs, built once per container."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import httpx

from services.core.aws import AwsClients
from services.core.courses import CourseCatalog
from services.core.http import OutboundHttp
from services.core.jwt_verify import JwtVerifier
from services.core.message_repository import MessageRepository
from services.core.oauth import OAuthClient
from services.core.publisher import Publisher
from services.core.result_repository import ResultRepository
from services.core.secrets import SecretsReader
from services.core.settings import Settings, get_settings
from services.core.ssrf import Resolver, SsrfGuard, system_resolver


@dataclass
class WebActionDeps:
    settings: Settings
    messages: MessageRepository
    results: ResultRepository
    publisher: Publisher
    http: OutboundHttp
    oauth: OAuthClient
    jwt: JwtVerifier
    courses: CourseCatalog
    booking_pause: float = 0.0  # seconds between pricing and reserving (see golf/book.py)
    sleep: Callable[[float], None] = field(default=time.sleep)


def build_deps(settings: Settings, clients: AwsClients | None = None, *, http_client: httpx.Client | None = None,
               resolver: Resolver = system_resolver, sleep: Callable[[float], None] = time.sleep,
               booking_pause: float = 0.0) -> WebActionDeps:
    clients = clients or AwsClients(settings.region)
    guard = SsrfGuard(settings.ssrf_allowed_hosts, settings.ssrf_trusted_origins, resolver=resolver)
    http = OutboundHttp.from_settings(settings, guard, client=http_client, sleep=sleep)
    return WebActionDeps(
        settings=settings,
        messages=MessageRepository(clients.dynamodb, settings.messages_table),
        results=ResultRepository(clients.dynamodb, settings.results_table),
        publisher=Publisher(clients.sns, settings),
        http=http,
        oauth=OAuthClient(http, SecretsReader(clients.secretsmanager)),
        jwt=JwtVerifier(http, audience=settings.golf_jwt_audience),
        courses=CourseCatalog.from_settings(settings),
        booking_pause=booking_pause,
        sleep=sleep,
    )


@lru_cache(maxsize=1)
def default_deps() -> WebActionDeps:
    return build_deps(get_settings())
