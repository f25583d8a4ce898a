"""The function runner: invoke a handler by its manifest entry, as Lambda would.

Each function gets warm worker processes (``emulation.runtime.worker``) started with the
function's own environment — its manifest environment plus the standard ``AWS_ENDPOINT_URL`` and
credentials — so ``services/`` finds the emulator with no code of its own. A worker serves one
invocation at a time, up to ``concurrency`` workers per function. The timeout is enforced by
killing the worker (the next invocation starts a fresh one, a cold start).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulation.runtime.clock import PlatformClock
from emulation.runtime.logs import FunctionLogs
from emulation.runtime.processes import spawn
from emulation.runtime.wire import recv_frame, send_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    name: str
    arn: str
    handler: str
    memory: int
    timeout: int
    env: dict[str, str]


@dataclass
class Invocation:
    function: str
    request_id: str
    result: Any = None
    error: dict[str, Any] | None = None  # Lambda's function error payload
    duration_ms: float = 0.0
    cold_start: bool = False
    trace_id: str | None = None
    started_at: float = field(default_factory=time.time)
    calls: list[dict[str, Any]] = field(default_factory=list)  # AWS and HTTP calls the function made

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class FunctionFaults:
    """Injected misbehaviour of one function (control API ``/_rez/functions/{fn}/faults``)."""

    fail_next: int = 0        # the next N invocations raise an unhandled error
    timeout_next: int = 0     # the next N invocations time out (reported at once, not after the timeout)
    latency_ms: int = 0       # added before every invocation until cleared

    def take(self) -> dict[str, Any] | None:
        if self.timeout_next > 0:
            self.timeout_next -= 1
            return {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out (injected fault)"}
        if self.fail_next > 0:
            self.fail_next -= 1
            return {"errorType": "InjectedFault", "errorMessage": "Injected failure (control API)"}
        return None


class _Worker:
    def __init__(self, spec: FunctionSpec, base_env: dict[str, str], logs: FunctionLogs) -> None:
        parent, child = socket.socketpair()
        env = {**base_env, **spec.env,
               "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
               "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
               "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}", "REZ_FUNCTION_ARN": spec.arn,
               "_HANDLER": spec.handler, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = spawn([sys.executable, "-m", "emulation.runtime.worker", str(child.fileno()), spec.handler],
                             env=env, cwd=str(PROJECT_ROOT), pass_fds=(child.fileno(),),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        child.close()
        self.channel = parent
        self.invocations = 0
        # Set when the worker's REPORT line for a request has been logged: an invocation returns
        # only once its logs are complete, as CloudWatch Logs has them before the caller reads them.
        self.reported: dict[str, threading.Event] = {}
        threading.Thread(target=self._pump, args=(spec.key, logs), daemon=True,
                         name=f"logs:{spec.key}").start()

    def _pump(self, function: str, logs: FunctionLogs) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            logs.append(function, line)
            if line.startswith("REPORT RequestId: "):
                done = self.reported.get(line.split()[2])
                if done is not None:
                    done.set()

    def wait_ready(self, timeout: float) -> None:
        self.channel.settimeout(timeout)
        recv_frame(self.channel)

    def kill(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class FunctionRunner:
    def __init__(self, specs: dict[str, FunctionSpec], base_env: dict[str, str], clock: PlatformClock,
                 logs: FunctionLogs, concurrency: int = 4, init_timeout: float = 60.0) -> None:
        self.specs = specs
        self._base_env = base_env
        self._clock = clock
        self.logs = logs
        self._concurrency = concurrency
        self._init_timeout = init_timeout
        self._idle: dict[str, list[_Worker]] = {k: [] for k in specs}
        self._count: dict[str, int] = dict.fromkeys(specs, 0)
        self._cond = threading.Condition()
        self._listeners: list[Callable[[Invocation, dict[str, Any]], None]] = []
        self.on_send: Callable[[str, str], None] | None = None  # (body md5, trace id)
        self.faults: dict[str, FunctionFaults] = {}
        self._closed = False

    def add_listener(self, listener: Callable[[Invocation, dict[str, Any]], None]) -> None:
        """Called after every invocation with the result and the event (for traces and metrics)."""
        self._listeners.append(listener)

    def warm(self, keys: list[str] | None = None) -> None:
        """Start one worker per function in parallel, so the first request is not a cold start."""
        keys = keys or list(self.specs)
        workers: list[tuple[str, _Worker]] = []
        with self._cond:
            for key in keys:
                if self._count[key] == 0:
                    self._count[key] += 1
                    workers.append((key, _Worker(self.specs[key], self._base_env, self.logs)))
        for key, worker in workers:
            try:
                worker.wait_ready(self._init_timeout)
            except (OSError, ConnectionError):
                worker.kill()
                with self._cond:
                    self._count[key] -= 1
                continue
            self._release(key, worker)

    def invoke(self, key: str, event: dict[str, Any], *, trace_id: str | None = None) -> Invocation:
        spec = self.specs[key]
        faults = self.faults.get(key)
        if faults is not None:
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            injected = faults.take()
            if injected is not None:
                invocation = Invocation(function=key, request_id=str(uuid.uuid4()), error=injected, trace_id=trace_id)
                for listener in self._listeners:
                    listener(invocation, event)
                self.logs.append(key, f"{invocation.request_id} {injected['errorType']}: {injected['errorMessage']}")
                return invocation
        worker, cold = self._acquire(key)
        invocation = Invocation(function=key, request_id=str(uuid.uuid4()), cold_start=cold, trace_id=trace_id)
        started = time.perf_counter()
        healthy = True
        try:
            if cold:
                worker.wait_ready(self._init_timeout)
            clock = self._clock.state()
            logged = worker.reported[invocation.request_id] = threading.Event()
            send_frame(worker.channel, {
                "request_id": invocation.request_id, "event": event, "trace_id": trace_id,
                "deadline_ms": int(time.time() * 1000) + spec.timeout * 1000, "clock": clock})
            worker.channel.settimeout(spec.timeout)
            reply = recv_frame(worker.channel)
            while "sending" in reply:  # a message is about to be published: link it to this trace now
                if self.on_send and trace_id:
                    self.on_send(reply["sending"], trace_id)
                reply = recv_frame(worker.channel)
            invocation.calls = reply.get("calls", [])
            if reply.get("ok"):
                invocation.result = reply.get("result")
            else:
                invocation.error = reply.get("error")
            logged.wait(1.0)
            worker.reported.pop(invocation.request_id, None)
        except TimeoutError:
            healthy = False
            invocation.error = {"errorType": "Sandbox.Timedout",
                                "errorMessage": f"Task timed out after {spec.timeout:.2f} seconds"}
            self.logs.append(key, f"{invocation.request_id} Task timed out after {spec.timeout:.2f} seconds")
        except (ConnectionError, OSError) as exc:
            healthy = False
            invocation.error = {"errorType": "Runtime.ExitError",
                                "errorMessage": f"worker exited unexpectedly: {exc}"}
        finally:
            invocation.duration_ms = (time.perf_counter() - started) * 1000
            if healthy:
                worker.invocations += 1
                self._release(key, worker)
            else:
                worker.kill()
                with self._cond:
                    self._count[key] -= 1
                    self._cond.notify_all()
        for listener in self._listeners:
            listener(invocation, event)
        return invocation

    def _acquire(self, key: str) -> tuple[_Worker, bool]:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the function runner is stopped")
                if self._idle[key]:
                    return self._idle[key].pop(), False
                if self._count[key] < self._concurrency:
                    self._count[key] += 1
                    break
                self._cond.wait()
        try:
            return _Worker(self.specs[key], self._base_env, self.logs), True
        except Exception:
            with self._cond:
                self._count[key] -= 1
                self._cond.notify_all()
            raise

    def _release(self, key: str, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                return
            self._idle[key].append(worker)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            workers = [w for idle in self._idle.values() for w in idle]
            for idle in self._idle.values():
                idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
