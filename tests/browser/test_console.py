"""The web console (``/_rez/console`` on the control port) in a real browser: every view loads with
live data, a failing web action's trace appears as it happens, and its dead letter is redriven from
the console to completion."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import message_status, wait_for

# view -> what shows that it loaded with data from the running stack
VIEWS = {
    "messages": "#view table tbody tr",
    "queues": "#view tr[data-dlq='notifications']",
    "schedules": "#view tr[data-name*='daily-scheduler'] td.mono.small div",
    "alarms": "#view tr[data-alarm*='dlq-not-empty']",
    "traces": "#view table tbody tr.link",
    "logs": "#logpane:not(:empty)",
    "inbox": "#view table tbody tr",
    "agent": "#agent-frame",
    "faults": "#view tr[data-fake='weather'] td.plans:not(:empty)",
}


@pytest.fixture()
def console(page, stack):
    def open_view(fragment: str):
        page.goto(f"{stack.urls.control}/_rez/console/#/{fragment}")
        return page
    return open_view


@pytest.fixture(scope="module")
def activity(api, ntfy) -> str:
    """Something for every view to show: one delivered notification."""
    before = len(ntfy.get("/_fake/ntfy/messages").json()["messages"])
    message_id = api.post("/api/messages", json={"payload": {"message": "hello from the console test"}}).json()["id"]
    wait_for(lambda: message_status(api, message_id)["status"] == "completed", what="notification delivered")
    wait_for(lambda: len(ntfy.get("/_fake/ntfy/messages").json()["messages"]) > before, what="inbox")
    return message_id


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_loads_with_live_data(page, console, shot, api, activity, view):
    console(view)
    expect(page.locator(f"#nav a[data-view='{view}']")).to_have_class("active")
    expect(page.locator(VIEWS[view]).first).to_be_attached()
    expect(page.locator("#status")).to_contain_text("updated")  # a refresh went through without an error
    expect(page.locator("#clock-now")).to_contain_text("20")
    if view == "agent":
        expect(page.frame_locator("#agent-frame").locator("form#form input#text")).to_be_visible()
    if view == "logs":  # a tail: what a function prints after the page loaded shows up in it
        page.select_option("#log-function", "processor")
        later = api.post("/api/messages", json={"payload": {"message": "logged live"}}).json()["id"]
        expect(page.locator("#logpane")).to_contain_text(f"message {later} delivered")
    if view == "messages":  # the filters narrow the list
        row = page.locator(f"#view tr[data-id='{activity}']")
        expect(row).to_be_visible()
        page.select_option("#f-type", "web_action")
        expect(row).to_have_count(0)
        page.select_option("#f-type", "notify")
        page.select_option("#f-status", "completed")
        expect(row).to_be_visible()
    shot(view)


def test_a_failing_web_action_is_traced_live_and_redriven_from_the_console(page, console, shot, api, stack):
    # the weather service starts failing: a fault injected from the console
    console("faults")
    page.fill("#status-weather", "500")
    page.locator("tr[data-fake='weather'] button", has_text="Add").click()
    expect(page.locator("tr[data-fake='weather'] td.plans")).to_have_text('{"status":500}')
    shot("0-weather-fault")
    message_id = api.post("/api/messages", json={
        "message_type": "web_action", "arguments": {"operation": "get_weather"},
        "payload": {"action": "weather", "courseID": 1, "days": 1}}).json()["id"]

    # the trace shows up in the list, and its diagram is drawn while the retries happen
    console("traces")
    row = page.locator("#view tr.link", has_text=message_id)
    expect(row).to_be_visible()
    row.click()
    expect(page.locator("#diagram svg")).to_be_visible()
    expect(page.locator("#diagram")).to_contain_text("WebAction Lambda")
    shot("1-trace-first-attempt")

    # each failed receive waits out the visibility timeout: advance the clock from the console
    console(f"messages/{message_id}")
    for attempt in (1, 2, 3):
        wait_for(lambda n=attempt: message_status(api, message_id)["retry_count"] == n, timeout=30,
                 what=f"attempt {attempt}")
        expect(page.locator("#view")).to_contain_text(f"retries: {attempt}")
        page.fill("#clock-by", "301s")
        with page.expect_response(lambda r: r.url.endswith("/_rez/clock/advance")) as advanced:
            page.click("#clock-advance")
        assert advanced.value.ok
    expect(page.locator("#view .badge").first).to_have_text("failed")
    shot("2-message-failed")

    console(f"traces/{message_id}")
    diagram = page.locator("#diagram")
    expect(diagram).to_contain_text("Invoke (batch of 1, receive 3)")  # the third and last receive
    expect(diagram).to_contain_text("Processing failed")
    shot("3-trace-three-failed-receives")

    console("queues")
    dlq = page.locator("#view tr[data-dlq='web-actions']")
    expect(dlq.locator("td.count")).not_to_have_text("0")
    dlq.locator("button.inspect").click()
    expect(page.locator("#dlq-peek")).to_contain_text(message_id)
    shot("4-dlq-inspected")

    console("faults")  # the weather service is back
    page.locator("tr[data-fake='weather'] button", has_text="Heal").click()
    expect(page.locator("tr[data-fake='weather'] td.plans")).to_have_text("none")
    console("queues")
    dlq.locator("button.redrive").click()
    expect(page.locator("#redrive-result")).to_contain_text("Redrove")
    expect(dlq.locator("td.count")).to_have_text("0")

    console(f"messages/{message_id}")
    expect(page.locator("#view .badge").first).to_have_text("completed", timeout=30_000)
    shot("5-redriven-completed")
    assert message_status(api, message_id)["status"] == "completed"
    # the redrive is a trace of its own: the console's request, the move, and the delivery that completed
    redrive = page.locator("#view a.trace-link", has_text="redrive")
    expect(redrive).to_be_visible()
    redrive.click()
    expect(diagram).to_contain_text("POST /api/dlq/web-actions/redrive")
    expect(diagram).to_contain_text("NOAA Weather")
    expect(diagram).to_contain_text("UpdateItem (rez-agent-messages-dev)")
    shot("6-redrive-trace")


def test_a_schedule_shows_its_next_runs_in_its_timezone_and_pauses_and_resumes(page, console, shot, api, control):
    created = api.post("/api/schedules", json={
        "action": "create", "name": f"console weather {uuid.uuid4().hex[:6]}", "schedule_expression": "cron(0 7 * * ? *)",
        "timezone": "America/New_York", "target_type": "notification", "payload": {"message": "good morning"}})
    assert created.status_code == 202, created.text
    schedule = created.json()["schedule"]
    wait_for(lambda: api.get(f"/api/schedules/{schedule['id']}").json()["status"] == "active", what="schedule active")

    console("schedules")
    row = page.locator(f"#view tr[data-name='{schedule['name']}']")
    expect(row.locator(".badge")).to_have_text("active")
    expect(row.locator("td.mono.small div").first).to_contain_text(re.compile(r" 07:00 E[SD]T$"))
    assert row.locator("td.mono.small div").count() == 3
    shot("1-active")
    row.locator("button", has_text="Pause").click()
    expect(row.locator(".badge")).to_have_text("paused", timeout=30_000)
    expect(row.locator("td.mono.small div")).to_have_count(0)  # a paused schedule has no next run
    shot("2-paused")
    row.locator("button", has_text="Resume").click()
    expect(row.locator(".badge")).to_have_text("active", timeout=30_000)
    assert api.get(f"/api/schedules/{schedule['id']}").json()["status"] == "active"
    api.post("/api/schedules", json={"action": "delete", "schedule_id": schedule["id"]})


def test_the_clock_freezes_and_runs_again_from_the_console(page, console, control):
    console("messages")
    page.click("#clock-freeze")
    expect(page.locator("#clock-mode")).to_have_text("frozen")
    assert control.get("/_rez/clock").json()["frozen"] is True
    page.click("#clock-unfreeze")
    expect(page.locator("#clock-mode")).to_have_text("running")
    assert control.get("/_rez/clock").json()["frozen"] is False
