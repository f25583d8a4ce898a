"""Seed diagrams "AI Agent with MCP Integration", "Golf Tee Time Booking" (through the agent),
"Session Management" and "Cost Tracking and Rate Limiting": ``POST /agent`` on the running stack,
the Bedrock stand-in behind ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, tools through ``POST /mcp``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import inbox, wait_for

pytestmark = pytest.mark.e2e


# --- helpers ----------------------------------------------------------------------------------

def now(control) -> datetime:
    return datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))


@pytest.fixture()
def bedrock(stack) -> Iterator[str]:
    origin = stack.urls.fakes["bedrock"]
    yield origin
    httpx.post(f"{origin}/_fake/bedrock/backend", json={"name": "intent"}).raise_for_status()


@pytest.fixture()
def scripted(bedrock) -> Iterator[str]:
    """The scripted backend for one test (the stack's default is intent)."""
    httpx.post(f"{bedrock}/_fake/bedrock/backend", json={"name": "scripted"}).raise_for_status()
    yield bedrock


def calls_since(bedrock: str, seq: int) -> list[dict]:
    return httpx.get(f"{bedrock}/_fake/bedrock/calls", params={"since": seq}).json()["calls"]


def last_seq(bedrock: str) -> int:
    calls = httpx.get(f"{bedrock}/_fake/bedrock/calls").json()["calls"]
    return calls[-1]["seq"] if calls else 0


def chat(api, message: str, session_id: str | None = None) -> httpx.Response:
    body = {"message": message} if session_id is None else {"message": message, "session_id": session_id}
    return api.post("/agent", json=body)


@pytest.fixture()
def cost_item(stack, aws, control) -> Iterator[dict]:
    """Today's cost record, set by the test and removed afterwards (the budget is per stack)."""
    ddb, table = aws("dynamodb"), stack.naming.table("cost")
    key = {"id": {"S": "bedrock"}, "date": {"S": now(control).strftime("%Y-%m-%d")}}

    def put(spent_nanos: int) -> None:
        ddb.put_item(TableName=table, Item={**key, "spent_nanos": {"N": str(spent_nanos)}})

    def spent() -> int:
        return int(ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]["spent_nanos"]["N"])
    yield {"put": put, "spent": spent, "cap_nanos": int(stack.config.agent_daily_cap_usd * 1e9)}
    ddb.delete_item(TableName=table, Key=key)


# --- pages --------------------------------------------------------------------------------------

