"""Run ``python -m llama_cpp.server`` (OpenAI-compatible) on a loopback port, as a child process.

One server per Python process (:func:`shared_server`): the stack's Bedrock stand-in and any
backend switch to ``local`` reuse it, so the 1 GB model is loaded once. It stops with
:func:`stop_shared_server`, at interpreter exit, and — through ``PR_SET_PDEATHSIG`` — when the
parent dies without cleaning up (``kill -9`` of ``make up``), so no server outlives its stack.

Settings, chosen for this 2-core machine (reference/LOCAL_LLM.md): 2 threads, an 8k context (the
agent's system prompt plus eight tool schemas is ~2.3k tokens before any history), and the
server's RAM prompt cache so the long common prefix (system prompt + tools) is evaluated once
rather than on every turn. No ``chat_format`` is given: the GGUF's own Qwen template renders the
tools (``chatml-function-calling`` breaks ``tool_choice=auto`` with these models, §2).

LIMITATIONS: requests are served one at a time (llama.cpp has one context here); concurrent
agent turns queue behind each other. The log is ``<REZ_LLM_HOME>/logs/server-<port>.log``.
"""

from __future__ import annotations

import atexit
import ctypes
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

from .local_model import Installation, installation

_PR_SET_PDEATHSIG = 1
_lock = threading.RLock()


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: atexit still stops the server on a normal exit


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, and servers start from
# short-lived worker threads (a backend switch runs in Starlette's thread pool): fork from one
# thread that lives as long as the process.
_spawn_requests: queue.Queue = queue.Queue()
_spawner: threading.Thread | None = None


def _spawn_loop() -> None:
    while True:
        make, box = _spawn_requests.get()
        try:
            box.put((make(), None))
        except BaseException as e:  # handed back to the caller
            box.put((None, e))


def _popen(*args, **kwargs) -> subprocess.Popen[bytes]:
    global _spawner
    with _lock:
        if _spawner is None:
            _spawner = threading.Thread(target=_spawn_loop, name="llm-spawner", daemon=True)
            _spawner.start()
    box: queue.Queue = queue.Queue(maxsize=1)
    _spawn_requests.put((lambda: subprocess.Popen(*args, **kwargs), box))
    process, error = box.get()
    if error is not None:
        raise error
    return process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServerError(RuntimeError):
    pass


class LocalServer:
    def __init__(self, inst: Installation, *, port: int = 0, threads: int = 2, n_ctx: int = 8192,
                 cache_bytes: int = 2 << 30) -> None:
        self.inst, self.threads, self.n_ctx, self.cache_bytes = inst, threads, n_ctx, cache_bytes
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = inst.home / "logs" / f"server-{self.port}.log"
        self.started_in: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [str(self.inst.python), "-m", "llama_cpp.server", "--model", str(self.inst.model_path),
                "--model_alias", "local", "--host", "127.0.0.1", "--port", str(self.port),
                "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads), "--n_batch", "512",
                "--cache", "true", "--cache_type", "ram", "--cache_size", str(self.cache_bytes)]

    def start(self, timeout: float = 180.0) -> LocalServer:
        missing = self.inst.missing()
        if missing:
            raise LocalServerError(f"cannot start the local model: {missing}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = _popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(f"llama_cpp.server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - started
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)  # polling a child process that is loading a model, not waiting for a clock
        self.stop()
        raise LocalServerError(f"llama_cpp.server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


_shared: LocalServer | None = None


def shared_server(**settings: int) -> LocalServer:
    """The process-wide server, started on first use (raises LocalServerError when not installed)."""
    global _shared
    with _lock:
        if _shared is None or not _shared.running():
            _shared = LocalServer(installation(), **settings).start()
            atexit.register(_shared.stop)
        return _shared


def stop_shared_server() -> None:
    global _shared
    with _lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
