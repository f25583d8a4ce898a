"""The MCP server (official ``mcp`` SDK, low-level ``Server``): tools/list and tools/call.

Errors follow the MCP specification (2025-11-25, "Error Handling"):

* protocol errors are JSON-RPC errors: an unknown tool is ``-32602`` ``Unknown tool: <name>``;
  malformed requests, unknown methods and bad params are answered by the SDK itself;
* tool execution errors are results with ``isError: true`` and a text the model can act on:
  arguments that break the tool's input schema (``Invalid arguments for <tool>: <field>: <why>``
  — the tool does not run), and anything the tool raised (bad dates, unknown course, the golf
  API refusing, ntfy down...).

``initialize``, ``notifications/initialized`` (202) and ``ping`` are the SDK's. There is no
per-process "initialized" flag (§17 item 15): the server is stateless, any request may reach
any container.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from jsonschema import Draft202012Validator
from mcp import types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import McpError

from services.core.errors import RezError
from services.mcp.deps import McpDeps
from services.mcp.tool_specs import ToolSpec, tool_specs
from services.mcp.tools import TOOLS

logger = logging.getLogger(__name__)

NAME = "rez-agent-mcp"
VERSION = "1.0.0"
INSTRUCTIONS = (
    "rez-agent tools for a golfer: search and book tee times at the configured golf courses, list "
    "reservations, NOAA weather forecasts, push notifications to the user's phone, and schedules that run "
    "these automatically. Search before booking; book only what the user confirmed."
)


def validation_problems(validator: Draft202012Validator, arguments: dict[str, Any]) -> list[str]:
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "arguments"
        problems.append(f"{where}: {error.message}")
    return problems


def error_result(text: str) -> types.ServerResult:
    return types.ServerResult(types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                                   isError=True))


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(name=spec.name, title=spec.title, description=spec.description,
                      inputSchema=spec.input_schema,
                      annotations=types.ToolAnnotations(title=spec.title, readOnlyHint=spec.read_only,
                                                        destructiveHint=spec.destructive, openWorldHint=True))


def build_server(deps: McpDeps) -> Server:
    specs = {s.name: s for s in tool_specs([c.name for c in deps.web.courses.courses])}
    validators = {name: Draft202012Validator(spec.input_schema) for name, spec in specs.items()}
    listed = [_tool(spec) for spec in specs.values()]
    server: Server = Server(NAME, version=VERSION, instructions=INSTRUCTIONS)

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return listed

    async def call_tool(request: types.CallToolRequest) -> types.ServerResult:
        name = request.params.name
        if name not in specs:
            raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=f"Unknown tool: {name}"))
        arguments = dict(request.params.arguments or {})
        problems = validation_problems(validators[name], arguments)
        if problems:
            return error_result(f"Invalid arguments for {name}: " + "; ".join(problems))
        try:
            text = await anyio.to_thread.run_sync(TOOLS[name], arguments, deps)
        except RezError as exc:
            logger.info("tool %s failed: %s", name, exc.message)
            return error_result(f"{name} failed: {exc.message}")
        except Exception as exc:
            logger.exception("tool %s crashed", name)
            return error_result(f"{name} failed: internal error ({type(exc).__name__})")
        return types.ServerResult(types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                                       isError=False))

    # Registered directly rather than with ``@server.call_tool()``: that decorator turns every
    # exception, an unknown tool included, into an isError result.
    server.request_handlers[types.CallToolRequest] = call_tool
    return server
