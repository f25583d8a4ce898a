"""One test per seed diagram: the trace the platform recorded contains the diagram's calls, in order."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from tests.e2e import seed_diagrams as diagrams
from tests.e2e.conftest import message_status, wait_for

pytestmark = pytest.mark.e2e


def _trace_of(control, key: str, expected) -> dict:
    """Wait for the trace to hold the whole diagram (the last hops land after the status changes)."""
    def complete():
        response = control.get(f"/_rez/traces/{key}")
        return response.status_code == 200 and diagrams.follows(response.json()["hops"], expected)[0] \
            and response.json()
    try:
        return wait_for(complete, what="the whole diagram in the trace")
    except AssertionError:
        hops = control.get(f"/_rez/traces/{key}").json().get("hops", [])
        raise AssertionError(diagrams.follows(hops, expected)[1] + "\n" +
                             "\n".join(f"{h['source']} -> {h['target']}: {h['label']}" for h in hops)) from None


def test_message_processing_flow(api, control):
    message_id = api.post("/api/messages", json={"payload": {"message": f"seed {uuid.uuid4()}"}}).json()["id"]
    wait_for(lambda: message_status(api, message_id)["status"] == "completed", what="completed")
    trace = _trace_of(control, message_id, diagrams.MESSAGE_PROCESSING_FLOW)
    _trace_of(control, message_id, diagrams.client_answered("201"))
    assert trace["mermaid"].startswith("sequenceDiagram")


def test_web_action_execution_and_authentication_flow(api, control, stack):
    import httpx

    # A fresh token is needed for the OAuth and JWKS hops to appear: rotate the identity server's keys.
    httpx.post(f"{stack.urls.fakes['birdsfoot']}/_fake/identity/rotate-keys", json={}).raise_for_status()
    # And the credentials must be read, not taken from the five-minute cache an earlier golf test filled.
    control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    day = (now + timedelta(days=2)).strftime("%Y-%m-%d")
    message_id = api.post("/api/messages", json={
        "message_type": "web_action", "arguments": {"operation": "search_tee_times"},
        "payload": {"action": "golf", "courseID": 1, "startSearchTime": f"{day}T08:00:00",
                    "endSearchTime": f"{day}T10:00:00"}}).json()["id"]
    wait_for(lambda: message_status(api, message_id)["status"] == "completed", timeout=30, what="completed")
    _trace_of(control, message_id, diagrams.WEB_ACTION_EXECUTION_WITH_OAUTH)
    _trace_of(control, message_id, diagrams.AUTHENTICATION_FLOW)


def test_api_gateway_request_flow(api, control):
    response = api.get("/api/health")
    trace_id = response.headers["x-amzn-trace-id"]
    _trace_of(control, trace_id, diagrams.API_GATEWAY_REQUEST_FLOW)


def test_error_handling_and_dlq(api, ntfy, control, quiet_alarms):
    ntfy.post("/_fake/faults", json={"status": 503}).raise_for_status()
    message_id = api.post("/api/messages", json={"payload": {"message": f"seed dlq {uuid.uuid4()}"}}).json()["id"]
    for attempt in (1, 2, 3):
        wait_for(lambda n=attempt: message_status(api, message_id)["retry_count"] == n, what=f"attempt {attempt}")
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    wait_for(lambda: any(q["queue"] == "notifications" and q["messages"] for q in api.get("/api/dlq").json()["queues"]),
             what="dead-lettered")
    ntfy.delete("/_fake/faults")
    control.post("/_rez/alarms").raise_for_status()
    _trace_of(control, message_id, diagrams.ERROR_HANDLING_AND_DLQ)
    api.post("/api/dlq/notifications/redrive").raise_for_status()


def test_schedule_creation_and_eventbridge_scheduler_workflow(api, control):
    created = api.post("/api/schedules", json={
        "action": "create", "name": f"seed-{uuid.uuid4().hex[:6]}", "schedule_expression": "rate(1 hour)",
        "timezone": "UTC", "target_type": "web_action", "payload": {"action": "weather", "courseID": 1, "days": 1},
        "arguments": {"operation": "get_weather"}})
    assert created.status_code == 202, created.text
    schedule_id = created.json()["schedule"]["id"]
    try:
        wait_for(lambda: api.get(f"/api/schedules/{schedule_id}").json()["status"] == "active", what="active")
        _trace_of(control, schedule_id, diagrams.SCHEDULE_CREATION)
        _trace_of(control, schedule_id, diagrams.client_answered("202"))
        control.post("/_rez/clock/advance", json={"by": "61m"}).raise_for_status()

        def fired():
            listed = api.get("/api/messages", params={"message_type": "web_action", "limit": 100}).json()["messages"]
            return [m for m in listed if (m.get("arguments") or {}).get("schedule_id") == schedule_id]
        message = wait_for(fired, what="a fired web action")[0]
        _trace_of(control, message["id"], diagrams.EVENTBRIDGE_SCHEDULER_WORKFLOW)
        _trace_of(control, message["id"], diagrams.SCHEDULER_RECORDS_THE_RUN)
    finally:
        api.post("/api/schedules", json={"action": "delete", "schedule_id": schedule_id})


def test_agent_diagrams_golf_booking_conversation(api, control, stack, unbooked_golf_days):
    """"AI Agent with MCP Integration", "MCP Server Tool Execution", "Golf Tee Time Booking",
    "Session Management" and "Cost Tracking": one conversation with the agent (intent stand-in)."""
    import httpx

    httpx.post(f"{stack.urls.fakes['bedrock']}/_fake/bedrock/backend", json={"name": "intent"}).raise_for_status()
    # The MCP server's secret and OAuth hops appear only when it has no cached credentials or token
    # from an earlier test: rotate the course's keys and move past the five-minute secrets cache.
    httpx.post(f"{stack.urls.fakes['birdsfoot']}/_fake/identity/rotate-keys", json={}).raise_for_status()
    control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    first = api.post("/agent", json={"message": "tee times at Birdsfoot tomorrow afternoon for 2"})
    assert first.status_code == 200, first.text
    session = first.json()["session_id"]
    assert "Tee Sheet ID" in first.json()["message"]
    turn1 = first.headers["x-amzn-trace-id"]
    _trace_of(control, turn1, diagrams.AI_AGENT_WITH_MCP_INTEGRATION)
    _trace_of(control, turn1, diagrams.MCP_SERVER_TOOL_EXECUTION)
    _trace_of(control, turn1, diagrams.COST_TRACKING_AND_RATE_LIMITING)

    second = api.post("/agent", json={"message": "book the first one", "session_id": session})
    assert second.status_code == 200 and "yes/no" in second.json()["message"]
    _trace_of(control, second.headers["x-amzn-trace-id"], diagrams.SESSION_MANAGEMENT)
    third = api.post("/agent", json={"message": "yes", "session_id": session})
    assert third.status_code == 200 and "Confirmation" in third.json()["message"], third.text
    _trace_of(control, third.headers["x-amzn-trace-id"], diagrams.GOLF_TEE_TIME_BOOKING)
