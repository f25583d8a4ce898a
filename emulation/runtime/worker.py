"""A function's execution environment: one child process per warm "container".

Started as ``python -m emulation.runtime.worker <fd> <handler>`` with exactly the environment
the function has in AWS. It imports the handler once (the cold start), then serves invocations
from the platform over the socket ``fd``: a Lambda context with the remaining time, the
platform's clock, START/END/REPORT log lines like the Lambda runtime, and an unhandled exception
reported as a function error (``errorType``, ``errorMessage``, ``stackTrace``). Before a handler
publishes or sends a message, the worker names it to the platform (``{"sending": md5}``) and waits
for ``{"linked": true}``, so the message's trace is known before anyone can receive it.
"""

from __future__ import annotations

import importlib
import os
import resource
import socket
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from emulation.runtime import instrument
from emulation.runtime.wire import recv_frame, send_frame


class LambdaContext:
    """The attributes and method of the AWS Lambda Python context object."""

    def __init__(self, request_id: str, deadline_ms: int, trace_id: str | None) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("REZ_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms
        self._trace_id = trace_id

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _install_clock(clock: dict[str, Any]) -> None:
    from services.core import clock as app_clock  # the runtime's hook, like the RIC setting context

    if clock.get("frozen"):
        frozen = datetime.fromisoformat(clock["now"])
        app_clock.set_source(lambda: frozen)
    elif clock.get("offset_seconds"):
        offset = timedelta(seconds=clock["offset_seconds"])
        app_clock.set_source(lambda: datetime.now(UTC) + offset)
    else:
        app_clock.set_source(None)


def _load(handler_path: str):
    module_name, _, function_name = handler_path.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def _error(exc: BaseException) -> dict[str, Any]:
    return {"errorType": type(exc).__name__, "errorMessage": str(exc),
            "stackTrace": traceback.format_tb(exc.__traceback__)}


def _announcer(channel: socket.socket):
    """Tell the platform a message is about to be sent, and wait until it has linked it to the trace:
    otherwise its queue's poller can receive the message first and start a trace of its own."""
    lock = threading.Lock()  # handlers may publish from several threads

    def announce(md5: str) -> None:
        with lock:
            send_frame(channel, {"sending": md5})
            recv_frame(channel)

    return announce


def main() -> None:
    fd, handler_path = int(sys.argv[1]), sys.argv[2]
    channel = socket.socket(fileno=fd)
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    init_error: dict[str, Any] | None = None
    instrument.install()
    try:
        handler = _load(handler_path)
    except Exception as exc:  # reported on every invocation, like Runtime.ImportModuleError
        init_error = _error(exc)
        init_error["errorType"] = "Runtime.ImportModuleError"
        print(f"[ERROR] Runtime.ImportModuleError: {exc}", flush=True)
    instrument.on_send = _announcer(channel)
    send_frame(channel, {"ready": True})
    while True:
        try:
            request = recv_frame(channel)
        except ConnectionError:
            return
        request_id = request["request_id"]
        if request.get("trace_id"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
        _install_clock(request.get("clock", {}))
        instrument.begin()
        print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
        started = time.perf_counter()
        if init_error:
            reply = {"ok": False, "error": init_error}
        else:
            context = LambdaContext(request_id, request["deadline_ms"], request.get("trace_id"))
            try:
                reply = {"ok": True, "result": handler(request["event"], context)}
            except Exception as exc:
                traceback.print_exc()
                reply = {"ok": False, "error": _error(exc)}
        elapsed = (time.perf_counter() - started) * 1000
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"END RequestId: {request_id}", flush=True)
        print(f"REPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms\tBilled Duration: {int(elapsed) + 1} ms"
              f"\tMemory Size: {memory} MB\tMax Memory Used: {max_rss} MB", flush=True)
        sys.stderr.flush()
        reply["calls"] = instrument.collected()
        send_frame(channel, reply)


if __name__ == "__main__":
    main()
