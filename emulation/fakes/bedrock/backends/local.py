"""Local backend: a real model (Qwen2.5-Coder-1.5B-Instruct, llama.cpp) behind Converse.

``make llm`` installs the server and the model (``local_model``); with
``REZ_BEDROCK_BACKEND=local`` the stack starts ``llama_cpp.server`` (``local_server``) and this
backend forwards every Converse / ConverseStream call to its OpenAI-compatible API through the
same mapping as the ``openai`` backend. Not installed → start-up fails with "run: make llm"
(never a canned answer).

What a 1.5B model cannot do reliably, and how the mapping handles it (measured, LOCAL_LLM.md §3):

* It prints tool calls as text (a ```json block or ``<tool_call>`` tags) instead of structured
  calls: the text is parsed back into ``toolUse`` when it names an offered tool (``salvage``).
* After a tool result it calls the tool again instead of answering: when the request ends with
  tool results, no tools are offered and the tool turns are rewritten as plain text, so the model
  answers from them (``answer_after_tool``). So **one tool call per user turn**: a chain such as
  "search, then book the earliest" stops after the search and the model answers with its results;
  the next user turn can continue the chain.
* Parallel tool calls: only the first call of a turn is kept (the others are dropped and the
  turn's text says so), because the model's second call is usually a duplicate or malformed.
* Relative dates: a 1.5B model miscounts weekdays, so a seven-day calendar derived from the
  system prompt's ``Current date and time`` line is added. The model still picks the day;
  nothing else is added to what it sees.
* Latency: prompt evaluation (~40 tokens/s here) dominates, and the system prompt plus the eight
  tool schemas is ~2.3k tokens. The clock lines (which change every minute) are moved out of the
  system prompt into a system message just before the latest user message, so the long prefix is
  identical on every turn and comes from the server's prompt cache.
* ``temperature`` defaults to 0 (the request's value is overridden) so evaluations repeat, and
  ``maxTokens`` is capped at 512 (answers are short; generation runs at ~16 tokens/s here).

LIMITATIONS: answers are the model's own — it may skip the confirmation before booking, mis-read
a time window or invent text; ``make eval-agent`` measures how often. Requests are served one at
a time. The Converse ``modelId`` is ignored.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from ..wire import ContentBlock, ConverseRequest, ModelTurn, ServiceUnavailableException
from .local_model import MODEL, installation
from .openai import OpenAIBackend

_LOCAL_NOW = re.compile(r"Local time at the golf courses[^:]*:\s*\w+\s+(\d{4}-\d{2}-\d{2})")
_UTC_NOW = re.compile(r"Current date and time:\s*(\d{4}-\d{2}-\d{2})")
_CLOCK_LINES = ("Current date and time:", "Local time at the golf courses")
MAX_TOKENS = 512


def calendar_hint(system: str) -> str | None:
    """"Today is Saturday 2026-11-28. Tomorrow is Sunday 2026-11-29. ..." from the system prompt."""
    m = _LOCAL_NOW.search(system) or _UTC_NOW.search(system)
    if not m:
        return None
    today = datetime.strptime(m.group(1), "%Y-%m-%d").date()
    days = [today + timedelta(days=k) for k in range(8)]
    names = ["Today", "Tomorrow"] + [f"{d:%A}" for d in days[2:]]
    return "Calendar: " + "; ".join(f"{n} = {d:%A %Y-%m-%d}" for n, d in zip(names, days, strict=True)) + "."


def split_clock(system: str) -> tuple[str, str]:
    """(system prompt without its clock lines, the clock lines)."""
    lines = system.splitlines()
    clock = [ln for ln in lines if ln.startswith(_CLOCK_LINES)]
    return "\n".join(ln for ln in lines if not ln.startswith(_CLOCK_LINES)).strip("\n"), "\n".join(clock)


class LocalBackend(OpenAIBackend):
    name = "local"

    def __init__(
        self,
        base_url: str | None = None,
        model: str = "local",
        timeout: float = 110.0,
        temperature: float | None = 0.0,
        threads: int = 2,
        n_ctx: int = 8192,
        client: httpx.Client | None = None,
    ) -> None:
        self.server = None
        if base_url is None:
            from .local_server import LocalServerError, shared_server

            try:
                self.server = shared_server(threads=int(threads), n_ctx=int(n_ctx))
            except LocalServerError as e:
                raise FileNotFoundError(str(e)) from e
            base_url = self.server.base_url
        # below the agent's 120 s read timeout, so a slow turn is a ModelTimeoutException, not a retry storm
        super().__init__(base_url=base_url, model=model, timeout=float(timeout), salvage_tool_calls=True,
                         answer_after_tool=True, client=client)
        self.temperature = None if temperature is None else float(temperature)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.update({"model_file": MODEL.file, "model_name": MODEL.name, "licence": MODEL.licence})
        if self.server is not None:
            info["server_started_in_s"] = round(self.server.started_in or 0, 1)
        missing = installation().missing() if self.server is not None else None
        if missing:
            info.update({"ok": False, "error": missing})
        return info

    def _body(self, request: ConverseRequest) -> dict[str, Any]:
        body = super()._body(request)
        messages = body["messages"]
        if messages and messages[0]["role"] == "system":
            stable, clock = split_clock(messages[0]["content"])
            hint = calendar_hint(clock)
            if clock:
                messages[0] = {**messages[0], "content": stable}
                last_user = max((k for k, m in enumerate(messages) if m["role"] == "user"), default=len(messages))
                messages.insert(last_user, {"role": "system", "content": clock + ("\n" + hint if hint else "")})
        if self.temperature is not None:
            body["temperature"] = self.temperature
        body["max_tokens"] = min(int(body.get("max_tokens") or MAX_TOKENS), MAX_TOKENS)
        return body

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        if self.server is not None and not self.server.running():
            raise ServiceUnavailableException(
                f"the local model server exited; see {self.server.log_path}:\n{self.server.log_tail(5)}"
            )
        turn = super().converse(model_id, request)
        uses = [b for b in turn.content if b.toolUse is not None]
        if len(uses) <= 1:
            return turn
        texts = [b for b in turn.content if b.text is not None and b.text.strip()]
        dropped = ", ".join(b.toolUse.name for b in uses[1:] if b.toolUse)
        note = ContentBlock(text=f"(local model: one tool call per turn; dropped {dropped})")
        return ModelTurn(content=[*texts, note, uses[0]], stop_reason="tool_use",
                         input_tokens=turn.input_tokens, output_tokens=turn.output_tokens)
