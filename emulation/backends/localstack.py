"""``REZ_TARGET=localstack``: the data plane on LocalStack Community 4.14 (the last release without
an auth token).

* A LocalStack already answering ``/_localstack/health`` — at ``REZ_LOCALSTACK_URL``, or on the
  stack's AWS port (where ``compose.yaml`` publishes it) — is used as it is.
* Otherwise ``localstack-core==4.14.0`` runs in host mode (no Docker) from its own virtualenv,
  ``.rez/venvs/localstack``, installed at first use. It needs Python >= 3.13 although its metadata
  says 3.10 (``localstack.utils.tagging`` imports ``warnings.deprecated``), ``cbor2<5.7`` and
  ``service_identity``; it is bound to 127.0.0.1 with the hypercorn gateway (the twisted one
  ignores the interface and listens on 0.0.0.0) and without its DNS server.
* **DynamoDB goes to an embedded moto server**: LocalStack's DynamoDB is DynamoDB Local, which
  downloads Java and a jar on first use and so fails offline. Functions and the platform reach it
  through ``AWS_ENDPOINT_URL_DYNAMODB``; ``REZ_LOCALSTACK_DYNAMODB=localstack`` keeps LocalStack's.
* The account is the stack's: LocalStack takes a 12-digit access key id as the account id.
* LocalStack's own alarm evaluation is switched off (see ``launchers/localstack_main.py``): alarms
  are evaluated by the platform, on its clock.

LocalStack CE has no state reset; ``reset()`` restarts a LocalStack this backend started.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from emulation.backends.base import AwsEndpoint, BackendUnavailable
from emulation.backends.moto import MotoBackend
from emulation.backends.venvs import ensure_venv
from emulation.runtime.processes import spawn, terminate

REQUIREMENTS = ["localstack-core[runtime]==4.14.0", "cbor2<5.7", "service_identity"]
SERVICES = "sqs,sns,secretsmanager,iam,sts,scheduler,cloudwatch"
LAUNCHER = Path(__file__).with_name("launchers") / "localstack_main.py"


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url}/_localstack/health", timeout=1.0)
        return response.status_code == 200 and "services" in response.json()
    except (httpx.HTTPError, ValueError):
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStackBackend:
    name = "localstack"

    def __init__(self, port: int, region: str = "us-east-1", state_dir: Path = Path(".rez"),
                 account: str = "123456789012") -> None:
        self.port = port
        self.region = region
        self.state_dir = Path(state_dir)
        self.account = account
        self.url = ""
        self._process: subprocess.Popen | None = None
        self._log = None
        self._moto: MotoBackend | None = None

    def start(self, timeout: float = 90.0) -> AwsEndpoint:
        external = os.environ.get("REZ_LOCALSTACK_URL", "").rstrip("/")
        if external:
            if not _healthy(external):
                raise BackendUnavailable(f"REZ_LOCALSTACK_URL={external} does not answer /_localstack/health")
            self.url = external
        elif self.port and _healthy(f"http://127.0.0.1:{self.port}"):
            self.url = f"http://127.0.0.1:{self.port}"  # e.g. `docker compose up localstack`
        else:
            self._start_host_mode(timeout)
        service_urls = {}
        if os.environ.get("REZ_LOCALSTACK_DYNAMODB", "moto") != "localstack":
            self._moto = MotoBackend(_free_port(), self.region, log_file=self.state_dir / "moto-dynamodb.log")
            service_urls["dynamodb"] = self._moto.start().url
        # A 12-digit access key id is LocalStack's way of choosing the account.
        return AwsEndpoint(url=self.url, region=self.region, access_key=self.account, secret_key="test",
                           service_urls=service_urls)

    def _start_host_mode(self, timeout: float) -> None:
        python = ensure_venv("localstack", REQUIREMENTS, minimum=(3, 13))
        port = self.port or _free_port()
        root = self.state_dir / f"localstack-{port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "GATEWAY_LISTEN": f"127.0.0.1:{port}", "GATEWAY_SERVER": "hypercorn",
            "LOCALSTACK_HOST": f"127.0.0.1:{port}", "SQS_ENDPOINT_STRATEGY": "path",
            "DNS_ADDRESS": "0", "DISABLE_EVENTS": "1", "SKIP_SSL_CERT_DOWNLOAD": "1",
            "CUSTOM_SSL_CERT_PATH": str(python.parent.parent / "server.pem"),
            "FILESYSTEM_ROOT": str(root), "SERVICES": SERVICES, "SQS_DISABLE_CLOUDWATCH_METRICS": "1",
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.state_dir / "localstack.log", "ab")  # noqa: SIM115 — closed in stop()
        self._process = spawn([str(python), str(LAUNCHER)], env=env, stdout=self._log, stderr=self._log,
                              stdin=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while not _healthy(self.url):
            code = self._process.poll()
            if code is not None:
                self.stop()
                raise BackendUnavailable(f"LocalStack exited with code {code}; see {self.state_dir / 'localstack.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise BackendUnavailable(f"LocalStack did not answer on {self.url} within {timeout:.0f}s")
            time.sleep(0.1)

    def reset(self) -> None:
        if self._process is None:
            raise RuntimeError("cannot reset a LocalStack this platform did not start (CE has no state reset)")
        self._stop_localstack()
        self._start_host_mode(90.0)
        if self._moto:
            self._moto.reset()

    def _stop_localstack(self) -> None:
        terminate(self._process, timeout=10)
        self._process = None
        if self._log:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        self._stop_localstack()
        if self._moto:
            self._moto.stop()
            self._moto = None
