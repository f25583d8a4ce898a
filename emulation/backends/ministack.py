"""``REZ_TARGET=ministack``: the data plane on Ministack (MIT, from PyPI), started by the platform.

Ministack pins its own botocore, so it lives in its own virtualenv, ``.rez/venvs/ministack``,
installed at first use. It binds 0.0.0.0 unless told otherwise: it is bound to 127.0.0.1 here.
Its own schedule ticker and TTL reaper are switched off (``launchers/ministack_main.py``): the
platform fires schedules and expires items on its own clock. The account is the stack's
(``MINISTACK_ACCOUNT_ID``). ``reset()`` is Ministack's ``POST /_ministack/reset``.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from emulation.backends.base import AwsEndpoint, BackendUnavailable
from emulation.backends.supervisor import ChildProcess
from emulation.backends.venvs import ensure_venv
from emulation.runtime.processes import spawn, terminate

REQUIREMENTS = ["ministack==1.5.33"]  # the version whose behaviour docs/backends.md records
LAUNCHER = Path(__file__).with_name("launchers") / "ministack_main.py"


class MinistackBackend(ChildProcess):
    name = "ministack"

    def __init__(self, port: int, region: str = "us-east-1", state_dir: Path = Path(".rez"),
                 account: str = "123456789012") -> None:
        self.port = port
        self.region = region
        self.state_dir = Path(state_dir)
        self.account = account
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "ministack.log"

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/_ministack/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 60.0) -> AwsEndpoint:
        python = ensure_venv("ministack", REQUIREMENTS)
        if not self.port:
            import socket

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "GATEWAY_PORT": str(self.port), "BIND_HOST": "127.0.0.1", "MINISTACK_HOST": "127.0.0.1",
            "MINISTACK_REGION": self.region, "MINISTACK_ACCOUNT_ID": self.account, "LOG_LEVEL": "WARNING",
            "TMPDIR": str(self.state_dir),
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.state_dir / "ministack.log", "ab")  # noqa: SIM115 — closed in stop()
        self._process = spawn([str(python), str(LAUNCHER)], env=env, stdout=self._log, stderr=self._log,
                              stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._healthy():
            code = self._process.poll()
            if code is not None:
                self.stop()
                raise BackendUnavailable(f"Ministack exited with code {code}; see {self.state_dir / 'ministack.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise BackendUnavailable(f"Ministack did not answer on {self.url} within {timeout:.0f}s")
            time.sleep(0.05)
        return AwsEndpoint(url=self.url, region=self.region)

    def reset(self) -> None:
        httpx.post(f"{self.url}/_ministack/reset", timeout=30.0).raise_for_status()

    def stop(self) -> None:
        terminate(self._process, timeout=10)
        self._process = None
        if self._log:
            self._log.close()
            self._log = None
