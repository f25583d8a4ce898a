"""The platform's handle on one execution environment: a worker process and its channel.

A worker (``emulation.runtime.worker``) is started with exactly the function's environment and
prints its logs to a pipe that a thread copies into the function's log. When a worker dies, its
exit is described the way Lambda describes it (``signal: killed``, ``exit status 1``).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from emulation.runtime.logs import FunctionLogs
from emulation.runtime.processes import spawn
from emulation.runtime.wire import recv_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Go's names for signals, which is how the Lambda runtime reports a runtime killed by one.
_SIGNAL_NAMES = {
    signal.SIGKILL: "killed", signal.SIGTERM: "terminated", signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted", signal.SIGINT: "interrupt", signal.SIGHUP: "hangup", signal.SIGBUS: "bus error",
    signal.SIGILL: "illegal instruction", signal.SIGFPE: "floating point exception", signal.SIGQUIT: "quit",
    signal.SIGPIPE: "broken pipe",
}


@dataclass(frozen=True)
class FunctionSpec:
    key: str
    name: str
    arn: str
    handler: str
    memory: int
    timeout: int
    env: dict[str, str]


def describe_exit(returncode: int | None) -> str:
    """``signal: killed`` / ``exit status 1``, as Lambda writes ``Runtime exited with error: ...``."""
    if returncode is None:
        return "signal: killed"  # still running after the channel broke: it is being killed now
    if returncode < 0:
        number = -returncode
        try:
            name = _SIGNAL_NAMES.get(signal.Signals(number)) or (signal.strsignal(number) or "").lower()
        except ValueError:
            name = ""
        return f"signal: {name or f'signal {number}'}"
    return f"exit status {returncode}"


class Worker:
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
        self._pump_thread = threading.Thread(target=self._pump, args=(spec.key, logs), daemon=True,
                                             name=f"logs:{spec.key}")
        self._pump_thread.start()

    def _pump(self, function: str, logs: FunctionLogs) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            logs.append(function, line)
            if line.startswith("REPORT RequestId: "):
                done = self.reported.get(line.split()[2])
                if done is not None:
                    done.set()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float) -> None:
        self.channel.settimeout(timeout)
        recv_frame(self.channel)

    def exit_status(self, wait: float = 2.0) -> str:
        """How the process ended (it has, or is about to: its channel is closed)."""
        try:
            returncode = self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            returncode = None
        self._pump_thread.join(timeout=wait)  # its last lines come before what the platform adds
        return describe_exit(returncode)

    def kill(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
