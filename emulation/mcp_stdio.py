"""``rez mcp-stdio``: a stdio bridge so desktop MCP clients (Claude Desktop, IDEs) can use the
rez-agent MCP server, which speaks streamable HTTP at ``<api>/mcp``.

The client starts this as a command and talks MCP over stdin/stdout (the official SDK's stdio
transport); every message is POSTed unchanged to the HTTP endpoint and every answer (JSON, or the
events of an SSE response) comes back the same way. Logs go to stderr, never stdout (stdout is
the protocol).

Every request gets an answer, so a client never waits forever: when the server refuses the call
(a wrong or missing API key is HTTP 401 with ``Invalid API key``), fails, or cannot be reached, the
bridge answers the request with a JSON-RPC error naming the cause (``-32004 Invalid API key ...``,
``-32000`` for an unreachable server). A line on stdin that is not a JSON-RPC message has no id to
answer: it is logged and skipped.

Configuration: ``--url`` or ``MCP_SERVER_URL`` (default ``http://127.0.0.1:8080/mcp``, the local
stack); ``--api-key`` or ``MCP_API_KEY`` (sent as ``x-api-key``). Example client entry::

    {"mcpServers": {"rez-agent": {"command": "rez", "args": ["mcp-stdio"]}}}

LIMITATIONS: requests only, no standalone GET stream for server-initiated messages (the
rez-agent server is stateless and sends none); no resumption of a broken SSE response.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import anyio
import httpx
from mcp import types
from mcp.shared.message import SessionMessage

DEFAULT_URL = "http://127.0.0.1:8080/mcp"
UNAUTHORIZED = -32004  # the server's own code for a refused API key
SERVER_ERROR = -32000
logger = logging.getLogger("rez.mcp-stdio")


def error_message(request_id: types.RequestId, code: int, message: str) -> SessionMessage:
    return SessionMessage(types.JSONRPCMessage(types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))))


def refusal(response: httpx.Response, body: bytes, url: str) -> tuple[int, str]:
    """The JSON-RPC error for an HTTP error status: the server's own error when it sent one."""
    try:
        error = json.loads(body)["error"]
        code, text = int(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, text = SERVER_ERROR, body.decode(errors="replace")[:200] or response.reason_phrase
    if response.status_code in (401, 403):
        return UNAUTHORIZED if code == SERVER_ERROR else code, (
            f"{text or 'Invalid API key'} (HTTP {response.status_code} from {url}): the MCP server refused the "
            "API key; set MCP_API_KEY or --api-key to the key of this stack (invalid API key)")
    return code, f"{text} (HTTP {response.status_code} from {url})"


class HttpSide:
    """POSTs one message at a time, remembering the session id and protocol version the server gave."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client, self.url = client, url
        self.session_id: str | None = None
        self.protocol_version: str | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        if self.protocol_version:
            headers["MCP-Protocol-Version"] = self.protocol_version
        return headers

    async def forward(self, message: types.JSONRPCMessage, answer: Any) -> None:
        """Send one message; ``answer`` receives each message the server sends back."""
        request_id = message.root.id if isinstance(message.root, types.JSONRPCRequest) else None
        payload = message.model_dump(by_alias=True, mode="json", exclude_none=True)
        try:
            async with self.client.stream("POST", self.url, json=payload, headers=self._headers()) as response:
                if response.status_code >= 400:
                    body = await response.aread()
                    code, text = refusal(response, body, self.url)
                    logger.error("%s", text)
                    if request_id is not None:
                        await answer(error_message(request_id, code, text))
                    return
                if response.headers.get("mcp-session-id"):
                    self.session_id = response.headers["mcp-session-id"]
                if response.status_code == 202 or request_id is None:
                    return
                content_type = response.headers.get("content-type", "")
                if content_type.startswith("text/event-stream"):
                    from httpx_sse import EventSource

                    async for event in EventSource(response).aiter_sse():
                        if event.event == "message" and event.data:
                            await self._deliver(event.data, answer)
                else:
                    await self._deliver(await response.aread(), answer)
        except httpx.HTTPError as exc:
            text = f"MCP server unreachable at {self.url}: {type(exc).__name__}: {exc}"
            logger.error("%s", text)
            if request_id is not None:
                await answer(error_message(request_id, SERVER_ERROR, text))

    async def _deliver(self, raw: str | bytes, answer: Any) -> None:
        message = types.JSONRPCMessage.model_validate_json(raw)
        result = getattr(message.root, "result", None)
        if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
            self.protocol_version = result["protocolVersion"]  # the initialize answer
        await answer(SessionMessage(message))


async def bridge(url: str, api_key: str | None = None) -> None:
    from mcp.server.stdio import stdio_server

    headers = {"x-api-key": api_key} if api_key else {}
    client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=True)
    http = HttpSide(client, url)
    async with client, stdio_server() as (stdin_messages, stdout_messages), anyio.create_task_group() as group:
        lock = anyio.Lock()

        async def answer(message: SessionMessage) -> None:
            async with lock:
                await stdout_messages.send(message)

        async for item in stdin_messages:
            if isinstance(item, Exception):  # not a JSON-RPC message: there is no id to answer
                logger.error("ignored a line from the client that is not a JSON-RPC message: %s", item)
                continue
            # Requests run side by side: a slow tool call does not hold up a ping.
            group.start_soon(http.forward, item.message, answer)
        # stdin closed: the desktop client is done; answers still in flight are not awaited
        group.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rez mcp-stdio", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("MCP_SERVER_URL", DEFAULT_URL))
    parser.add_argument("--api-key", default=os.environ.get("MCP_API_KEY") or None)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="[mcp-stdio] %(message)s")
    logger.info("bridging stdio <-> %s", args.url)
    try:
        anyio.run(bridge, args.url, args.api_key)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        logger.error("bridge stopped: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
