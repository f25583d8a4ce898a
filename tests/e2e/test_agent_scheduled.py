"""Scheduled agent events (ORIGINAL_SYSTEM §13.6): ``run_scheduled_agent_event`` — what the
scheduler calls for ``operation: agentEvent`` — run against the stack's data plane, MCP server and
Bedrock stand-in (scripted), with the stack's clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from services.agent.deps import build_deps
from services.agent.scheduled import run_scheduled_agent_event
from services.core import clock
from services.core.errors import ValidationError
from services.core.messages import Message, MessageType
from services.core.settings import Settings
from tests.e2e.conftest import inbox, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture()
def agent_deps(stack, monkeypatch) -> Iterator:
    """The agent's dependencies as the scheduler function gets them: its environment, the stack's clock."""
    for name, value in stack.session.endpoint.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", stack.urls.fakes["bedrock"])
    naming = stack.naming
    settings = Settings(sessions_table=naming.table("sessions"), cost_table=naming.table("cost"),
                        messages_table=naming.table("messages"), mcp_server_url=f"{stack.urls.api}/mcp",
                        notifications_topic_arn=naming.topic_arn("notifications"))
    clock.set_source(stack.clock.now)
    yield build_deps(settings)
    clock.set_source(None)


@pytest.fixture()
def scripted(stack) -> Iterator[str]:
    origin = stack.urls.fakes["bedrock"]
    httpx.post(f"{origin}/_fake/bedrock/backend", json={"name": "scripted"}).raise_for_status()
    httpx.post(f"{origin}/_fake/bedrock/scenario", json={"name": "agent_scheduled_booking"}).raise_for_status()
    yield origin
    httpx.post(f"{origin}/_fake/bedrock/backend", json={"name": "intent"}).raise_for_status()


def event(payload: dict) -> Message:
    return Message.new(message_type=MessageType.SCHEDULED, payload=payload, arguments={"operation": "agentEvent"},
                       created_by="scheduler", stage="dev")


def test_a_scheduled_agent_event_books_unattended_and_the_user_is_notified(stack, api, scripted, ntfy,
                                                                          unbooked_golf_days):
    """Through the whole platform: a ``scheduled``/``agentEvent`` schedule, run now by the scheduler
    function, which runs the agent (Bedrock stand-in + MCP tools) and notifies the user."""
    day = (stack.clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    before = len(inbox(ntfy))
    created = api.post("/api/schedules", json={
        "action": "create", "name": f"agent-{uuid.uuid4().hex[:6]}", "run_now": True,
        # Only run_now fires it: the expression's next run is decades away.
        "schedule_expression": "cron(0 12 1 1 ? 2099)", "timezone": "UTC", "target_type": "scheduled",
        "operation": "agentEvent",
        "payload": {"user_prompt": f"Book me a morning tee time on {day} if it's dry",
                    "course_name": "Totteridge", "num_players": 1}})
    assert created.status_code == 202, created.text
    schedule_id = created.json()["schedule"]["id"]
    try:
        def booked_and_reported():
            texts = [m["message"] for m in inbox(ntfy)[before:]]
            confirmations = [t for t in texts if "Booked Successfully at Totteridge" in t]
            reports = [t for t in texts if t.startswith("Booked") and day in t]
            return confirmations and reports and (confirmations, reports)
        confirmations, reports = wait_for(booked_and_reported, timeout=60, what="confirmation and task report")
        confirmation = reports[0].rsplit("confirmation ", 1)[1].split(".")[0]
        assert any(confirmation in c for c in confirmations)
    finally:
        api.post("/api/schedules", json={"action": "delete", "schedule_id": schedule_id})

    calls = httpx.get(f"{scripted}/_fake/bedrock/calls").json()["calls"][-3:]
    system = calls[0]["request"]["system"][0]["text"]
    assert "Current date and time:" in system and "current reservations at Totteridge" in system
    assert "Weather Forecast" in system  # fetched through MCP before the model ran
    booked = [b["toolUse"] for b in calls[1]["response"]["output"]["message"]["content"] if "toolUse" in b][0]
    assert "course_name" not in booked["input"]  # the model left it out; the task's course was used


def test_a_bad_event_is_refused_and_reported(stack, agent_deps, ntfy):
    before = len(inbox(ntfy))
    with pytest.raises(ValidationError):
        run_scheduled_agent_event(event({"user_prompt": "book something somewhere"}), agent_deps)
    wait_for(lambda: [m for m in inbox(ntfy)[before:] if m["message"].startswith("Scheduled task failed")],
             what="failure notification")
