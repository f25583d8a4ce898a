"""Map Converse requests to the chat-completions shape used by Ollama and OpenAI-compatible
servers, and tool calls back to Converse ``toolUse`` blocks.

* system blocks → one ``system`` message; user text → ``user``; assistant text + toolUse →
  ``assistant`` with ``tool_calls``; toolResult → ``tool`` messages (OpenAI: ``tool_call_id``;
  Ollama: ``tool_name``).
* ``salvage`` recovers calls that small models print as text (a ```json block, Qwen's
  ``<tool_call>{...}</tool_call>`` tags when the server leaves them in the text, or a bare
  ``{"name": ..., "arguments": {...}}`` naming an offered tool), see reference/LOCAL_LLM.md §3.
* ``answer_after_tool`` (LOCAL_LLM.md §3): when the request ends with tool results, offer no
  tools and rewrite the tool turns as plain text so tiny models answer instead of looping. It
  only suits one-tool-per-request conversations.

LIMITATIONS: images/documents are dropped; toolChoice ``tool`` maps to OpenAI's named choice,
Ollama has no tool choice.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from ..wire import ContentBlock, ConverseRequest, ModelTurn, ToolUseBlock
from .base import safe_tool_use_id, stable_tool_use_id

Flavor = Literal["openai", "ollama"]


def chat_tools(request: ConverseRequest) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": s.name,
                "description": s.description or "",
                "parameters": s.inputSchema.json_,
            },
        }
        for s in request.tool_specs()
    ]


def _tool_names(request: ConverseRequest) -> dict[str, str]:
    return {u.toolUseId: u.name for m in request.messages for u in m.tool_uses()}


def chat_messages(
    request: ConverseRequest, flavor: Flavor, *, flatten_tools: bool = False
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if request.system_text():
        out.append({"role": "system", "content": request.system_text()})
    names = _tool_names(request)
    for m in request.messages:
        text = m.text()
        if m.role == "assistant":
            uses = m.tool_uses()
            if flatten_tools:
                calls = [f"I called the tool {u.name} with {json.dumps(u.input)}." for u in uses]
                out.append({"role": "assistant", "content": "\n".join(filter(None, [text, *calls]))})
                continue
            msg: dict[str, Any] = {"role": "assistant", "content": text}
            if uses:
                msg["tool_calls"] = [
                    {
                        "id": u.toolUseId,
                        "type": "function",
                        "function": {"name": u.name, "arguments": json.dumps(u.input)},
                    }
                    if flavor == "openai"
                    else {"function": {"name": u.name, "arguments": u.input}}
                    for u in uses
                ]
            out.append(msg)
            continue
        for r in m.tool_results():
            name = names.get(r.toolUseId, "tool")
            body = r.as_text() if r.status != "error" else f"Error: {r.as_text()}"
            if flatten_tools:
                out.append(
                    {
                        "role": "user",
                        "content": f"Tool {name} returned:\n{body}\n\nAnswer my request using this.",
                    }
                )
            elif flavor == "openai":
                out.append({"role": "tool", "tool_call_id": r.toolUseId, "content": body})
            else:
                out.append({"role": "tool", "tool_name": name, "content": body})
        if text:
            out.append({"role": "user", "content": text})
    return out


_JSON_BLOCK = re.compile(
    r"```(?:json)?\s*(\{.*?\})\s*```|<tool_call>\s*(\{.*?\})\s*(?:</tool_call>|$)", re.DOTALL
)


def salvage(text: str, offered: set[str]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """(remaining text, tool calls) recovered from a model that printed its call as JSON."""
    candidates = [m.group(1) or m.group(2) for m in _JSON_BLOCK.finditer(text)] or (
        [text.strip()] if text.strip().startswith("{") else []
    )
    calls = []
    for raw in candidates:
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("name") in offered:
            args = obj.get("arguments", obj.get("parameters", {}))
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except ValueError:
                    continue
            if isinstance(args, dict):
                calls.append((obj["name"], args))
    if not calls:
        return text, []
    remaining = _JSON_BLOCK.sub("", text).strip() if _JSON_BLOCK.search(text) else ""
    return remaining, calls


def build_turn(
    request: ConverseRequest,
    text: str,
    calls: list[tuple[str | None, str, Any]],
    *,
    finish: str | None,
    salvage_calls: bool,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
) -> ModelTurn:
    """Converse turn from a chat answer; ``calls`` are (upstream id or None, name, arguments)."""
    offered = {s.name for s in request.tool_specs()}
    if not calls and salvage_calls and offered:
        text, found = salvage(text, offered)
        calls = [(None, n, a) for n, a in found]
    blocks = [ContentBlock(text=text)] if text.strip() else []
    for k, (upstream_id, name, args) in enumerate(calls):
        if isinstance(args, str):
            try:
                args = json.loads(args or "{}")
            except ValueError:
                args = {"_raw": args}
        fallback = (len(request.messages), k, name, args)
        use_id = safe_tool_use_id(upstream_id, *fallback) if upstream_id else stable_tool_use_id(*fallback)
        blocks.append(ContentBlock(toolUse=ToolUseBlock(toolUseId=use_id, name=name, input=args or {})))
    if calls:
        reason = "tool_use"
    elif finish == "length":
        reason = "max_tokens"
    else:
        reason = "end_turn"
    if not blocks:
        blocks = [ContentBlock(text=" ")]
    return ModelTurn(
        content=blocks, stop_reason=reason, input_tokens=input_tokens, output_tokens=output_tokens
    )
