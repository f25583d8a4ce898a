"""Seed diagrams "Web Action Execution" and "Authentication Flow", through the HTTP API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import inbox, message_status, wait_for

pytestmark = pytest.mark.e2e


def _web_action(api, payload: dict, operation: str) -> dict:
    response = api.post("/api/messages", json={"message_type": "web_action", "payload": payload,
                                               "arguments": {"operation": operation}})
    assert response.status_code == 201, response.text
    return response.json()


def _finished(api, message_id: str) -> dict:
    return wait_for(lambda: (m := message_status(api, message_id))["status"] in ("completed", "failed") and m,
                    timeout=30, what=f"{message_id} finished")


def _tomorrow(control) -> str:
    now = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00"))
    return (now + timedelta(days=1)).strftime("%Y-%m-%d")


def _new_notifications(ntfy, before: int) -> list[dict]:
    return inbox(ntfy)[before:]


def test_weather_stores_a_result_and_notifies(api, ntfy):
    before = len(inbox(ntfy))
    message = _web_action(api, {"action": "weather", "courseID": 2, "days": 1}, "get_weather")
    done = _finished(api, message["id"])
    assert done["status"] == "completed", done
    results = api.get(f"/api/messages/{message['id']}/results").json()["results"]
    assert results[-1]["status"] == "completed" and results[-1]["response_code"] == 200
    assert "Weather Forecast" in results[-1]["response_body"]
    assert results[-1]["ttl"] > 0 and results[-1]["execution_time_ms"] >= 0
    notes = wait_for(lambda: [m for m in _new_notifications(ntfy, before) if "Weather Forecast" in m["message"]],
                     what="weather notification")
    assert "🌡️" in notes[0]["message"] or "❄️" in notes[0]["message"] or "🔥" in notes[0]["message"]


def test_golf_search_lists_tee_sheet_ids(api, ntfy, control):
    before = len(inbox(ntfy))
    day = _tomorrow(control)
    message = _web_action(api, {"action": "golf", "courseID": 1, "startSearchTime": f"{day}T09:00:00",
                                "endSearchTime": f"{day}T11:00:00", "numberOfPlayers": 2, "maxResults": 3},
                          "search_tee_times")
    assert _finished(api, message["id"])["status"] == "completed"
    text = wait_for(lambda: [m for m in _new_notifications(ntfy, before) if "Tee Sheet ID" in m["message"]],
                    what="search notification")[0]["message"]
    ids = re.findall(r"Tee Sheet ID: (\d+)", text)
    assert 1 <= len(ids) <= 3  # maxResults honoured


def test_golf_book_then_the_reservation_is_listed(api, ntfy, control, stack, unbooked_golf_days):
    day = _tomorrow(control)
    search = _web_action(api, {"action": "golf", "courseID": 2, "startSearchTime": f"{day}T13:00:00",
                               "endSearchTime": f"{day}T15:00:00", "numberOfPlayers": 1}, "search_tee_times")
    assert _finished(api, search["id"])["status"] == "completed"
    body = api.get(f"/api/messages/{search['id']}/results").json()["results"][-1]["response_body"]
    tee_sheet_id = int(re.findall(r"Tee Sheet ID: (\d+)", body)[0])
    before = len(inbox(ntfy))
    book = _web_action(api, {"action": "golf", "courseID": 2, "teeSheetID": tee_sheet_id, "numberOfPlayers": 1},
                       "book_tee_time")
    assert _finished(api, book["id"])["status"] == "completed"
    confirmation = wait_for(lambda: [m for m in _new_notifications(ntfy, before) if "Booked" in m["message"]],
                            what="confirmation")[0]["message"]
    key = re.search(r"Confirmation: (\S+)", confirmation).group(1)
    listing = _web_action(api, {"action": "golf", "courseID": 2}, "fetch_reservations")
    assert _finished(api, listing["id"])["status"] == "completed"
    reservations = api.get(f"/api/messages/{listing['id']}/results").json()["results"][-1]["response_body"]
    assert key in reservations and "Totteridge" in reservations


@pytest.mark.parametrize("defect", ["expired", "bad_signature"])
def test_bad_tokens_fail_with_an_authentication_error_and_book_nothing(api, stack, control, defect):
    origin = stack.urls.fakes["birdsfoot"]
    import httpx

    booked_before = httpx.get(f"{origin}/_fake/golf/reservations").json()
    # Rotating the keys invalidates a token the function may have cached from an earlier test, so it must
    # ask for a new one — and every token issued from now on carries the defect.
    httpx.post(f"{origin}/_fake/identity/rotate-keys", json={"keep_previous": False}).raise_for_status()
    httpx.post(f"{origin}/_fake/identity/token-defects", json={"defects": [defect], "count": 5}).raise_for_status()
    try:
        day = _tomorrow(control)
        sheet = httpx.get(f"{origin}/_fake/golf/teesheet", params={"date": day}).json()
        slot = next(s for s in sheet["slots"] if s["maxPlayer"] >= 1)
        message = _web_action(api, {"action": "golf", "courseID": 1, "teeSheetID": slot["teeSheetId"]},
                              "book_tee_time")
        done = _finished(api, message["id"])
    finally:
        httpx.delete(f"{origin}/_fake/identity/token-defects")
    assert done["status"] == "failed" and "authentication failed" in done["error_message"]
    assert httpx.get(f"{origin}/_fake/golf/reservations").json() == booked_before


def test_golf_api_500_is_retried_then_dead_lettered(api, stack, control, aws):
    import httpx

    origin = stack.urls.fakes["totteridge"]
    httpx.post(f"{origin}/_fake/faults", json={"status": 500, "path_prefix": "/onlineres/"}).raise_for_status()
    message = _web_action(api, {"action": "golf", "courseID": 2}, "fetch_reservations")
    for attempt in (1, 2, 3):
        wait_for(lambda n=attempt: message_status(api, message["id"])["retry_count"] == n, timeout=30,
                 what=f"attempt {attempt}")
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    dlq_url = stack.provisioned.queue_urls[stack.naming.dlq("web-actions")]
    sqs = aws("sqs")
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                                WaitTimeSeconds=1).get("Messages"), what="message in the DLQ")
    assert any(message["id"] in m["Body"] for m in dead)
    final = message_status(api, message["id"])
    assert final["status"] == "failed" and "500" in final["error_message"]
    assert len(api.get(f"/api/messages/{message['id']}/results").json()["results"]) == 3
