"""The HTTP API gateway on a loopback port, with real function workers: what API Gateway answers.

Slow invocations are held by a gate (a loopback socket the handler waits on) rather than by
sleeping, so "still running" is a fact the test controls, not a guess about timing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from emulation.runtime.authorizer import JwtAuthorizer
from emulation.runtime.clock import PlatformClock
from emulation.runtime.functions import FunctionRunner, FunctionSpec
from emulation.runtime.gateway import HttpApiGateway
from emulation.runtime.logs import FunctionLogs
from emulation.runtime.servers import ServerThread, reserve
from tests.support.idp import AUDIENCE, ISSUER, NOW, IdentityProvider, token

ROUTES = [("GET /gated/{port}", "gated", "none"), ("POST /echo", "echo", "none"), ("POST /private", "echo", "jwt"),
          ("GET /html", "html", "none"), ("GET /boom", "boom", "none"), ("GET /die", "die", "none")]


class Gate:
    """Invocations that connect here wait until ``open()``; ``arrived`` counts them."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._cond:
                self._held.append(conn)
                self._cond.notify_all()

    def wait_arrivals(self, count: int, timeout: float = 30.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self._held) >= count, timeout), "invocations did not arrive"

    @property
    def arrived(self) -> int:
        with self._cond:
            return len(self._held)

    def open(self) -> None:
        with self._cond:
            for conn in self._held:
                conn.sendall(b"!")
                conn.close()
            self._held.clear()

    def close(self) -> None:
        self.open()
        self._server.close()


def _spec(key: str, handler: str, timeout: int = 20) -> FunctionSpec:
    return FunctionSpec(key=key, name=f"t-{key}", arn=f"arn:aws:lambda:us-east-1:1:function:t-{key}",
                        handler=f"tests.support.handlers.{handler}", memory=128, timeout=timeout, env={})


@pytest.fixture(scope="module")
def idp() -> IdentityProvider:
    return IdentityProvider("k1")


@pytest.fixture(scope="module")
def platform(tmp_path_factory, idp) -> Iterator[dict]:
    clock = PlatformClock(frozen_at=NOW)
    specs = {key: _spec(key, handler) for key, handler in
             (("gated", "gated"), ("echo", "echo"), ("html", "html"), ("boom", "boom"), ("die", "die"))}
    runner = FunctionRunner(specs, {"PATH": "/usr/bin:/bin"}, clock, FunctionLogs(tmp_path_factory.mktemp("logs")),
                            concurrency=3, reserved={"gated": 2})
    runner.warm(["gated", "echo"])
    access_log: list[dict] = []
    gateway = HttpApiGateway(ROUTES, runner, clock, api_id="t", account="1", domain="t.execute-api.localhost",
                             access_log=access_log.append,
                             authorizer=JwtAuthorizer(ISSUER, AUDIENCE, clock, http=idp.client()))
    server = ServerThread(gateway, reserve(0, "HTTP API", "REZ_PORT_API"), "api").start()
    gate = Gate()
    try:
        with httpx.Client(base_url=server.origin, timeout=60) as client:
            yield {"client": client, "gateway": gateway, "runner": runner, "log": access_log, "gate": gate,
                   "origin": server.origin}
    finally:
        gate.close()
        server.stop()
        gateway.close()
        runner.stop()


def test_a_function_at_its_concurrency_is_throttled_with_429_and_the_api_stays_responsive(platform):
    client, gate = platform["client"], platform["gate"]
    with ThreadPoolExecutor(6) as pool:
        held = [pool.submit(client.get, f"/gated/{gate.port}") for _ in range(2)]
        gate.wait_arrivals(2)  # reserved concurrency 2: both slots busy
        throttled = [pool.submit(client.get, f"/gated/{gate.port}") for _ in range(4)]
        answers = [f.result(timeout=30) for f in throttled]  # answered while the gate is still shut
        assert gate.arrived == 2 and not any(f.done() for f in held)
        assert [(a.status_code, a.text) for a in answers] == [(429, '{"message":"Too Many Requests"}')] * 4
        # Another function, and the gateway itself, answer meanwhile.
        assert client.post("/echo", json={}).status_code == 200
        gate.open()
        assert [f.result(timeout=30).text for f in held] == ["released", "released"]
    throttles = [e for e in platform["log"] if e["status"] == 429]
    assert len(throttles) >= 4 and "TooManyRequestsException" in throttles[-1]["integrationError"]
    with ThreadPoolExecutor(1) as pool:  # the slots are free again
        again = pool.submit(client.get, f"/gated/{gate.port}")
        gate.wait_arrivals(1)
        gate.open()
        assert again.result(timeout=30).status_code == 200


def test_the_integration_timeout_answers_503_while_the_function_runs_on(platform):
    client, gate, gateway, runner = platform["client"], platform["gate"], platform["gateway"], platform["runner"]
    gateway.integration_timeout = 0.5  # API Gateway's 30 s, shortened: the same code path
    try:
        answer = client.get(f"/gated/{gate.port}")
    finally:
        gateway.integration_timeout = 30.0
    assert answer.status_code == 503 and answer.json() == {"message": "Service Unavailable"}
    assert gate.arrived == 1, "the function is still running"
    assert "did not answer within 0.5 s" in platform["log"][-1]["integrationError"]
    def reports() -> int:
        return sum(1 for line in runner.logs.lines("gated") if line.text.startswith("REPORT"))

    before = reports()
    gate.open()
    deadline = time.monotonic() + 30
    while reports() == before and time.monotonic() < deadline:  # until it finishes on its own
        list(runner.logs.follow("gated", after=runner.logs.lines()[-1].seq, timeout=0.2))
    assert reports() == before + 1


