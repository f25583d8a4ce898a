"""The whole local stack, one per test worker (xdist), driven through HTTP only."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from emulation.backends import BackendUnavailable
from emulation.config import StackConfig
from emulation.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """REZ_TARGET picks the data-plane backend (``make test-ministack``, ``make test-localstack``)."""
    target = os.environ.get("REZ_TARGET", "local") or "local"
    stack = Stack(StackConfig.for_tests(tmp_path_factory.mktemp("rez-stack"), target=target))
    try:
        stack.start()
    except BackendUnavailable as exc:
        pytest.skip(f"REZ_TARGET={target}: the backend cannot start here: {exc}")
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    """The HTTP API as a signed-in user (a password-grant token from the API's identity provider)."""
    from emulation.auth import PasswordGrantAuth

    auth = PasswordGrantAuth(f"{stack.urls.fakes['identity']}/identityapi")
    with httpx.Client(base_url=stack.urls.api, timeout=30, auth=auth) as client:
        yield client


@pytest.fixture(scope="session")
def anonymous_api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.urls.api, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def control(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.urls.control, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def ntfy(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.urls.ntfy, timeout=30) as client:
        yield client


@pytest.fixture()
def aws(stack: Stack) -> Callable[[str], Any]:
    """A boto3 client factory for the emulator's AWS endpoint (the AWS API is HTTP too)."""
    return stack.session.client


@pytest.fixture(autouse=True)
def _platform_as_found(stack: Stack) -> Iterator[None]:
    """Whatever a test switched on is switched off after it, even when it failed midway: fakes'
    faults, function faults, disabled event source mappings, a frozen clock, another LLM backend.
    And before it, the work an earlier test left in the queues (a backlog of fired schedules) is
    done, so it does not delay this test's deliveries (best effort: a test that left a failed
    record waiting for its visibility timeout must not fail the next one)."""
    try:
        settled(stack)
    except AssertionError:
        warnings.warn("the functions' queues did not drain before the test", stacklevel=1)
    yield
    for origin in stack.urls.fakes.values():
        httpx.delete(f"{origin}/_fake/faults", timeout=10)
    stack.runner.faults.clear()
    for poller in stack.pollers:
        poller.set_enabled(True)
    if stack.clock.frozen:
        stack.clock.unfreeze()
    bedrock = stack.urls.fakes["bedrock"]
    if httpx.get(f"{bedrock}/_fake/bedrock/backend", timeout=10).json().get("backend") != stack.config.bedrock_backend:
        httpx.post(f"{bedrock}/_fake/bedrock/backend", timeout=10, json={
            "name": stack.config.bedrock_backend, "options": stack.config.bedrock_options}).raise_for_status()


@pytest.fixture()
def quiet_alarms(stack: Stack, control: httpx.Client) -> None:
    """No dead letters and no alarm in ALARM when the test starts, whatever ran before it.

    An alarm already in ALARM does not transition again: an earlier test's dead letter would hide
    this test's operator notification and the CloudWatch hops of its trace. So: purge every DLQ,
    then let platform time pass beyond the longest alarm period (stale datapoints age out) and
    evaluate until none is in ALARM.
    """
    from infra import manifest

    sqs = stack.session.client("sqs")
    for key, queue in manifest.QUEUES.items():
        if queue.has_dlq:
            url = stack.provisioned.queue_urls[stack.naming.dlq(key)]
            try:
                sqs.purge_queue(QueueUrl=url)
            except ClientError:  # PurgeQueueInProgress (one purge a minute, where enforced): drain instead
                while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                    sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    cloudwatch = stack.session.client("cloudwatch")

    def alarmed() -> list[dict]:
        return [a for a in cloudwatch.describe_alarms()["MetricAlarms"] if a["StateValue"] == "ALARM"]

    # Always: a datapoint sampled before the purge can still be in an alarm's window, and an
    # evaluation timer due inside this test's first clock jump would turn it into ALARM.
    period = max(a["Period"] for a in cloudwatch.describe_alarms()["MetricAlarms"])
    control.post("/_rez/clock/advance", json={"by": f"{period + 1}s"}).raise_for_status()
    wait_for(lambda: control.post("/_rez/alarms").raise_for_status() and not alarmed(),
             what="every alarm out of ALARM")


@pytest.fixture()
def unbooked_golf_days(stack: Stack, control: httpx.Client) -> None:
    """The demo golfer has no reservation from today on at either course when the test starts.

    The courses refuse a second booking by one golfer on one day, so a booking made by an earlier
    test must not decide this one: when there is one, platform time moves past its day.
    """
    from datetime import date, datetime

    days = [date.fromisoformat(r["start"][:10]) for course in ("birdsfoot", "totteridge")
            for r in httpx.get(f"{stack.urls.fakes[course]}/_fake/golf/reservations", timeout=10)
            .json()["reservations"]]
    today = datetime.fromisoformat(control.get("/_rez/clock").json()["now"].replace("Z", "+00:00")).date()
    if days and max(days) >= today:
        # One day beyond the last booked one: "today" and "tomorrow" are free in every course's timezone.
        control.post("/_rez/clock/advance", json={"by": f"{(max(days) - today).days + 1}d"}).raise_for_status()


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Poll until ``condition()`` is truthy: waiting for the platform to finish work, not for time to pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def settled(stack: Stack, timeout: float = 30.0) -> None:
    """Wait until no queue the functions consume holds a message (none waiting, none in flight)."""
    from infra import manifest

    sqs = stack.session.client("sqs")
    urls = [stack.provisioned.queue_urls[stack.naming.queue(m.queue)] for m in manifest.EVENT_SOURCE_MAPPINGS]

    def empty() -> bool:
        for url in urls:
            found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            if any(int(v) for v in found.values()):
                return False
        return True

    wait_for(empty, timeout=timeout, interval=0.1, what="the functions' queues to drain")


def message_status(api: httpx.Client, message_id: str) -> dict:
    response = api.get(f"/api/messages/{message_id}")
    assert response.status_code == 200, response.text
    return response.json()


def inbox(ntfy: httpx.Client, topic: str = "rez-agent-dev") -> list[dict]:
    """Read through the fake's inspection route, which injected faults never touch."""
    return ntfy.get("/_fake/ntfy/messages", params={"topic": topic}).json()["messages"]
