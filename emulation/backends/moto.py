"""The default backend: a moto server, started as a child process on 127.0.0.1.

A separate process rather than moto's in-process thread: it keeps moto's request handling off the
event plane's interpreter lock, so two cores serve twice the calls. Only this module knows it is
moto; everything else speaks the AWS API to ``AwsEndpoint.url``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from emulation.backends.base import AwsEndpoint
from emulation.backends.supervisor import ChildProcess
from emulation.runtime.processes import spawn, terminate


class MotoBackend(ChildProcess):
    name = "moto"

    def __init__(self, port: int, region: str = "us-east-1", log_file: Path | None = None) -> None:
        self.port = port
        self.region = region
        self.log_file = log_file
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> AwsEndpoint:
        self._log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = spawn(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with code {self._process.returncode}"
                                   + (f"; see {self.log_file}" if self.log_file else ""))
            try:
                if httpx.get(f"{self.url}/moto-api/", timeout=1.0).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not answer on {self.url} within {timeout:.0f}s")
            time.sleep(0.05)
        return AwsEndpoint(url=self.url, region=self.region)

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset", timeout=10.0).raise_for_status()

    def stop(self) -> None:
        terminate(self._process, timeout=5)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._process = None
