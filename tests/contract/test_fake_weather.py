"""The fake NOAA api.weather.gov forecast against the fields the weather action reads (reference §6.1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.testclient import TestClient

from emulation.fakes._clock import ManualClock
from emulation.fakes.serve import serve_app
from emulation.fakes.weather import create_weather_app

ORIGIN = "https://api.weather.gov"
PBZ = "/gridpoints/PBZ/95,64/forecast"
HEADERS = {"Accept": "application/json", "User-Agent": "rez-agent weather notifier (contact@example.com)"}
FRIDAY_AFTERNOON = datetime(2025, 11, 14, 20, 30, tzinfo=UTC)  # 15:30 in Pittsburgh

PERIOD_FIELDS = {
    "number": int, "name": str, "startTime": str, "endTime": str, "isDaytime": bool, "temperature": int,
    "temperatureUnit": str, "temperatureTrend": str, "probabilityOfPrecipitation": dict, "windSpeed": str,
    "windDirection": str, "icon": str, "shortForecast": str, "detailedForecast": str,
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FRIDAY_AFTERNOON)


@pytest.fixture
def client(clock) -> TestClient:
    return TestClient(create_weather_app(clock), base_url=ORIGIN)


def forecast(client: TestClient, path: str = PBZ) -> dict:
    response = client.get(path, headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def test_forecast_document_shape(client, clock):
    response = client.get(PBZ, headers=HEADERS)
    assert response.headers["content-type"].startswith("application/geo+json")
    doc = response.json()
    assert doc["type"] == "Feature" and doc["geometry"]["type"] == "Polygon"
    props = doc["properties"]
    assert props["units"] == "us"
    assert datetime.fromisoformat(props["generatedAt"]) == clock.now()
    assert datetime.fromisoformat(props["updated"]) <= clock.now()
    assert props["updateTime"] == props["updated"]
    assert len(props["periods"]) == 14


def test_period_fields_and_types(client):
    periods = forecast(client)["properties"]["periods"]
    for number, period in enumerate(periods, start=1):
        assert set(period) == set(PERIOD_FIELDS)
        for name, kind in PERIOD_FIELDS.items():
            assert isinstance(period[name], kind), (name, period[name])
        assert period["number"] == number
        assert period["temperatureUnit"] == "F"
        assert period["temperatureTrend"] in ("", "rising", "falling")
        pop = period["probabilityOfPrecipitation"]
        assert pop["unitCode"] == "wmoUnit:percent" and (pop["value"] is None or 0 < pop["value"] <= 100)
        assert re.fullmatch(r"\d+ mph|\d+ to \d+ mph", period["windSpeed"])
        assert re.fullmatch(r"[NESW]{1,3}", period["windDirection"])
        assert period["icon"].startswith(f"{ORIGIN}/icons/land/")
        start, end = datetime.fromisoformat(period["startTime"]), datetime.fromisoformat(period["endTime"])
        assert start.utcoffset() == timedelta(hours=-5) and end > start
    for before, after in zip(periods, periods[1:], strict=False):
        assert before["endTime"] == after["startTime"]
        assert before["isDaytime"] != after["isDaytime"]


def test_period_names_follow_the_clock(client, clock):
    names = [p["name"] for p in forecast(client)["properties"]["periods"]]
    assert names[:5] == ["This Afternoon", "Tonight", "Saturday", "Saturday Night", "Sunday"]
    assert forecast(client)["properties"]["periods"][0]["startTime"] == "2025-11-14T15:00:00-05:00"
    for hour_utc, first in ((14, "Today"), (23, "Tonight"), (8, "Overnight")):
        clock.set(datetime(2025, 11, 14, hour_utc, 0, tzinfo=UTC))
        periods = forecast(client)["properties"]["periods"]
        assert periods[0]["name"] == first
        assert periods[0]["isDaytime"] is (first == "Today")
    assert [p["name"] for p in periods[:3]] == ["Overnight", "Today", "Tonight"]


def test_office_time_zone_is_used(client):
    periods = forecast(client, "/gridpoints/TOP/31,80/forecast")["properties"]["periods"]
    assert periods[0]["startTime"].endswith("-06:00")  # Topeka is Central


def test_deterministic_per_grid_point_and_date(client, clock):
    other = TestClient(create_weather_app(clock), base_url=ORIGIN)
    assert forecast(client) == forecast(other)
    assert forecast(client)["properties"]["periods"] != forecast(client, "/gridpoints/PBZ/96,64/forecast")[
        "properties"]["periods"]
    saturday = forecast(client)["properties"]["periods"][2]
    clock.advance(hours=15)  # 06:30 Saturday: Saturday is now the first period
    first = forecast(client)["properties"]["periods"][0]
    assert first["name"] == "Today" and first["startTime"] == saturday["startTime"]
    same = ("temperature", "shortForecast", "windSpeed", "windDirection", "probabilityOfPrecipitation")
    assert {k: first[k] for k in same} == {k: saturday[k] for k in same}


def test_forecast_varies_realistically(client, clock):
    temps, shorts = [], set()
    for day in range(0, 360, 15):
        clock.set(FRIDAY_AFTERNOON + timedelta(days=day))
        periods = forecast(client)["properties"]["periods"]
        temps += [p["temperature"] for p in periods]
        shorts |= {p["shortForecast"] for p in periods}
    assert min(temps) < 32 < 80 < max(temps)  # both emoji branches of the summariser are reachable
    assert len(shorts) >= 6


def test_unknown_office_is_404_problem(client):
    response = client.get("/gridpoints/XYZ/95,64/forecast", headers=HEADERS)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) == {"correlationId", "title", "type", "status", "detail", "instance"}
    assert body["status"] == 404 and body["type"] == "https://api.weather.gov/problems/NotFound"


@pytest.mark.parametrize("path", ["/gridpoints/PBZ/abc/forecast", "/gridpoints/PBZ/95,9999/forecast", "/nothing"])
def test_bad_paths_are_404_problem(client, path):
    response = client.get(path, headers=HEADERS)
    assert response.status_code == 404 and response.json()["title"] == "Not Found"


def test_user_agent_is_required(client):
    response = client.get(PBZ, headers={"User-Agent": "", "Accept": "application/geo+json"})
    assert response.status_code == 403 and response.json()["status"] == 403


def test_lowercase_office_and_accept_variants(client):
    for accept in ("application/geo+json", "application/ld+json", "*/*"):
        response = client.get("/gridpoints/pbz/95,64/forecast", headers={**HEADERS, "Accept": accept})
        assert response.status_code == 200


def test_request_log_override_and_reset(client):
    client.get(PBZ, headers=HEADERS)
    logged = client.get("/_fake/weather/requests").json()["requests"]
    assert logged[0]["headers"]["user-agent"] == HEADERS["User-Agent"]
    assert logged[0]["headers"]["accept"] == "application/json"
    response = client.post("/_fake/weather/overrides", json={
        "office": "PBZ", "x": 95, "y": 64,
        "periods": [{"temperature": 20}, {"temperature": 91, "temperatureTrend": "rising"}]})
    assert response.status_code == 201
    periods = forecast(client)["properties"]["periods"]
    assert (periods[0]["temperature"], periods[1]["temperature"], periods[1]["temperatureTrend"]) == (20, 91, "rising")
    assert client.post("/_fake/weather/overrides", json={"office": "PBZ"}).status_code == 400
    client.post("/_fake/reset")
    assert client.get("/_fake/weather/requests").json() == {"requests": []}
    assert forecast(client)["properties"]["periods"][0]["temperature"] != 20


def test_served_with_faults(clock):
    make = lambda origin: create_weather_app(clock, public_origin=origin)  # noqa: E731
    with serve_app(make) as served, httpx.Client(base_url=served.origin, headers=HEADERS) as http:
        http.post("/_fake/faults", json={"status": 503, "times": 1})
        assert http.get(PBZ).status_code == 503
        doc = http.get(PBZ).json()
        assert doc["properties"]["periods"][0]["icon"].startswith(f"{served.origin}/icons/")
