"""The web console (``/_rez/console`` on the control port) in a real browser: every view loads with
live data, a failing web action's trace appears as it happens, and its dead letter is redriven from
the console to completion."""

from __future__ import annotations

import httpx
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
def test_each_view_loads_with_live_data(page, console, shot, activity, view):
    console(view)
    expect(page.locator(f"#nav a[data-view='{view}']")).to_have_class("active")
    expect(page.locator(VIEWS[view]).first).to_be_attached()
    expect(page.locator("#status")).to_contain_text("updated")  # a refresh went through without an error
    expect(page.locator("#clock-now")).to_contain_text("20")
    if view == "agent":
        expect(page.frame_locator("#agent-frame").locator("form#form input#text")).to_be_visible()
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
    weather = stack.urls.fakes["weather"]
    httpx.post(f"{weather}/_fake/faults", json={"status": 500}).raise_for_status()
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

    httpx.delete(f"{weather}/_fake/faults").raise_for_status()  # the weather service is back
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
