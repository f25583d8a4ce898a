"""``GET /api/health`` reports its dependencies; a dead emulator child is restarted and re-provisioned."""

from __future__ import annotations

import os
import signal
import uuid

import httpx
import pytest

from emulation.config import StackConfig
from emulation.stack import Stack
from tests.e2e.conftest import message_status, wait_for

pytestmark = pytest.mark.e2e


def _health(client: httpx.Client) -> tuple[int, dict]:
    response = client.get("/api/health")
    return response.status_code, response.json()


def test_health_checks_the_aws_endpoint_and_every_event_source_mapping(anonymous_api, control):
    status, body = _health(anonymous_api)
    assert status == 200 and body["status"] == "healthy", body
    assert body["checks"]["aws"]["status"] == "ok" and body["checks"]["aws"]["table"].startswith("rez-agent-messages")
    mappings = body["checks"]["event_source_mappings"]["mappings"]
    assert mappings["rez-agent-notifications-dev"] == {"function": "rez-agent-processor-dev", "state": "Enabled"}
    assert len(mappings) == 4

    control.post("/_rez/event-source-mappings/processor/disable").raise_for_status()
    try:
        status, body = _health(anonymous_api)
        assert status == 503 and body["status"] == "degraded"
        assert body["reason"] == ("event source mapping rez-agent-notifications-dev -> rez-agent-processor-dev "
                                  "is Disabled (USER_INITIATED)")
        assert body["checks"]["aws"]["status"] == "ok"
        assert body["checks"]["event_source_mappings"]["status"] == "down"
    finally:
        control.post("/_rez/event-source-mappings/processor/enable").raise_for_status()
    assert _health(anonymous_api)[0] == 200


def test_the_lambda_api_answers_for_the_platform_pollers(stack):
    import boto3

    # Where functions find it (AWS_ENDPOINT_URL_LAMBDA): the platform runs the pollers, not the emulator.
    lam = boto3.client("lambda", endpoint_url=stack.urls.control, region_name=stack.config.region,
                       aws_access_key_id="test", aws_secret_access_key="test")
    listed = lam.list_event_source_mappings(FunctionName="rez-agent-processor-dev")["EventSourceMappings"]
    assert [m["EventSourceArn"].rsplit(":", 1)[-1] for m in listed] == ["rez-agent-notifications-dev"]
    mapping = listed[0]
    assert mapping["State"] == "Enabled" and mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    try:
        assert lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)["State"] == "Disabled"
        assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
    finally:
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=str(uuid.uuid4()))


@pytest.fixture()
def own_stack(tmp_path) -> Stack:
    """Its own stack: this test kills the emulator, which the session's stack must not see."""
    if (os.environ.get("REZ_TARGET") or "local") != "local":
        pytest.skip("supervises the embedded moto child of the default target")
    stack = Stack(StackConfig.for_tests(tmp_path))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_a_dead_emulator_is_restarted_and_health_is_degraded_meanwhile(own_stack):
    from emulation.auth import PasswordGrantAuth

    stack = own_stack
    anonymous = httpx.Client(base_url=stack.urls.api, timeout=30)
    api = httpx.Client(base_url=stack.urls.api, timeout=30,
                       auth=PasswordGrantAuth(f"{stack.urls.fakes['identity']}/identityapi"))
    assert _health(anonymous)[0] == 200
    pid = stack.backend.pid

    # A hung emulator: the health check's own short timeout says so, and the process is left alone.
    os.kill(pid, signal.SIGSTOP)
    try:
        status, body = wait_for(lambda: (r := _health(anonymous))[0] == 503 and r, timeout=30, what="degraded")
    finally:
        os.kill(pid, signal.SIGKILL)  # then it dies: the supervisor restarts it
    assert body["status"] == "degraded" and body["checks"]["aws"]["status"] == "down"
    assert body["reason"].startswith("AWS endpoint: DescribeTable rez-agent-messages-dev failed (")

    control = httpx.Client(base_url=stack.urls.control, timeout=30)
    wait_for(lambda: control.get("/_rez/health").json()["backend"]["restarts"] == 1, timeout=60,
             what="the supervisor restarted moto")
    assert stack.backend.pid != pid and control.get("/_rez/health").json()["status"] == "ok"
    status, body = wait_for(lambda: (r := _health(anonymous))[0] == 200 and r, timeout=30, what="healthy again")
    assert body["status"] == "healthy"

    # Re-provisioned: the whole message flow works again on the fresh emulator.
    created = api.post("/api/messages", json={"payload": {"message": f"after restart {uuid.uuid4()}"}})
    assert created.status_code == 201, created.text
    wait_for(lambda: message_status(api, created.json()["id"])["status"] == "completed", timeout=30,
             what="delivered after the restart")
