"""The contract every Converse backend implements, plus helpers they share.

A backend turns one validated Converse request into a :class:`ModelTurn`. It raises a
:class:`~emulation.fakes.bedrock.wire.BedrockError` subclass for anything the client should see
as an AWS error; a backend that cannot reach its model raises ``ServiceUnavailableException``
(never a canned answer).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Protocol, runtime_checkable

from ..wire import ConverseRequest, ModelTurn


@runtime_checkable
class Backend(Protocol):
    name: str

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn: ...

    def reset(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """Status for ``GET /_fake/bedrock/health``; must contain ``ok: bool``."""
        ...


@runtime_checkable
class ScenarioBackend(Backend, Protocol):
    def scenario_names(self) -> list[str]: ...

    def select_scenario(self, name: str) -> None: ...


_ID_SAFE = re.compile(r"[^a-zA-Z0-9_.:-]")


def stable_tool_use_id(*parts: Any) -> str:
    """A deterministic Bedrock-shaped tool use id (``tooluse_`` + 22 url-safe chars)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return "tooluse_" + digest[:22]


def safe_tool_use_id(raw: str, *fallback: Any) -> str:
    """Keep an upstream id when it fits Bedrock's ToolUseId pattern, else derive a stable one."""
    cleaned = _ID_SAFE.sub("_", raw or "")[:64]
    return cleaned or stable_tool_use_id(*fallback)