def test_chat_page_and_agent_card_are_public_the_chat_is_not(anonymous_api):
    api = anonymous_api
    page = api.get("/agent/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'fetch(endpoint' in page.text and "/agent" in page.text
    for path in ("/agent/card", "/agent/.well-known/agent-card"):
        card = api.get(path)
        assert card.status_code == 200 and card.headers["access-control-allow-origin"] == "*"
        assert card.json()["url"].endswith("/agent") and "golf_book_tee_time" in card.json()["tools"]
    assert chat(api, "hello").status_code == 401


def test_bad_requests_are_400(api):
    assert chat(api, "  ").status_code == 400
    assert api.post("/agent", content=b"not json", headers={"content-type": "application/json"}).status_code == 400
    assert api.post("/agent", json={"message": "hi", "session_id": 42}).json()["error"].startswith("session_id")


# --- the seed conversation ----------------------------------------------------------------------

def test_golf_booking_conversation(api, ntfy, control, stack, scripted, unbooked_golf_days):
    httpx.post(f"{scripted}/_fake/bedrock/scenario", json={"name": "agent_golf_booking"}).raise_for_status()
    day = (now(control) + timedelta(days=1)).strftime("%Y-%m-%d")
    before, seq = len(inbox(ntfy)), last_seq(scripted)

    found = chat(api, f"Search tee times for tomorrow ({day}) at 2pm at Birdsfoot for 2 players")
    assert found.status_code == 200, found.text
    session_id = found.json()["session_id"]
    time_label, sheet = re.search(r"first one is at (\d{1,2}:\d{2} [AP]M) \(Tee Sheet ID: (\d+)\)",
                                  found.json()["message"]).groups()

    confirm = chat(api, f"Book the {time_label} slot", session_id)
    assert confirm.json()["session_id"] == session_id
    assert confirm.json()["message"].startswith(f"Shall I book the {time_label} tee time on {day}")

    booked = chat(api, "yes", session_id)
    assert booked.status_code == 200 and booked.json()["session_id"] == session_id
    confirmation = re.search(r"Confirmation #(\S+)\.", booked.json()["message"]).group(1)

    note = wait_for(lambda: [m for m in inbox(ntfy)[before:] if confirmation in m["message"]],
                    what="confirmation in the ntfy inbox")[0]
    assert "Booked Successfully at Birdsfoot Golf Course" in note["message"]
    reservations = httpx.get(f"{stack.urls.fakes['birdsfoot']}/_fake/golf/reservations").json()["reservations"]
    mine = [r for r in reservations if r["confirmation_key"] == confirmation]
    assert len(mine) == 1 and mine[0]["tee_sheet_id"] == int(sheet) and mine[0]["players"] == 2
    assert mine[0]["start"].startswith(day)

    # continuity: each model call saw the whole conversation, tool calls and results included
    calls = calls_since(scripted, seq)
    assert len(calls) == 5 and all("error" not in c for c in calls)
    last = calls[-1]["request"]
    texts = [b.get("text", "") for m in last["messages"] for b in m["content"]]
    assert any(day in t for t in texts) and any(t.startswith("Book the") for t in texts)
    assert sum("toolResult" in b for m in last["messages"] for b in m["content"]) == 2
    assert "Current date and time: " in last["system"][0]["text"]
    assert {t["toolSpec"]["name"] for t in last["toolConfig"]["tools"]} >= {"golf_search_tee_times",
                                                                           "golf_book_tee_time"}


# --- sessions -----------------------------------------------------------------------------------

def test_session_continues_and_a_fresh_one_starts_after_24h(api, control, bedrock, stack, aws):
    seq = last_seq(bedrock)
    first = chat(api, "hello")
    session_id = first.json()["session_id"]
    second = chat(api, "thanks", session_id)
    assert second.status_code == 200 and second.json()["session_id"] == session_id
    calls = calls_since(bedrock, seq)
    assert [len(c["request"]["messages"]) for c in calls] == [1, 3]  # history restored

    item = aws("dynamodb").get_item(TableName=stack.naming.table("sessions"),
                                    Key={"session_id": {"S": session_id}})["Item"]
    assert abs(int(item["ttl"]["N"]) - (now(control) + timedelta(hours=24)).timestamp()) < 120

    control.post("/_rez/clock/advance", json={"by": "25h"}).raise_for_status()
    seq = last_seq(bedrock)
    later = chat(api, "hello", session_id)
    assert later.status_code == 200 and later.json()["session_id"] != session_id
    assert [len(c["request"]["messages"]) for c in calls_since(bedrock, seq)] == [1]  # nothing restored


# --- cost ---------------------------------------------------------------------------------------

def test_cap_reached_is_429_without_a_model_call(api, bedrock, cost_item):
    cost_item["put"](cost_item["cap_nanos"])
    seq = last_seq(bedrock)
    denied = chat(api, "hello")
    assert denied.status_code == 429
    assert denied.json()["error"] == "Daily spending limit reached"
    assert 0 < int(denied.headers["retry-after"]) <= 86_400
    assert denied.json()["cost_info"]["remaining_budget"] == 0
    assert calls_since(bedrock, seq) == []
    assert cost_item["spent"]() == cost_item["cap_nanos"]  # nothing reserved, nothing spent


def test_concurrent_requests_at_the_cap_do_not_overspend(api, bedrock, cost_item):
    cap = cost_item["cap_nanos"]
    cost_item["put"](cap)
    estimate = int(chat(api, "hello").json()["cost_info"]["estimated_cost"] * 1e9)
    start = cap - int(estimate * 1.2)  # room for one request's worst case, not two
    cost_item["put"](start)
    seq = last_seq(bedrock)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: chat(api, "hello"), range(6)))
    ok = [a for a in answers if a.status_code == 200]
    denied = [a for a in answers if a.status_code == 429]
    assert len(ok) + len(denied) == 6 and 1 <= len(ok) <= 2, [a.status_code for a in answers]
    assert len(calls_since(bedrock, seq)) == len(ok)  # denied requests never reached the model
    spent = cost_item["spent"]()
    assert start < spent <= cap


def test_a_killed_turns_reservation_holds_the_budget_only_until_it_lapses(api, bedrock, control, cost_item, stack,
                                                                          aws):
    """A turn killed at its timeout never settles: its reservation stops counting when the turn
    must have ended, and Retry-After says when that is instead of pointing at midnight."""
    at = now(control)
    if datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), tzinfo=at.tzinfo) - at < timedelta(hours=1):
        pytest.skip("too close to midnight UTC: the budget would reset during the test")
    cap = cost_item["cap_nanos"]
    cost_item["put"](cap)  # the day's item, then the killed turn's reservation in it
    lapses = at + timedelta(seconds=302)  # the agent's 300 s timeout + the 2 s grace
    aws("dynamodb").update_item(
        TableName=stack.naming.table("cost"), Key={"id": {"S": "bedrock"}, "date": {"S": at.strftime("%Y-%m-%d")}},
        UpdateExpression="SET pending = :p",
        ExpressionAttributeValues={":p": {"M": {"killed-turn": {"M": {
            "n": {"N": str(cap // 2)}, "exp": {"N": str(lapses.timestamp())}}}}}})
    seq = last_seq(bedrock)
    denied = chat(api, "hello")
    assert denied.status_code == 429 and denied.json()["cost_info"]["pending_reservations"] == 1
    retry_after = int(denied.headers["retry-after"])
    assert 240 <= retry_after <= 302, retry_after  # when the reservation lapses, not hours later at midnight
    assert calls_since(bedrock, seq) == []
    control.post("/_rez/clock/advance", json={"by": f"{retry_after + 1}s"}).raise_for_status()
    answered = chat(api, "hello")
    assert answered.status_code == 200, answered.text
    assert len(calls_since(bedrock, seq)) == 1
    assert cap // 2 < cost_item["spent"]() < cap  # the lapsed half given back, the new call charged
