"""Seed diagram "MCP Server Tool Execution": the official ``mcp`` SDK client over streamable HTTP,
against ``POST /mcp`` of the running stack (API Gateway -> the mcp function -> web actions, ntfy,
schedules)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from tests.e2e.conftest import inbox, wait_for

pytestmark = pytest.mark.e2e

TOOLS = {"golf_search_tee_times", "golf_book_tee_time", "golf_get_reservations", "get_weather",
         "send_notification", "list_schedules", "create_schedule", "delete_schedule"}


def mcp(stack, body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with httpx.AsyncClient(headers={"x-api-key": stack.mcp_api_key}, timeout=30) as http, \
                streamable_http_client(f"{stack.urls.api}/mcp", http_client=http) as (read, write, _), \
                ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)
    return asyncio.run(run())


def text(result) -> str:
    return "\n".join(block.text for block in result.content)


def tomorrow(control) -> str:
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    return (now + timedelta(days=1)).strftime("%Y-%m-%d")


def test_tools_are_listed_with_precise_schemas(stack):
    listed = mcp(stack, lambda s: s.list_tools()).tools
    assert {t.name for t in listed} == TOOLS
    by_name = {t.name: t for t in listed}
    for tool in listed:
        assert len(tool.description) > 60 and tool.inputSchema["additionalProperties"] is False
    search = by_name["golf_search_tee_times"].inputSchema
    assert set(search["required"]) == {"course_name", "start_time", "end_time", "num_players"}
    assert search["properties"]["num_players"] == {**search["properties"]["num_players"], "minimum": 1, "maximum": 4}
    assert "Birdsfoot Golf Course" in search["properties"]["course_name"]["examples"]
    assert search["properties"]["start_time"]["pattern"].startswith("^\\d{4}")
    weather = by_name["get_weather"].inputSchema["properties"]
    assert weather["grid"]["pattern"] and weather["days"]["maximum"] == 7 and "url" not in weather
    assert by_name["golf_book_tee_time"].annotations.destructiveHint is True
    assert by_name["golf_get_reservations"].annotations.readOnlyHint is True


def test_search_book_reservations_and_the_stored_results(stack, api, ntfy, control, unbooked_golf_days):
    day = tomorrow(control)

    async def flow(s: ClientSession):
        search = await s.call_tool("golf_search_tee_times", {
            "course_name": "Totteridge", "start_time": f"{day}T09:00:00", "end_time": f"{day}T12:00:00",
            "num_players": 1, "max_results": 3})
        sheet = int(re.findall(r"Tee Sheet ID: (\d+)", text(search))[-1])
        booked = await s.call_tool("golf_book_tee_time", {"course_name": "Totteridge", "tee_sheet_id": sheet,
                                                          "num_players": 1})
        listing = await s.call_tool("golf_get_reservations", {"course_name": "Totteridge"})
        return search, booked, listing

    before = len(inbox(ntfy))
    search, booked, listing = mcp(stack, flow)
    assert not search.isError and 1 <= len(re.findall("Tee Sheet ID", text(search))) <= 3
    assert not booked.isError and "Booked Successfully" in text(booked)
    key = re.search(r"Confirmation: (\S+)", text(booked)).group(1)
    assert not listing.isError and key in text(listing)
    # the booking confirmation reaches the phone; searches and listings do not
    notes = wait_for(lambda: [m for m in inbox(ntfy)[before:] if key in m["message"]], what="booking notification")
    assert len(notes) == 1 and not any("Available Tee Times" in m["message"] for m in inbox(ntfy)[before:])
    # every call is recorded like a web action: a message and its result row
    stored = api.get("/api/messages", params={"message_type": "web_action", "limit": 10}).json()["messages"]
    ours = [m for m in stored if m["created_by"] == "mcp-server" and m["status"] == "completed"]
    operations = {m["arguments"]["operation"] for m in ours}
    assert {"search_tee_times", "book_tee_time", "fetch_reservations"} <= operations
    booking = next(m for m in ours if m["arguments"]["operation"] == "book_tee_time")
    rows = api.get(f"/api/messages/{booking['id']}/results").json()["results"]
    assert rows[-1]["status"] == "completed" and key in rows[-1]["response_body"]


def test_weather_by_course_or_grid_point_never_a_url(stack):
    async def calls(s: ClientSession):
        return [await s.call_tool("get_weather", args) for args in (
            {"course_name": "Totteridge", "days": 1}, {"grid": "PBZ/95,64", "days": 2},
            {"grid": "https://evil.example/gridpoints/PBZ/1,1/forecast"}, {"url": "https://api.weather.gov/x"},
            {"course_name": "Totteridge", "grid": "PBZ/95,64"}, {})]
    by_course, by_grid, url_grid, url_arg, both, neither = mcp(stack, calls)
    assert not by_course.isError and "Weather Forecast" in text(by_course)
    assert not by_grid.isError and text(by_grid).count("📅") >= 3
    for result in (url_grid, url_arg):
        assert result.isError and "Invalid arguments for get_weather" in text(result)
    for result in (both, neither):
        assert result.isError and "exactly one of course_name or grid" in text(result)


def test_send_notification(stack, ntfy):
    before = len(inbox(ntfy))
    result = mcp(stack, lambda s: s.call_tool("send_notification", {"message": "Leave at 8", "title": "Golf",
                                                                    "priority": "high"}))
    assert not result.isError and "Notification sent" in text(result)
    note = wait_for(lambda: [m for m in inbox(ntfy)[before:] if m["message"] == "Leave at 8"], what="notification")[0]
    assert note["title"] == "Golf" and note["priority"] == 4


def test_create_list_and_delete_a_schedule(stack):
    created = mcp(stack, lambda s: s.call_tool("create_schedule", {
        "name": "mcp-weather", "schedule_expression": "cron(0 7 * * ? *)", "timezone": "America/New_York",
        "target_type": "web_action", "payload": {"action": "weather", "courseID": 2, "days": 2},
        "description": "daily forecast"}))
    assert not created.isError, text(created)
    schedule_id = re.search(r"(sched_\d{14}_[0-9a-f]{8})", text(created)).group(1)
    listed = wait_for(lambda: schedule_id in (t := text(mcp(stack, lambda s: s.call_tool("list_schedules", {}))))
                      and t, what="schedule active")
    assert "cron(0 7 * * ? *)" in listed
    deleted = mcp(stack, lambda s: s.call_tool("delete_schedule", {"schedule_id": schedule_id}))
    assert not deleted.isError, text(deleted)
    wait_for(lambda: schedule_id not in text(mcp(stack, lambda s: s.call_tool("list_schedules", {"status": "all"}))),
             what="schedule deleted")
    bad = mcp(stack, lambda s: s.call_tool("create_schedule", {
        "name": "x", "schedule_expression": "cron(0 7 * * *)", "timezone": "Mars/Olympus",
        "target_type": "notification", "payload": {"message": "hi"}}))
    assert bad.isError and "schedule_expression" in text(bad) and "timezone" in text(bad)
    missing = mcp(stack, lambda s: s.call_tool("delete_schedule", {"schedule_id": "sched_20200101000000_00000000"}))
    assert missing.isError and "not found" in text(missing)


def test_schema_violations_are_rejected_before_anything_runs(stack):
    golf = stack.urls.fakes["birdsfoot"]
    before = len(httpx.get(f"{golf}/_fake/golf/requests").json()["requests"])
    violations = [
        {"course_name": "Birdsfoot Golf Course", "start_time": "2026-12-01T09:00:00", "end_time": "2026-12-01T10:00:00",
         "num_players": 5},
        {"course_name": "", "start_time": "2026-12-01T09:00:00", "end_time": "2026-12-01T10:00:00",
         "num_players": 2},
        {"course_name": "Birdsfoot Golf Course", "start_time": "tomorrow 9am", "end_time": "2026-12-01T10:00:00",
         "num_players": 2},
        {"course_name": "Birdsfoot Golf Course", "start_time": "2026-12-01T09:00:00", "num_players": 2},
        {"course_name": "Birdsfoot Golf Course", "start_time": "2026-12-01T09:00:00", "end_time": "2026-12-01T10:00:00",
         "num_players": "two"},
        {"course_name": "Birdsfoot Golf Course", "start_time": "2026-12-01T09:00:00", "end_time": "2026-12-01T10:00:00",
         "num_players": 2, "url": "http://169.254.169.254/"},
    ]

    async def calls(s: ClientSession):
        return [await s.call_tool("golf_search_tee_times", args) for args in violations]
    for result in mcp(stack, calls):
        assert result.isError and text(result).startswith("Invalid arguments for golf_search_tee_times")
    assert len(httpx.get(f"{golf}/_fake/golf/requests").json()["requests"]) == before


def test_tool_failures_are_tool_errors_and_unknown_tools_protocol_errors(stack):
    async def calls(s: ClientSession):
        backwards = await s.call_tool("golf_search_tee_times", {
            "course_name": "Totteridge", "start_time": "2026-12-01T12:00:00", "end_time": "2026-12-01T09:00:00",
            "num_players": 2})
        no_such_sheet = await s.call_tool("golf_book_tee_time", {"course_name": "Totteridge",
                                                                 "tee_sheet_id": 999999999, "num_players": 1})
        with pytest.raises(McpError) as unknown:
            await s.call_tool("golf_cancel_everything", {})
        await s.send_ping()
        return backwards, no_such_sheet, unknown.value
    backwards, no_such_sheet, unknown = mcp(stack, calls)
    assert backwards.isError and "endSearchTime" in text(backwards)
    assert no_such_sheet.isError and text(no_such_sheet).startswith("golf_book_tee_time failed:")
    assert unknown.error.code == -32602 and "Unknown tool" in unknown.error.message


def test_raw_protocol_details(stack):
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    url = f"{stack.urls.api}/mcp"
    anonymous = httpx.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 6, "method": "ping"})
    assert anonymous.status_code == 401  # machine clients need the API key
    headers["x-api-key"] = stack.mcp_api_key
    note = httpx.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert note.status_code == 202
    ping = httpx.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 7, "method": "ping"})
    assert ping.status_code == 200 and ping.json() == {"jsonrpc": "2.0", "id": 7, "result": {}}
    # tools/list needs no initialize in the same container: the server is stateless
    listed = httpx.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 8, "method": "tools/list"})
    assert {t["name"] for t in listed.json()["result"]["tools"]} == TOOLS
    rebinding = httpx.post(url, headers={**headers, "Host": "evil.example"}, json={"jsonrpc": "2.0", "id": 9,
                                                                                  "method": "ping"})
    assert rebinding.status_code == 404  # like API Gateway, the API answers only for its own host
    foreign = httpx.post(url, headers={**headers, "Origin": "https://evil.example"},
                         json={"jsonrpc": "2.0", "id": 10, "method": "ping"})
    assert foreign.status_code == 403
    garbled = httpx.post(url, headers=headers, content=b'{"jsonrpc": "2.0", "id": 11, "method": "pi')
    assert garbled.status_code == 400
    assert garbled.json()["id"] is None and garbled.json()["error"]["code"] == -32700
    # no server-initiated stream on a stateless server: stock clients (MCP Inspector) then just POST
    stream = httpx.get(url, headers={"Accept": "text/event-stream", "x-api-key": stack.mcp_api_key})
    assert stream.status_code == 405 and stream.headers["allow"] == "POST"


def test_course_names_as_a_person_types_them(stack):
    async def calls(s: ClientSession):
        return [await s.call_tool("get_weather", {"course_name": name, "days": 1})
                for name in ("Birdsfoot", "birdsfoot golf", "TOTTERIDGE ", "Augusta National")]
    *found, unknown = mcp(stack, calls)
    for result in found:
        assert not result.isError and "Weather Forecast" in text(result), text(result)
    assert unknown.isError and "course not found: 'Augusta National'" in text(unknown)
    assert "Birdsfoot Golf Course, Totteridge" in text(unknown)


def test_stdio_bridge_for_desktop_clients(stack):
    """``rez mcp-stdio``: a stock stdio MCP client, through the bridge, to the HTTP server."""
    import os
    import sys
    from pathlib import Path

    from mcp.client.stdio import StdioServerParameters, stdio_client

    root = Path(__file__).resolve().parents[2]
    params = StdioServerParameters(command=sys.executable, args=["-m", "emulation.mcp_stdio"], cwd=str(root),
                                   env={**os.environ, "PYTHONPATH": str(root),
                                        "MCP_SERVER_URL": f"{stack.urls.api}/mcp",
                                        "MCP_API_KEY": stack.mcp_api_key})

    async def run():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            weather = await session.call_tool("get_weather", {"course_name": "Totteridge", "days": 1})
            return names, weather
    names, weather = asyncio.run(run())
    assert names == TOOLS and not weather.isError and "Weather Forecast" in text(weather)


def test_stdio_bridge_with_a_wrong_api_key_answers_with_an_error_not_a_hang(stack):
    import os
    import sys
    from pathlib import Path

    from mcp.client.stdio import StdioServerParameters, stdio_client

    root = Path(__file__).resolve().parents[2]
    params = StdioServerParameters(command=sys.executable, args=["-m", "emulation.mcp_stdio"], cwd=str(root),
                                   env={**os.environ, "PYTHONPATH": str(root),
                                        "MCP_SERVER_URL": f"{stack.urls.api}/mcp", "MCP_API_KEY": "not-the-key"})

    async def run():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            with anyio.fail_after(30), pytest.raises(McpError) as refused:
                await session.initialize()
            return refused.value.error
    error = asyncio.run(run())
    assert error.code == -32004 and "Invalid API key" in error.message and "MCP_API_KEY" in error.message
    assert "not-the-key" not in error.message  # the key itself is never echoed
