"""Child processes that never outlive the platform."""

from __future__ import annotations

import ctypes
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: the kernel signals the child when its parent *thread* dies, even if the parent is
    # SIGKILLed, so a crash or a killed test run leaves no moto server or function behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class _Spawner:
    """Creates every child from one long-lived thread.

    The death signal follows the creating thread, not the process: a child started from a
    short-lived pool thread would be killed when that thread ends. One thread that lives as long as
    the process makes "dies with the platform" mean exactly that.
    """

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[tuple, dict, Future]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="process-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            args, kwargs, future = self._requests.get()
            try:
                future.set_result(subprocess.Popen(*args, **kwargs))
            except BaseException as exc:  # handed back to the caller
                future.set_exception(exc)

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen:
        future: Future = Future()
        self._requests.put((args, kwargs, future))
        return future.result()


_spawner: _Spawner | None = None
_spawner_lock = threading.Lock()


def spawn(*args: Any, **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen`` for a child that dies with the platform and ignores the terminal's Ctrl-C
    (its own process group), so the platform stops children in order instead of mid-request."""
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = _Spawner()
    kwargs.setdefault("start_new_session", True)
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = _die_with_parent
    return _spawner.popen(*args, **kwargs)


def terminate(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Stop a child politely (SIGTERM), then firmly (SIGKILL) if it has not exited in ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
