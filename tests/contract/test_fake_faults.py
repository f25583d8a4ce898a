"""Fault injection shared by the fakes, observed through a real httpx client over uvicorn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from emulation.fakes._clock import ManualClock
from emulation.fakes.faults import FaultMiddleware, FaultPlan, Faults, with_faults
from emulation.fakes.golf import create_course_origin_app
from emulation.fakes.identity import create_identity_app
from emulation.fakes.serve import serve_app
from emulation.fakes.weather import create_weather_app


class Counter:
    def __init__(self) -> None:
        self.hits = 0
        self.resets = 0


def make_app(counter: Counter) -> FaultMiddleware:
    async def hello(_: Request) -> JSONResponse:
        counter.hits += 1
        return JSONResponse({"ok": True})

    inner = Starlette(routes=[Route("/api/hello", hello), Route("/other", hello), Route("/_fake/ping", hello)])

    def reset() -> None:
        counter.resets += 1

    return with_faults(inner, on_reset=reset)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[httpx.Client, FaultMiddleware, Counter]]:
    counter = Counter()
    app = make_app(counter)
    with serve_app(lambda _origin: app) as served, httpx.Client(base_url=served.origin, timeout=5) as client:
        yield client, app, counter


@pytest.fixture
def counter(server) -> Counter:
    return server[2]


@pytest.fixture
def served(server) -> tuple[httpx.Client, FaultMiddleware]:
    client, app, counter = server
    app.faults.clear()
    counter.hits = counter.resets = 0
    return client, app


def add_plan(client: httpx.Client, **fields: object) -> dict:
    response = client.post("/_fake/faults", json=fields)
    assert response.status_code == 201, response.text
    return response.json()["plan"]


def test_status_fault_applies_times_then_clears(served, counter):
    client, _ = served
    plan = add_plan(client, status=503, times=2)
    assert plan == {"status": 503, "latency_ms": 0, "malformed": False, "drop": False, "times": 2, "path_prefix": None}
    first, second, third = (client.get("/api/hello") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json()["status"] == 503
    assert counter.hits == 1  # faulted requests never reached the fake


def test_latency_fault_delays_then_passes_through(served, counter):
    client, _ = served
    add_plan(client, latency_ms=300, times=1)
    started = time.monotonic()
    response = client.get("/api/hello")
    elapsed = time.monotonic() - started
    assert response.json() == {"ok": True}
    assert elapsed >= 0.3
    started = time.monotonic()
    client.get("/api/hello")
    assert time.monotonic() - started < 0.3
    assert counter.hits == 2


def test_latency_beyond_client_timeout_is_a_timeout(served):
    client, _ = served
    add_plan(client, latency_ms=400, times=1)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/api/hello", timeout=0.1)


def test_malformed_fault_returns_invalid_json(served):
    client, _ = served
    add_plan(client, malformed=True, times=1)
    response = client.get("/api/hello")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    add_plan(client, malformed=True, status=502, times=1)
    response = client.get("/api/hello")
    assert response.status_code == 502
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_drop_fault_closes_connection_without_response(served, counter):
    client, _ = served
    add_plan(client, drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get("/api/hello")
    assert client.get("/api/hello").json() == {"ok": True}  # a new connection works
    assert counter.hits == 1


def test_drop_fault_in_process_raises_the_same_error():
    app = make_app(Counter())
    app.faults.add(FaultPlan(drop=True, times=1))
    client = TestClient(app)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/hello")
    assert client.get("/api/hello").status_code == 200


def test_path_prefix_limits_the_fault(served):
    client, _ = served
    add_plan(client, status=500, path_prefix="/other")
    assert client.get("/api/hello").status_code == 200
    assert client.get("/other").status_code == 500
    assert client.get("/other").status_code == 500  # times=None: until cleared


def test_control_routes_are_never_faulted(served, counter):
    client, _ = served
    add_plan(client, status=500)
    add_plan(client, drop=True)
    assert client.get("/_fake/faults").status_code == 200
    assert client.get("/_fake/ping").status_code == 200  # the fake's own /_fake routes too
    assert client.get("/api/hello").status_code == 500


def test_list_and_delete_faults(served):
    client, _ = served
    add_plan(client, status=429, times=3)
    client.get("/api/hello")
    plans = client.get("/_fake/faults").json()["plans"]
    assert [p["times"] for p in plans] == [2]
    assert client.delete("/_fake/faults").json() == {"plans": []}
    assert client.get("/api/hello").status_code == 200


def test_first_matching_plan_wins_in_order(served):
    client, _ = served
    add_plan(client, status=418, times=1)
    add_plan(client, status=503, times=1)
    assert [client.get("/api/hello").status_code for _ in range(3)] == [418, 503, 200]


def test_reset_clears_faults_and_calls_callback(served, counter):
    client, _ = served
    add_plan(client, status=500)
    assert client.post("/_fake/reset").json() == {"reset": True}
    assert counter.resets == 1
    assert client.get("/api/hello").status_code == 200


@pytest.mark.parametrize(
    "body", [{"status": 99}, {"latency_ms": -1}, {"times": 0}, {"bogus": True}, "not json"]
)
def test_invalid_plan_is_rejected(served, body):
    client, _ = served
    response = client.post("/_fake/faults", content=body if isinstance(body, str) else json.dumps(body))
    assert response.status_code == 400
    assert client.get("/_fake/faults").json() == {"plans": []}


def test_faults_holder_python_api():
    faults = Faults()
    faults.add(FaultPlan(status=500, times=1, path_prefix="/a"))
    assert faults.take("/b") is None
    assert faults.take("/a/x").status == 500
    assert faults.take("/a/x") is None


@pytest.mark.parametrize(
    ("factory", "path"),
    [
        (lambda: create_course_origin_app(clock=ManualClock()), "/identityapi/.well-known/openid-configuration"),
        (lambda: create_identity_app(public_origin="https://id.test"), "/identityapi/.well-known/openid-configuration"),
        (lambda: create_weather_app(ManualClock()), "/gridpoints/PBZ/95,64/forecast"),
    ],
    ids=["golf-origin", "identity", "weather"],
)
def test_every_fake_mounts_fault_controls(factory, path):
    client = TestClient(factory())
    assert client.get(path).status_code == 200
    assert client.post("/_fake/faults", json={"status": 503, "times": 1}).status_code == 201
    assert client.get(path).status_code == 503
    assert client.get(path).status_code == 200
    client.post("/_fake/faults", json={"status": 500})
    assert client.post("/_fake/reset").status_code == 200
    assert client.get(path).status_code == 200
