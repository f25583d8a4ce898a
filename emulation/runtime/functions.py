"""The function runner: invoke a handler by its manifest entry, as Lambda would.

Each function gets warm worker processes (``emulation.runtime.worker``) started with the
function's own environment — its manifest environment plus the standard ``AWS_ENDPOINT_URL`` and
credentials — so ``services/`` finds the emulator with no code of its own. A worker serves one
invocation at a time. The timeout is enforced by killing the worker (the next invocation starts a
fresh one, a cold start). A worker that dies mid-invocation (killed by a signal, or exiting) is a
``Runtime.ExitError`` function error, logged as Lambda logs it.

Concurrency: each function has at most ``reserved[key]`` environments at once — its reserved
concurrency. The manifest has no such setting, so every function gets ``concurrency`` (the stack's
``function_concurrency``, 10 by default: the concurrency quota of a new AWS account). Synchronous callers (the HTTP API) ``claim`` a slot and are
throttled at once when none is free — Lambda's ``TooManyRequestsException`` — so nothing waits
holding a thread; event sources (queues, schedules, SNS) wait for a slot instead, as Lambda's
pollers and asynchronous invocations retry a throttled function.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulation.runtime.clock import PlatformClock
from emulation.runtime.logs import FunctionLogs
from emulation.runtime.sandbox import FunctionSpec, Worker
from emulation.runtime.wire import recv_frame, send_frame

__all__ = ["FunctionRunner", "FunctionSpec", "Invocation", "Slot", "THROTTLED"]

# What Lambda answers a synchronous invoke when the function's concurrency is used up.
THROTTLED = {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded.",
             "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}


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
class Slot:
    """One unit of a function's concurrency, held from ``claim`` until the invocation ends."""

    key: str
    worker: Worker | None  # a warm environment, or None: a cold start is due


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


class FunctionRunner:
    def __init__(self, specs: dict[str, FunctionSpec], base_env: dict[str, str], clock: PlatformClock,
                 logs: FunctionLogs, concurrency: int = 4, init_timeout: float = 60.0,
                 reserved: dict[str, int] | None = None) -> None:
        self.specs = specs
        self._base_env = base_env
        self._clock = clock
        self.logs = logs
        self.limits = {key: max(1, (reserved or {}).get(key, concurrency)) for key in specs}
        self._init_timeout = init_timeout
        self._idle: dict[str, list[Worker]] = {k: [] for k in specs}
        self._count: dict[str, int] = dict.fromkeys(specs, 0)
        self._cond = threading.Condition()
        self._listeners: list[Callable[[Invocation, dict[str, Any]], None]] = []
        self.on_send: Callable[[str, str], None] | None = None  # (body md5, trace id)
        self.faults: dict[str, FunctionFaults] = {}
        self._closed = False

    @property
    def capacity(self) -> int:
        """Environments that can run at once, over all functions."""
        return sum(self.limits.values())

    def add_listener(self, listener: Callable[[Invocation, dict[str, Any]], None]) -> None:
        """Called after every invocation with the result and the event (for traces and metrics)."""
        self._listeners.append(listener)

    def warm(self, keys: list[str] | None = None) -> None:
        """Start one worker per function in parallel, so the first request is not a cold start."""
        keys = keys or list(self.specs)
        workers: list[tuple[str, Worker]] = []
        with self._cond:
            for key in keys:
                if self._count[key] == 0:
                    self._count[key] += 1
                    workers.append((key, Worker(self.specs[key], self._base_env, self.logs)))
        for key, worker in workers:
            try:
                worker.wait_ready(self._init_timeout)
            except (OSError, ConnectionError):
                worker.kill()
                self._give_back(Slot(key, None))
                continue
            self._release(key, worker)

    def claim(self, key: str) -> Slot | None:
        """A slot of ``key``'s concurrency at once, or ``None``: the invocation is throttled."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the function runner is stopped")
            return self._take(key)

    def invoke(self, key: str, event: dict[str, Any], *, trace_id: str | None = None,
               slot: Slot | None = None) -> Invocation:
        """Run one invocation, in a slot from ``claim`` or (when none is given) waiting for one."""
        spec = self.specs[key]
        faults = self.faults.get(key)
        if faults is not None:
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            injected = faults.take()
            if injected is not None:
                if slot is not None and slot.worker is not None:
                    self._release(key, slot.worker)
                elif slot is not None:
                    self._give_back(slot)
                invocation = Invocation(function=key, request_id=str(uuid.uuid4()), error=injected, trace_id=trace_id)
                for listener in self._listeners:
                    listener(invocation, event)
                self.logs.append(key, f"{invocation.request_id} {injected['errorType']}: {injected['errorMessage']}")
                return invocation
        slot = slot or self._acquire(key)
        worker, cold = self._environment(slot)
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
                send_frame(worker.channel, {"linked": True})  # only then does the worker publish
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
            message = f"Task timed out after {spec.timeout:.2f} seconds"
            invocation.error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
            self.logs.append(key, f"{invocation.request_id} {message}")
            self._log_end(spec, invocation, started, "Status: timeout")
        except (ConnectionError, OSError):
            healthy = False
            message = f"RequestId: {invocation.request_id} Error: Runtime exited with error: {worker.exit_status()}"
            invocation.error = {"errorType": "Runtime.ExitError", "errorMessage": message}
            self.logs.append(key, message)
            self.logs.append(key, "Runtime.ExitError")
            self._log_end(spec, invocation, started, "Status: error\tError Type: Runtime.ExitError")
        finally:
            invocation.duration_ms = (time.perf_counter() - started) * 1000
            if healthy:
                worker.invocations += 1
                self._release(key, worker)
            else:
                worker.kill()
                self._give_back(Slot(key, None))
        for listener in self._listeners:
            listener(invocation, event)
        return invocation

    def _log_end(self, spec: FunctionSpec, invocation: Invocation, started: float, status: str) -> None:
        """What the Lambda runtime writes when the function did not end on its own."""
        elapsed = (time.perf_counter() - started) * 1000
        self.logs.append(spec.key, f"END RequestId: {invocation.request_id}")
        self.logs.append(spec.key, f"REPORT RequestId: {invocation.request_id}\tDuration: {elapsed:.2f} ms"
                                   f"\tBilled Duration: {int(elapsed) + 1} ms\tMemory Size: {spec.memory} MB"
                                   f"\t{status}")

    def _take(self, key: str) -> Slot | None:
        if self._idle[key]:
            return Slot(key, self._idle[key].pop())
        if self._count[key] < self.limits[key]:
            self._count[key] += 1
            return Slot(key, None)
        return None

    def _acquire(self, key: str) -> Slot:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the function runner is stopped")
                slot = self._take(key)
                if slot is not None:
                    return slot
                self._cond.wait()

    def _environment(self, slot: Slot) -> tuple[Worker, bool]:
        """The slot's warm worker, or a new one (a cold start) when it has none or its worker died idle."""
        if slot.worker is not None and slot.worker.alive:
            return slot.worker, False
        if slot.worker is not None:
            slot.worker.kill()
        try:
            return Worker(self.specs[slot.key], self._base_env, self.logs), True
        except Exception:
            self._give_back(Slot(slot.key, None))
            raise

    def _give_back(self, slot: Slot) -> None:
        """Return a slot that has no worker to keep."""
        with self._cond:
            self._count[slot.key] -= 1
            self._cond.notify_all()

    def _release(self, key: str, worker: Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                self._count[key] -= 1
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
