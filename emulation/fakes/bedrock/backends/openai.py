"""OpenAI-compatible backend: forwards Converse to ``POST {base_url}/chat/completions``
(llama.cpp ``llama-server``, ``llama_cpp.server``, vLLM, LM Studio) with httpx.

Errors: connection refused → ServiceUnavailableException (503); timeout → ModelTimeoutException
(408); upstream 429 → ThrottlingException; upstream 5xx → ServiceUnavailableException; other
upstream 4xx → ValidationException with the upstream body. Never a canned answer.

LIMITATIONS: the Converse ``modelId`` is ignored (the ``model`` option is sent); no upstream
streaming; toolChoice ``any`` maps to ``"required"``, which some servers reject (llama_cpp.server
answers 500, see reference/LOCAL_LLM.md §2).
"""

from __future__ import annotations

from typing import Any

import httpx

from ..wire import (
    ConverseRequest,
    ModelTimeoutException,
    ModelTurn,
    ServiceUnavailableException,
    ThrottlingException,
    ValidationException,
)
from .chat_format import build_turn, chat_messages, chat_tools


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080/v1",
        model: str = "local",
        api_key: str = "sk-local",
        timeout: float = 300.0,
        salvage_tool_calls: bool = True,
        answer_after_tool: bool = False,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url, self.model = base_url.rstrip("/"), model
        self.salvage, self.answer_after_tool = salvage_tool_calls, answer_after_tool
        self._client = client or httpx.Client(
            base_url=self.base_url, timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
        )

    def reset(self) -> None:
        """Stateless."""

    def describe(self) -> dict[str, Any]:
        try:
            r = self._client.get("/models")
            r.raise_for_status()
            models = [m.get("id") for m in r.json().get("data", [])]
        except (httpx.HTTPError, ValueError) as e:
            return {
                "ok": False,
                "base_url": self.base_url,
                "error": f"OpenAI-compatible server unreachable: {e!r}",
            }
        return {"ok": True, "base_url": self.base_url, "model": self.model, "models": models}

    def _body(self, request: ConverseRequest) -> dict[str, Any]:
        flatten = self.answer_after_tool and bool(request.last_tool_results())
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(request, "openai", flatten_tools=flatten),
        }
        tools = [] if flatten else chat_tools(request)
        if tools:
            body["tools"] = tools
            choice = request.toolConfig.toolChoice if request.toolConfig else None
            if choice is not None and choice.any is not None:
                body["tool_choice"] = "required"
            elif choice is not None and choice.tool is not None:
                body["tool_choice"] = {"type": "function", "function": {"name": choice.tool.name}}
        cfg = request.inferenceConfig
        if cfg is not None:
            body.update(
                {
                    k: v
                    for k, v in {
                        "max_tokens": cfg.maxTokens,
                        "temperature": cfg.temperature,
                        "top_p": cfg.topP,
                        "stop": cfg.stopSequences,
                    }.items()
                    if v is not None
                }
            )
        return body

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        where = f"{self.base_url}/chat/completions"
        try:
            r = self._client.post("/chat/completions", json=self._body(request))
        except httpx.TimeoutException as e:
            raise ModelTimeoutException(f"OpenAI-compatible server {where} timed out: {e!r}") from e
        except httpx.TransportError as e:
            raise ServiceUnavailableException(
                f"OpenAI-compatible server {where} is unreachable: {e!r}"
            ) from e
        if r.status_code == 429:
            raise ThrottlingException(f"{where} throttled the request: {r.text[:500]}")
        if r.status_code >= 500:
            raise ServiceUnavailableException(f"{where} failed with HTTP {r.status_code}: {r.text[:500]}")
        if r.status_code >= 400:
            raise ValidationException(f"{where} rejected the request (HTTP {r.status_code}): {r.text[:500]}")
        try:
            data = r.json()
            choice = data["choices"][0]
            msg = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise ServiceUnavailableException(f"{where} returned an unexpected body: {r.text[:500]}") from e
        calls = [
            (c.get("id"), c["function"]["name"], c["function"].get("arguments") or "{}")
            for c in (msg.get("tool_calls") or [])
        ]
        usage = data.get("usage") or {}
        return build_turn(
            request,
            msg.get("content") or "",
            calls,
            finish=choice.get("finish_reason"),
            salvage_calls=self.salvage,
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )
