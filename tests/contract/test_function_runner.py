"""The function runner: Lambda context, per-function environment, errors, timeouts, logs, clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulation.runtime.clock import PlatformClock
from emulation.runtime.functions import FunctionRunner, FunctionSpec
from emulation.runtime.logs import FunctionLogs


def _spec(key: str, handler: str, timeout: int = 5, env: dict | None = None) -> FunctionSpec:
    return FunctionSpec(key=key, name=f"rez-agent-{key}-dev", arn=f"arn:aws:lambda:us-east-1:1:function:{key}",
                        handler=handler, memory=256, timeout=timeout, env=env or {})


@pytest.fixture()
def runner(tmp_path):
    clock = PlatformClock(frozen_at=datetime(2026, 7, 4, 12, 0, tzinfo=UTC))
    specs = {
        "echo": _spec("echo", "tests.support.handlers.echo", env={"GREETING": "hello"}),
        "other": _spec("other", "tests.support.handlers.echo", env={"GREETING": "bonjour"}),
        "boom": _spec("boom", "tests.support.handlers.boom"),
        "slow": _spec("slow", "tests.support.handlers.slow", timeout=1),
        "missing": _spec("missing", "tests.support.nowhere.handler"),
        "die": _spec("die", "tests.support.handlers.die"),
        "exits": _spec("exits", "tests.support.handlers.exits"),
    }
    runner = FunctionRunner(specs, {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "PATH": "/usr/bin:/bin"}, clock,
                            FunctionLogs(tmp_path / "logs"), concurrency=2)
    runner.clock = clock
    yield runner
    runner.stop()


def test_context_environment_and_clock(runner):
    first = runner.invoke("echo", {"a": 1})
    assert not first.failed and first.cold_start
    result = first.result
    assert result["event"] == {"a": 1} and result["function_name"] == "rez-agent-echo-dev"
    assert result["arn"].endswith(":function:echo") and result["memory"] == "256"
    assert 0 < result["remaining_ms"] <= 5000 and result["request_id"] == first.request_id
    assert result["greeting"] == "hello" and result["endpoint"] == "http://127.0.0.1:1"
    assert result["now"] == "2026-07-04T12:00:00+00:00"
    assert runner.invoke("other", {}).result["greeting"] == "bonjour"
    runner.clock.advance(timedelta(hours=3))
    second = runner.invoke("echo", {})
    assert not second.cold_start and second.result["pid"] == result["pid"]
    assert second.result["now"] == "2026-07-04T15:00:00+00:00"


def test_unhandled_exception_is_a_function_error_with_logs(runner):
    invocation = runner.invoke("boom", {})
    assert invocation.error["errorType"] == "RuntimeError" and invocation.error["errorMessage"] == "kaboom"
    text = "\n".join(line.text for line in runner.logs.lines("boom"))
    assert "about to fail" in text and "START RequestId" in text and "REPORT RequestId" in text


def test_timeout_stops_the_invocation_and_the_next_one_starts_cold(runner):
    invocation = runner.invoke("slow", {"seconds": 30})
    assert invocation.error["errorType"] == "Sandbox.Timedout"
    assert invocation.duration_ms < 5000
    quick = runner.invoke("slow", {"seconds": 0})
    assert quick.result == "done" and quick.cold_start


def test_import_error_is_reported(runner):
    invocation = runner.invoke("missing", {})
    assert invocation.error["errorType"] == "Runtime.ImportModuleError"


def test_a_runtime_killed_mid_invocation_is_a_runtime_exit_error(runner):
    invocation = runner.invoke("die", {})
    expected = f"RequestId: {invocation.request_id} Error: Runtime exited with error: signal: killed"
    assert invocation.error == {"errorType": "Runtime.ExitError", "errorMessage": expected}
    lines = [line.text for line in runner.logs.lines("die")]
    at = lines.index(expected)
    assert lines[at + 1] == "Runtime.ExitError" and lines[at + 2] == f"END RequestId: {invocation.request_id}"
    assert lines[at + 3].startswith(f"REPORT RequestId: {invocation.request_id}\tDuration: ")
    assert "about to be killed" in lines[:at]
    assert runner.invoke("echo", {}).result["greeting"] == "hello"  # the others are unaffected
    again = runner.invoke("die", {})
    assert again.cold_start and again.error["errorType"] == "Runtime.ExitError"  # a fresh environment


def test_a_runtime_that_exits_reports_its_status(runner):
    invocation = runner.invoke("exits", {"status": 3})
    assert invocation.error["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_a_worker_that_died_idle_is_replaced_not_reported(runner):
    import os
    import signal
    import time
    from pathlib import Path

    first = runner.invoke("echo", {})
    pid = first.result["pid"]
    os.kill(pid, signal.SIGKILL)
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + 10
    while stat.exists() and stat.read_text().split()[2] != "Z" and time.monotonic() < deadline:
        pass  # until the kernel has ended it
    second = runner.invoke("echo", {})
    assert not second.failed and second.cold_start and second.result["pid"] != first.result["pid"]


def test_claimed_slots_throttle_at_the_limit(runner):
    slots = [runner.claim("echo"), runner.claim("echo")]
    assert all(slots) and runner.claim("echo") is None  # concurrency 2: the third is throttled
    assert runner.invoke("echo", {}, slot=slots[0]).result["greeting"] == "hello"
    again = runner.claim("echo")
    assert again is not None and again.worker is not None  # the warm environment is handed on
    runner.invoke("echo", {}, slot=again)
    runner.invoke("echo", {}, slot=slots[1])
    assert runner.claim("echo") is not None


def test_port_in_use_is_a_clear_error():
    from emulation.runtime.servers import PortInUseError, reserve

    held = reserve(0, "HTTP API", "REZ_PORT_API")
    held.listen()  # another server, up and listening
    try:
        with pytest.raises(PortInUseError, match="REZ_PORT_API=<port>"):
            reserve(held.getsockname()[1], "HTTP API", "REZ_PORT_API")
    finally:
        held.close()
