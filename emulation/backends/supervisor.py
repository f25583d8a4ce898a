"""Keeps a data-plane child process running: restart it when it dies, then re-provision.

A dead emulator would otherwise turn every request into a 500 with nothing said. The supervisor
watches the child (real time: liveness is not platform time), and when it has exited it says so
on one line, starts it again on the same port and calls ``on_restarted`` (the stack provisions the
manifest again: the emulator's data is gone, persistence is not implemented). Meanwhile
``state()`` says what is going on, for the platform's health. After ``max_restarts`` failures in a
row it gives up with an error line naming the log file; health then stays ``degraded``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class ChildProcess:
    """What the supervisor needs of a backend that runs as our child (``_process``, ``start``/``stop``)."""

    _process: Any

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.poll()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def restart(self) -> Any:
        """A fresh server on the same port (and an empty one: the data lived in the dead process)."""
        self.stop()  # type: ignore[attr-defined]
        return self.start()  # type: ignore[attr-defined]


class BackendSupervisor:
    def __init__(self, backend: Any, on_restarted: Callable[[], None], interval: float = 0.25,
                 max_restarts: int = 3) -> None:
        self._backend = backend
        self._on_restarted = on_restarted
        self._interval = interval
        self._max_restarts = max_restarts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        self.status = "running"  # running | restarting | failed
        self.reason = ""

    @staticmethod
    def supports(backend: Any) -> bool:
        return callable(getattr(backend, "alive", None)) and callable(getattr(backend, "restart", None))

    def start(self) -> BackendSupervisor:
        self._thread = threading.Thread(target=self._watch, name=f"supervisor:{self._backend.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"backend": self._backend.name, "status": self.status, "restarts": self.restarts,
                    **({"reason": self.reason} if self.reason else {})}

    def _set(self, status: str, reason: str = "") -> None:
        with self._lock:
            self.status, self.reason = status, reason

    def _watch(self) -> None:
        failures = 0
        while not self._stop.wait(self._interval):
            if self.status == "failed" or self._backend.alive():
                continue
            code = self._backend.exit_code()
            self._set("restarting", f"{self._backend.name} exited with code {code}")
            logger.error("%s (the AWS endpoint, %s) exited with code %s: restarting it; its data is lost, "
                         "the manifest is provisioned again", self._backend.name, self._backend.url, code)
            try:
                self._backend.restart()
                if self._stop.is_set():
                    return
                self._on_restarted()
            except Exception as exc:
                failures += 1
                if failures >= self._max_restarts:
                    self._set("failed", f"{self._backend.name} could not be restarted ({failures} attempts): {exc}")
                    logger.error("giving up on %s after %d failed restarts: %s%s; the stack cannot serve "
                                 "requests — stop it and check the log", self._backend.name, failures, exc,
                                 f" (log: {self._backend.log_file})" if getattr(self._backend, "log_file", None)
                                 else "")
                else:
                    logger.warning("restarting %s failed (%s); trying again", self._backend.name, exc)
                    time.sleep(min(2.0 ** failures * 0.25, 2.0))
                continue
            failures = 0
            with self._lock:
                self.restarts += 1
                self.status, self.reason = "running", ""
            logger.warning("%s restarted at %s and the manifest re-provisioned (restart %d): the stack works "
                           "again, with empty tables and queues", self._backend.name, self._backend.url,
                           self.restarts)
