"""The agent's chat page in a real browser: it renders as HTML, signs in with the password grant at
the stage's identity provider, and completes a booking whose notification reaches the ntfy inbox."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import inbox, wait_for

USER, PASSWORD = "golfer@example.com", "fairway-2025"


def say(page, text: str) -> str:
    """Send one chat message and return the assistant's answer (the page's last bot bubble)."""
    answers = page.locator("#log .msg.bot, #log .msg.err")
    before = answers.count()
    page.fill("#text", text)
    page.click("#send")
    # the pending "…" bubble is replaced by the answer; the input is enabled again when it is done
    expect(page.locator("#text")).to_be_enabled(timeout=60_000)
    expect(answers).to_have_count(before + 1)
    last = answers.last
    assert "err" not in (last.get_attribute("class") or ""), last.inner_text()
    return last.inner_text()


def test_agent_page_renders_signs_in_and_books_a_tee_time(page, shot, stack, ntfy):
    response = page.goto(f"{stack.urls.api}/agent/ui")
    assert response is not None and response.status == 200
    content_types = [h["value"] for h in response.headers_array() if h["name"].lower() == "content-type"]
    assert content_types == ["text/html; charset=utf-8"], content_types
    # rendered, not shown as source: the chat form is a form, and no markup shows as text
    expect(page.locator("form#form input#text")).to_be_visible()
    assert page.title() == "Golf Reservation Assistant"
    assert "<script>" not in page.inner_text("body") and "fetch(" not in page.inner_text("body")
    shot("1-loaded")

    page.click("#signin")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    shot("2-sign-in")
    page.click("#login button[type=submit]")
    expect(page.locator("#login")).to_be_hidden()
    token = page.evaluate("sessionStorage.getItem('rez-agent-token')")
    assert token and token.count(".") == 2  # a JWT from the identity provider

    before = len(inbox(ntfy))
    found = say(page, "tee times at Birdsfoot tomorrow afternoon for 2")
    assert "Tee Sheet ID" in found, found
    expect(page.locator("#sid")).to_contain_text("Session ")
    shot("3-search")
    asked = say(page, "the second one")
    assert asked.startswith("Shall I book the "), asked
    sheet = re.search(r"Tee Sheet ID: (\d+)", asked).group(1)
    booked = say(page, "yes")
    confirmation = re.search(r"Confirmation #(\w+)", booked)
    assert confirmation, booked
    expect(page.locator("#log .msg.bot").last).to_contain_text("Booked")
    shot("4-booked")

    note = wait_for(lambda: [m for m in inbox(ntfy)[before:] if confirmation.group(1) in m["message"]],
                    what="the booking confirmation in the ntfy inbox")[0]
    assert "Booked Successfully at Birdsfoot" in note["message"]
    golf = stack.urls.fakes["birdsfoot"]
    import httpx

    reservations = httpx.get(f"{golf}/_fake/golf/reservations").json()["reservations"]
    assert [r["tee_sheet_id"] for r in reservations if r["confirmation_key"] == confirmation.group(1)] == [int(sheet)]
