"""The Bedrock stand-in switches backend at run time (``/_fake/bedrock/backend``), so one stack can
serve the intent backend to people and the scripted one to a test."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulation.fakes.bedrock import create_bedrock_app, make_backend


def test_switch_backend_at_run_time():
    client = TestClient(create_bedrock_app(make_backend("intent")))
    assert client.get("/_fake/bedrock/backend").json() == {"backend": "intent"}
    assert client.post("/_fake/bedrock/scenario", json={"name": "golf_booking"}).status_code == 409
    assert client.post("/_fake/bedrock/backend", json={"name": "scripted"}).json() == {"backend": "scripted"}
    assert client.post("/_fake/bedrock/scenario", json={"name": "agent_golf_booking"}).status_code == 200
    assert client.get("/_fake/bedrock/health").json()["backend"] == "scripted"
    for bad in ({"name": "gpt-99"}, {"nope": 1}, {"name": "scripted", "options": {"scenarios": "/no/such/dir"}}):
        assert client.post("/_fake/bedrock/backend", json=bad).status_code == 400
    assert client.get("/_fake/bedrock/backend").json() == {"backend": "scripted"}
