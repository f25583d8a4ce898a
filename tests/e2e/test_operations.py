"""Seed diagram "Error Handling and DLQ": dead letters, the alarm, the operator, the trace, the redrive."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import inbox, message_status, wait_for

pytestmark = pytest.mark.e2e


def _alarm_state(control, name_part: str) -> str:
    alarms = control.get("/_rez/alarms").json()["alarms"]
    return next(a["state"] for a in alarms if name_part in a["name"])


def _dead_letter(api, ntfy, control, text: str) -> str:
    # Exactly the nine deliveries (three attempts of three receives) fail: the operator's alert goes through.
    ntfy.post("/_fake/faults", json={"status": 500, "times": 9}).raise_for_status()
    message_id = api.post("/api/messages", json={"payload": {"message": text}}).json()["id"]
    for attempt in (1, 2, 3):
        wait_for(lambda n=attempt: message_status(api, message_id)["retry_count"] == n, what=f"attempt {attempt}")
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    wait_for(lambda: any(q["queue"] == "notifications" and q["messages"] >= 1
                         for q in api.get("/api/dlq").json()["queues"]), what="message in the DLQ")
    ntfy.delete("/_fake/faults").raise_for_status()
    return message_id


def test_dlq_alarm_operator_notification_trace_and_redrive(api, ntfy, control, quiet_alarms):
    text = f"dead letter {uuid.uuid4()}"
    message_id = _dead_letter(api, ntfy, control, text)

    control.post("/_rez/alarms").raise_for_status()  # evaluate now, as the next minute of platform time would
    assert _alarm_state(control, "notifications-dlq-not-empty") == "ALARM"
    alert = wait_for(lambda: [m for m in inbox(ntfy) if message_id in m["message"] and m.get("priority") == 5],
                     what="operator notification")[0]
    assert "rez-agent-notifications-dlq-dev" in alert["message"] and "ntfy returned status 500" in alert["message"]
    assert alert["title"].startswith("ALARM")

    trace = control.get(f"/_rez/traces/{message_id}").json()
    hops = [(h["source"], h["target"]) for h in trace["hops"]]
    assert hops.count(("SQS Queue", "Processor Lambda")) == 3
    assert ("SQS Queue", "Dead Letter Queue") in hops and ("CloudWatch", "Monitoring Alert") in hops
    assert "sequenceDiagram" in trace["mermaid"]

    peeked = api.get("/api/dlq/notifications").json()["messages"]
    assert any(m["body"]["id"] == message_id for m in peeked)
    assert api.post("/api/dlq/notifications/redrive").json()["moved"] >= 1
    wait_for(lambda: message_status(api, message_id)["status"] == "completed", what="redriven message completes")
    assert [m for m in inbox(ntfy) if m["message"] == text]
    # Two one-minute evaluations later the one-minute window no longer holds the depth of 1.
    control.post("/_rez/clock/advance", json={"by": "121s"}).raise_for_status()
    wait_for(lambda: _alarm_state(control, "notifications-dlq-not-empty") == "OK", what="alarm back to OK")


def test_injected_function_failures_count_as_lambda_errors(api, control, ntfy, quiet_alarms):
    logged = control.get("/_rez/logs/processor").json()["lines"]
    after = logged[-1]["seq"] if logged else 0  # the first test of a stack finds no line yet
    before = len(inbox(ntfy))
    control.post("/_rez/functions/processor/faults", json={"fail_next": 1}).raise_for_status()
    try:
        text = f"unlucky {uuid.uuid4()}"
        message_id = api.post("/api/messages", json={"payload": {"message": text}}).json()["id"]
        wait_for(lambda: any("InjectedFault" in line["text"] for line in
                             control.get("/_rez/logs/processor", params={"after": after}).json()["lines"]),
                 what="the injected failure")
    finally:
        control.delete("/_rez/functions/processor/faults")
    control.post("/_rez/alarms").raise_for_status()
    assert _alarm_state(control, "processor-errors") == "ALARM"
    assert wait_for(lambda: [m for m in inbox(ntfy)[before:] if "processor-errors" in m.get("title", "")],
                    what="errors alarm notification")
    # The failed batch comes back after the visibility timeout and succeeds.
    control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
    wait_for(lambda: message_status(api, message_id)["status"] == "completed", what="delivered on retry")


def test_access_log_records_each_request(api, control):
    request_id = api.get("/api/health").headers["apigw-requestid"]
    entries = control.get("/_rez/access-log").json()["entries"]
    last = next(e for e in reversed(entries) if e["requestId"] == request_id)  # others may have come since
    assert {"requestId", "ip", "requestTime", "httpMethod", "routeKey", "status", "protocol",
            "responseLength"} <= set(last)
    assert last["routeKey"] == "GET /api/health" and last["status"] == 200


def _refusal(control, response) -> str:
    """Why a request was refused: the access log has it (the 401 body is AWS's, with no reason)."""
    request_id = response.headers["apigw-requestid"]
    entries = control.get("/_rez/access-log").json()["entries"]
    return next(e for e in entries if e["requestId"] == request_id)["authorizerError"]


def test_routes_need_a_user_token_except_the_public_ones(anonymous_api, api, stack, control):
    from emulation.auth import fetch_token

    denied = anonymous_api.get("/api/messages")
    assert denied.status_code == 401 and denied.text == '{"message":"Unauthorized"}'
    assert _refusal(control, denied) == "no token in the Authorization header"
    garbage = anonymous_api.get("/api/messages", headers={"authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401 and garbage.json() == {"message": "Unauthorized"}
    assert _refusal(control, garbage) == "the token is not a valid JWT"
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    assert anonymous_api.get("/api/health").status_code == 200
    assert api.get("/api/messages").status_code == 200
    # A token for another audience (the golf course's identity server) is refused.
    golf_issuer = f"{stack.urls.fakes['birdsfoot']}/identityapi"
    foreign = fetch_token(golf_issuer, "golfer@example.com", "fairway-2025")
    refused = anonymous_api.get("/api/messages", headers={"authorization": f"Bearer {foreign}"})
    assert refused.status_code == 401 and _refusal(control, refused) == "the token does not have a valid issuer"


def test_tokens_expire_on_the_platform_clock(anonymous_api, stack, control):
    from emulation.auth import fetch_token

    token = fetch_token(f"{stack.urls.fakes['identity']}/identityapi", "golfer@example.com", "fairway-2025")
    headers = {"authorization": f"Bearer {token}"}
    assert anonymous_api.get("/api/messages", headers=headers).status_code == 200
    control.post("/_rez/clock/advance", json={"by": "2h"}).raise_for_status()
    expired = anonymous_api.get("/api/messages", headers=headers)
    assert expired.status_code == 401 and _refusal(control, expired) == "the token has expired"
    assert expired.headers["www-authenticate"].endswith('error_description="the token has expired"')


def test_the_chat_page_signs_in_at_the_identity_provider(anonymous_api, stack):
    page = anonymous_api.get("/agent/ui")
    issuer = f"{stack.urls.fakes['identity']}/identityapi"
    assert page.status_code == 200 and f'const issuer = "{issuer}"' in page.text
    # What the page's sign-in form does from the browser: discovery, then the password grant (CORS allowed).
    import httpx

    origin = {"Origin": stack.urls.api}
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", headers=origin)
    assert discovery.headers["access-control-allow-origin"] in ("*", stack.urls.api)
    granted = httpx.post(discovery.json()["token_endpoint"], headers=origin, data={
        "grant_type": "password", "username": "golfer@example.com", "password": "fairway-2025"})
    token = granted.json()["access_token"]
    answer = anonymous_api.post("/agent", json={"message": "hello"}, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["session_id"]


def test_injected_timeouts_and_latency(api, control):
    """A function that times out is retried like any failed batch; added latency slows it, nothing more."""
    control.post("/_rez/functions/processor/faults", json={"timeout_next": 1, "latency_ms": 50}).raise_for_status()
    try:
        message_id = api.post("/api/messages", json={"payload": {"message": f"slow {uuid.uuid4()}"}}).json()["id"]
        wait_for(lambda: any("Sandbox.Timedout" in line["text"]
                             for line in control.get("/_rez/logs/processor").json()["lines"][-50:]),
                 what="the injected timeout")
        assert message_status(api, message_id)["status"] in ("queued", "processing")
        control.post("/_rez/clock/advance", json={"by": "301s"}).raise_for_status()
        wait_for(lambda: message_status(api, message_id)["status"] == "completed", what="completed on redelivery")
    finally:
        control.delete("/_rez/functions/processor/faults")
