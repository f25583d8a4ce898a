"""The ntfy fake against ntfy's publish and poll contract (https://docs.ntfy.sh/publish/, /subscribe/api/)."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from emulation.fakes.ntfy import create_ntfy_app


@pytest.fixture()
def ntfy():
    with TestClient(create_ntfy_app(), base_url="http://ntfy") as client:  # in-process, same app
        yield client


def _poll(client, topic, **params) -> list[dict]:
    response = client.get(f"/{topic}/json", params={"poll": "1", **params})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_publish_with_headers_then_poll(ntfy):
    sent = ntfy.post("/alerts", content="Tee time booked ⛳".encode(),
                     headers={"Title": "Golf", "Priority": "high", "Tags": "golf,white_check_mark"}).json()
    assert sent["event"] == "message" and sent["topic"] == "alerts" and isinstance(sent["time"], int)
    assert sent["title"] == "Golf" and sent["priority"] == 4 and sent["tags"] == ["golf", "white_check_mark"]
    ntfy.put("/alerts", content=b"second", headers={"X-Priority": "1", "t": "short"})
    polled = _poll(ntfy, "alerts")
    assert [m["message"] for m in polled] == ["Tee time booked ⛳", "second"]
    assert polled[1]["priority"] == 1 and polled[1]["title"] == "short"
    assert _poll(ntfy, "alerts", since=polled[0]["id"])[0]["message"] == "second"
    assert _poll(ntfy, "other") == []


def test_json_publish_and_rfc2047_titles(ntfy):
    sent = ntfy.post("/", json={"topic": "t", "message": "hi", "title": "x", "priority": 5, "tags": ["a"]}).json()
    assert sent["priority"] == 5 and sent["tags"] == ["a"]
    encoded = ntfy.post("/t", content=b"m", headers={"Title": "=?utf-8?b?VMOpZSB0aW1l?="}).json()
    assert encoded["title"] == "Tée time"


def test_bad_priority_is_a_400(ntfy):
    response = ntfy.post("/t", content=b"m", headers={"Priority": "9"})
    assert response.status_code == 400 and "invalid priority" in response.json()["error"]


def test_faults_and_reset(ntfy):
    ntfy.post("/_fake/faults", json={"status": 503, "times": 1})
    assert ntfy.post("/t", content=b"m").status_code == 503
    assert ntfy.post("/t", content=b"m").status_code == 200
    assert len(ntfy.get("/_fake/ntfy/messages").json()["messages"]) == 1
    ntfy.post("/_fake/reset")
    assert ntfy.get("/_fake/ntfy/messages").json()["messages"] == []
    assert "No notifications yet" in ntfy.get("/").text
