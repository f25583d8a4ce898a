"""Ollama backend: forwards Converse to ``ollama.Client(host).chat(model, messages, tools)``.

Errors: unreachable server → ServiceUnavailableException (503); read timeout →
ModelTimeoutException (408); model not pulled (404) → ValidationException naming
``ollama pull <model>``; upstream 429 → ThrottlingException; other upstream errors →
ServiceUnavailableException. Never a canned answer.

LIMITATIONS: the Converse ``modelId`` is ignored (the ``model`` option picks the Ollama model);
no streaming to Ollama (ConverseStream is served from the complete answer); Ollama has no
tool-choice, so ``toolChoice`` is ignored; tool-call ids are generated deterministically.
"""

from __future__ import annotations

from typing import Any

import httpx
import ollama

from ..wire import (
    ConverseRequest,
    ModelTimeoutException,
    ModelTurn,
    ServiceUnavailableException,
    ThrottlingException,
    ValidationException,
)
from .chat_format import build_turn, chat_messages, chat_tools


class OllamaBackend:
    name = "ollama"

    def __init__(
        self,
        host: str = "http://127.0.0.1:11434",
        model: str = "qwen2.5:1.5b",
        timeout: float = 120.0,
        salvage_tool_calls: bool = True,
        answer_after_tool: bool = False,
        client: ollama.Client | None = None,
    ) -> None:
        self.host, self.model = host, model
        self.salvage, self.answer_after_tool = salvage_tool_calls, answer_after_tool
        self._client = client or ollama.Client(host=host, timeout=timeout)

    def reset(self) -> None:
        """Stateless."""

    def describe(self) -> dict[str, Any]:
        try:
            models = [m.model for m in self._client.list().models]
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as e:
            return {"ok": False, "host": self.host, "model": self.model, "error": f"Ollama unreachable: {e}"}
        return {
            "ok": self.model in models or any(m.startswith(self.model) for m in models),
            "host": self.host,
            "model": self.model,
            "models": models,
        }

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        flatten = self.answer_after_tool and bool(request.last_tool_results())
        messages = chat_messages(request, "ollama", flatten_tools=flatten)
        tools = None if flatten else (chat_tools(request) or None)
        cfg = request.inferenceConfig
        options = {}
        if cfg is not None:
            options = {
                k: v
                for k, v in {
                    "temperature": cfg.temperature,
                    "top_p": cfg.topP,
                    "num_predict": cfg.maxTokens,
                    "stop": cfg.stopSequences,
                }.items()
                if v is not None
            }
        try:
            resp = self._client.chat(
                model=self.model, messages=messages, tools=tools, options=options or None
            )
        except ConnectionError as e:
            raise ServiceUnavailableException(f"Ollama backend at {self.host} is unreachable: {e}") from e
        except httpx.TimeoutException as e:
            raise ModelTimeoutException(f"Ollama at {self.host} timed out: {e!r}") from e
        except ollama.ResponseError as e:
            if e.status_code == 404:
                raise ValidationException(
                    f"Ollama model {self.model!r} not found at {self.host}: {e.error} (run: ollama pull {self.model})"
                ) from e
            if e.status_code == 429:
                raise ThrottlingException(f"Ollama at {self.host} is busy: {e.error}") from e
            raise ServiceUnavailableException(
                f"Ollama at {self.host} failed ({e.status_code}): {e.error}"
            ) from e
        except httpx.HTTPError as e:
            raise ServiceUnavailableException(f"Ollama at {self.host} failed: {e!r}") from e
        msg = resp.message
        calls = [(None, c.function.name, dict(c.function.arguments)) for c in (msg.tool_calls or [])]
        return build_turn(
            request,
            msg.content or "",
            calls,
            finish=resp.done_reason,
            salvage_calls=self.salvage,
            input_tokens=resp.prompt_eval_count,
            output_tokens=resp.eval_count,
        )
