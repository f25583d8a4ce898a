"""Composition root of the MCP server: everything the tools need, built once per container.

The golf and weather tools run the web-action code in-process (``services.webaction``), so they
get the web action's own dependencies; notifications go straight to ntfy; schedule tools use the
schedules table and the schedule-creation topic like ``POST /api/schedules``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import httpx

from services.core.aws import AwsClients
from services.core.errors import ConfigurationError
from services.core.ntfy import NtfyNotifier
from services.core.schedule_repository import ScheduleRepository
from services.core.secrets import SecretsReader
from services.core.settings import Settings, get_settings
from services.webaction.deps import WebActionDeps
from services.webaction.deps import build_deps as build_webaction_deps

logger = logging.getLogger(__name__)
API_KEY_FIELD = "api_key"


@dataclass
class McpDeps:
    settings: Settings
    web: WebActionDeps
    notifier: NtfyNotifier
    schedules: ScheduleRepository
    secrets: SecretsReader
    _warned: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def api_key(self) -> str | None:
        """The key clients must send as ``x-api-key``; None when authentication is off.

        Read from Secrets Manager (``{"api_key": "..."}``, cached for five minutes). No secret
        configured, or an empty one, turns authentication off with one warning per container.
        """
        name = self.settings.mcp_api_key_secret_name
        key = ""
        if name:
            try:
                key = self.secrets.get_json(name).get(API_KEY_FIELD, "").strip()
            except ConfigurationError as exc:  # a missing or malformed secret must not open the server silently
                raise ConfigurationError(f"MCP API key unavailable: {exc.message}") from None
        if not key:
            with self._lock:
                if not self._warned:
                    logger.warning("MCP API key not configured (secret %r empty or unset): authentication disabled",
                                   name)
                    self._warned = True
            return None
        return key


def build_deps(settings: Settings, clients: AwsClients | None = None, *,
               http_client: httpx.Client | None = None, web: WebActionDeps | None = None) -> McpDeps:
    clients = clients or AwsClients(settings.region)
    ntfy_http = httpx.Client(timeout=settings.ntfy_timeout_seconds, follow_redirects=False)
    return McpDeps(
        settings=settings,
        web=web or build_webaction_deps(settings, clients, http_client=http_client),
        notifier=NtfyNotifier(ntfy_http, settings.ntfy_url, max_attempts=settings.ntfy_max_attempts,
                              backoff=settings.ntfy_backoff_seconds),
        schedules=ScheduleRepository(clients.dynamodb, settings.schedules_table),
        secrets=SecretsReader(clients.secretsmanager),
    )


@lru_cache(maxsize=1)
def default_deps() -> McpDeps:
    return build_deps(get_settings())