def test_401_is_exactly_api_gateways_and_the_reason_is_logged(platform):
    client = platform["client"]
    missing = client.post("/private", json={})
    assert missing.status_code == 401 and missing.text == '{"message":"Unauthorized"}'
    assert missing.headers["www-authenticate"] == "Bearer" and missing.headers["apigw-requestid"]
    assert platform["log"][-1]["authorizerError"] == "no token in the Authorization header"
    expired = client.post("/private", json={}, headers={"authorization": f"Bearer {token(exp=1)}"})
    assert expired.text == '{"message":"Unauthorized"}'
    assert expired.headers["www-authenticate"] == \
        'Bearer scope="" error="invalid_token" error_description="the token has expired"'
    assert platform["log"][-1] == {**platform["log"][-1], "status": 401, "routeKey": "POST /private",
                                   "authorizerError": "the token has expired"}


def test_valid_tokens_reach_the_function_with_claims_as_api_gateway_renders_them(platform):
    client = platform["client"]
    raw = token(scope=["openid", "profile"], groups=["a", "b"])
    for authorization in (raw, f"Bearer    {raw}"):
        answer = client.post("/private", json={"x": 1}, headers={"authorization": authorization})
        assert answer.status_code == 200, answer.text
        jwt_context = answer.json()["event"]["requestContext"]["authorizer"]["jwt"]
        assert jwt_context["claims"]["scope"] == "[openid profile]" and jwt_context["claims"]["groups"] == "[a b]"
        assert jwt_context["claims"]["exp"] == str(int(NOW.timestamp()) + 3600)
        assert jwt_context["scopes"] == ["openid", "profile"]


def test_bodies_never_fail_the_gateway(platform):
    client = platform["client"]
    garbage = b"\xff\xfe\x80 not utf-8 \xc3"
    refused = client.post("/private", content=garbage, headers={"content-type": "application/json"})
    assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
    for content_type in ("application/json", "application/octet-stream", "application/x-www-form-urlencoded"):
        answer = client.post("/echo", content=garbage, headers={"content-type": content_type})
        assert answer.status_code == 200
        event = answer.json()["event"]
        assert event["isBase64Encoded"] is True
    form = client.post("/echo", data={"message": "hi"}).json()["event"]
    assert form["isBase64Encoded"] is True and form["body"] == "bWVzc2FnZT1oaQ=="
    too_big = client.post("/echo", content=b"x" * (10 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and too_big.json() == {"message": "Request Entity Too Large"}


def test_forwarded_headers_and_domain(platform):
    event = platform["client"].post("/echo", json={}).json()["event"]
    port = platform["origin"].rsplit(":", 1)[1]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-proto"] == "http" and event["headers"]["x-forwarded-port"] == port
    assert ":" not in event["requestContext"]["domainName"]


def test_one_content_type_whatever_the_case_the_function_used(platform):
    page = platform["client"].get("/html")
    assert page.headers.get_list("content-type") == ["text/html; charset=utf-8"]


def test_function_errors_are_500_with_api_gateways_body(platform):
    client, runner = platform["client"], platform["runner"]
    boom = client.get("/boom")
    assert boom.status_code == 500 and boom.text == '{"message":"Internal Server Error"}'
    died = client.get("/die")
    assert died.status_code == 500 and "Runtime.ExitError" in platform["log"][-1]["integrationError"]
    assert any("Runtime exited with error: signal: killed" in line.text for line in runner.logs.lines("die"))


def test_identity_provider_down_is_503_not_500(platform, idp):
    assert platform["client"].post("/private", json={}, headers={"authorization": token()}).status_code == 200
    idp.down = True
    try:  # a key the authorizer has not seen yet: it must ask the identity provider
        answer = platform["client"].post("/private", json={}, headers={"authorization": f"Bearer {token('k3')}"})
    finally:
        idp.down = False
    assert answer.status_code == 503 and answer.json() == {"message": "Service Unavailable"}
    assert "could not be fetched" in platform["log"][-1]["authorizerError"]
    ok = platform["client"].post("/private", json={}, headers={"authorization": f"Bearer {token()}"})
    assert ok.status_code == 200  # known keys kept working


def test_the_access_log_has_every_field_of_the_deployed_format(platform):
    from infra.pulumi.api import ACCESS_LOG_FORMAT

    platform["client"].post("/echo", json={})
    entry = platform["log"][-1]
    assert set(json.loads(ACCESS_LOG_FORMAT)) <= set(entry)
    assert entry["authorizerError"] == "-" and entry["integrationError"] == "-" and entry["status"] == 200


def test_the_event_body_round_trips_json(platform):
    answer = platform["client"].post("/echo", json={"ü": "✓"})
    event = answer.json()["event"]
    assert event["isBase64Encoded"] is False and json.loads(event["body"]) == {"ü": "✓"}
