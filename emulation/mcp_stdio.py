"""``rez mcp-stdio``: a stdio bridge so desktop MCP clients (Claude Desktop, IDEs) can use the
rez-agent MCP server, which speaks streamable HTTP at ``<api>/mcp``.

The client starts this as a command and talks MCP over stdin/stdout; every message is forwarded
unchanged to the HTTP endpoint with the official SDK's streamable-HTTP client, and every answer
comes back the same way. Logs go to stderr, never stdout (stdout is the protocol).

Configuration: ``--url`` or ``MCP_SERVER_URL`` (default ``http://127.0.0.1:8080/mcp``, the local
stack); ``--api-key`` or ``MCP_API_KEY`` (sent as ``x-api-key``). Example client entry::

    {"mcpServers": {"rez-agent": {"command": "rez", "args": ["mcp-stdio"]}}}

LIMITATIONS: one server, no reconnection: if the HTTP endpoint goes away the bridge exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

DEFAULT_URL = "http://127.0.0.1:8080/mcp"
logger = logging.getLogger("rez.mcp-stdio")


async def _pump(source: ObjectReceiveStream, sink: ObjectSendStream, what: str) -> None:
    async with sink:
        async for item in source:
            if isinstance(item, Exception):
                logger.error("%s: %s", what, item)
                continue
            await sink.send(item)


async def bridge(url: str, api_key: str | None = None) -> None:
    import httpx
    from mcp.client.streamable_http import streamable_http_client
    from mcp.server.stdio import stdio_server

    headers = {"x-api-key": api_key} if api_key else {}
    client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30.0, read=300.0), follow_redirects=True)
    async with client, stdio_server() as (stdin_messages, stdout_messages), \
            streamable_http_client(url, http_client=client) as (http_in, http_out, _session_id), \
            anyio.create_task_group() as group:
        async def upstream() -> None:
            await _pump(stdin_messages, http_out, "to server")
            group.cancel_scope.cancel()  # the desktop client closed stdin: we are done

        group.start_soon(upstream)
        group.start_soon(_pump, http_in, stdout_messages, "from server")


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
