"""Composition root of the agent: built once per container, clients created on first use.

The chat model is ``ChatBedrockConverse`` on a boto3 ``bedrock-runtime`` client made lazily (its
endpoint is boto3's own choice: ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` when set, else AWS). Tools come
from the MCP server at ``settings.mcp_server_url``, with the ``x-api-key`` header when the MCP API
key secret holds one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from mcp import ClientSession

from services.agent.cost import CostLimiter
from services.agent.pricing import max_output_tokens
from services.agent.sessions import SessionStore
from services.core.aws import AwsClients
from services.core.courses import CourseCatalog
from services.core.errors import ConfigurationError
from services.core.message_repository import MessageRepository
from services.core.publisher import Publisher
from services.core.secrets import SecretsReader
from services.core.settings import Settings, get_settings

logger = logging.getLogger(__name__)
MCP_SERVER = "rez-agent-mcp"
MCP_TIMEOUT = timedelta(seconds=30)
BEDROCK_CONFIG = Config(retries={"max_attempts": 4, "mode": "adaptive"}, connect_timeout=5, read_timeout=120)


@dataclass
class McpConnection:
    """Where the tools are, and the key to send (read when a session opens, cached 5 min)."""

    url: str
    secret_name: str
    secrets: SecretsReader

    def headers(self) -> dict[str, str]:
        if not self.secret_name:
            return {}
        key = self.secrets.get_json(self.secret_name).get("api_key", "").strip()
        return {"x-api-key": key} if key else {}

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ClientSession]:
        from langchain_mcp_adapters.client import MultiServerMCPClient

        if not self.url:
            raise ConfigurationError("MCP_SERVER_URL is not configured: the agent has no tools")
        client = MultiServerMCPClient({MCP_SERVER: {"transport": "streamable_http", "url": self.url,
                                                    "headers": self.headers(), "timeout": MCP_TIMEOUT}})
        async with client.session(MCP_SERVER) as session:
            yield session


@dataclass
class AgentDeps:
    settings: Settings
    sessions: SessionStore
    limiter: CostLimiter
    mcp: McpConnection
    courses: CourseCatalog
    messages: MessageRepository
    publisher: Publisher
    _model: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def model(self) -> Any:
        """The chat model, made on first use and reused by every later invocation."""
        with self._lock:
            if self._model is None:
                from langchain_aws import ChatBedrockConverse

                session = boto3.session.Session(region_name=self.settings.bedrock_region)
                self._model = ChatBedrockConverse(
                    model=self.settings.bedrock_model_id, region_name=self.settings.bedrock_region,
                    temperature=self.settings.bedrock_temperature, max_tokens=model_max_tokens(self.settings),
                    client=session.client("bedrock-runtime", config=BEDROCK_CONFIG),
                    bedrock_client=session.client("bedrock", config=BEDROCK_CONFIG))
            return self._model


def model_max_tokens(settings: Settings) -> int:
    """``BEDROCK_MAX_TOKENS``, but never above the model's limit: Bedrock refuses the call otherwise."""
    limit = max_output_tokens(settings.bedrock_model_id)
    if limit is not None and settings.bedrock_max_tokens > limit:
        logger.warning("BEDROCK_MAX_TOKENS=%d is above the %d output tokens %s allows: using %d",
                       settings.bedrock_max_tokens, limit, settings.bedrock_model_id, limit)
        return limit
    return settings.bedrock_max_tokens


def build_deps(settings: Settings, clients: AwsClients | None = None, *, model: Any = None) -> AgentDeps:
    clients = clients or AwsClients(settings.region)
    return AgentDeps(
        settings=settings,
        sessions=SessionStore(clients.dynamodb, settings.sessions_table),
        limiter=CostLimiter(clients.dynamodb, settings.cost_table, settings.bedrock_model_id,
                            settings.agent_daily_cap_usd, model_max_tokens(settings)),
        mcp=McpConnection(settings.mcp_server_url, settings.mcp_api_key_secret_name,
                          SecretsReader(clients.secretsmanager)),
        courses=CourseCatalog.from_settings(settings),
        messages=MessageRepository(clients.dynamodb, settings.messages_table),
        publisher=Publisher(clients.sns, settings),
        _model=model,
    )


@lru_cache(maxsize=1)
def default_deps() -> AgentDeps:
    return build_deps(get_settings())
