"""Weather summary text (ORIGINAL_SYSTEM §6.1) and where the forecast is fetched from."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.core.courses import CourseCatalog
from services.core.errors import UpstreamError, ValidationError
from services.core.web_action_payload import parse_web_action
from services.webaction.weather import forecast_periods, period_text, summarize, weather_url


def period(name: str, day: bool, temp: int = 56, trend: str | None = "", detail: str = "Sunny.") -> dict:
    return {"name": name, "isDaytime": day, "temperature": temp, "temperatureUnit": "F",
            "temperatureTrend": trend, "windSpeed": "8 to 13 mph", "windDirection": "SW",
            "shortForecast": "ignored", "detailedForecast": detail}


WEEK = [period("Today", True), period("Tonight", False, 44), period("Saturday", True, 60),
        period("Saturday Night", False, 40), period("Sunday", True, 61), period("Sunday Night", False, 38)]


def test_one_text_per_day_with_day_and_night() -> None:
    texts = summarize(WEEK, days=2)
    assert texts == [
        "🌤️ Weather Forecast\n"
        "📅 Today\n🌡️ 56°F\n💨 Wind: 8 to 13 mph SW\n☁️ Sunny.\n\n\n"
        "📅 Tonight\n🌡️ 44°F\n💨 Wind: 8 to 13 mph SW\n☁️ Sunny.\n",
        "🌤️ Weather Forecast\n"
        "📅 Saturday\n🌡️ 60°F\n💨 Wind: 8 to 13 mph SW\n☁️ Sunny.\n\n\n"
        "📅 Saturday Night\n🌡️ 40°F\n💨 Wind: 8 to 13 mph SW\n☁️ Sunny.\n",
    ]


def test_window_is_days_times_two_periods() -> None:
    assert len(summarize(WEEK, days=1)) == 1
    assert len(summarize(WEEK, days=3)) == 3
    assert len(summarize(WEEK, days=7)) == 3  # fewer periods than asked for


def test_trailing_daytime_period_is_kept() -> None:
    periods = [period("Tonight", False, 44), period("Saturday", True, 60), period("Saturday Night", False, 40),
               period("Sunday", True, 61)]
    texts = summarize(periods, days=2)
    assert len(texts) == 3
    assert texts[0].startswith("🌤️ Weather Forecast\n📅 Tonight\n")
    assert texts[-1] == "🌤️ Weather Forecast\n📅 Sunday\n🌡️ 61°F\n💨 Wind: 8 to 13 mph SW\n☁️ Sunny.\n"


@pytest.mark.parametrize("temp, emoji", [(31, "❄️"), (32, "🌡️"), (80, "🌡️"), (81, "🔥"), (-5, "❄️")])
def test_temperature_emoji(temp: int, emoji: str) -> None:
    assert period_text(period("Today", True, temp)).splitlines()[1] == f"{emoji} {temp}°F"


@pytest.mark.parametrize("trend, suffix", [("falling", " ↘️ falling"), ("rising", " ↗️ rising"), ("", ""),
                                           (None, "")])
def test_temperature_trend(trend: str | None, suffix: str) -> None:
    assert period_text(period("Today", True, 50, trend)).splitlines()[1] == f"🌡️ 50°F{suffix}"


def test_quantitative_temperature_shape() -> None:
    data = {**period("Today", True), "temperature": {"unitCode": "wmoUnit:degF", "value": 90}}
    assert period_text(data).splitlines()[1] == "🔥 90°F"


def test_empty_forecast_gives_no_text() -> None:
    assert summarize([], days=2) == []


@pytest.mark.parametrize("document", [{}, {"properties": {}}, {"properties": {"periods": "x"}}, [], "text"])
def test_unreadable_forecast_is_an_upstream_error(document: object) -> None:
    with pytest.raises(UpstreamError, match="failed to parse weather response"):
        forecast_periods(document)


def deps_with_catalog() -> SimpleNamespace:
    return SimpleNamespace(courses=CourseCatalog({"1": "https://birdsfoot.cps.golf"}, "https://api.weather.gov"))


def test_url_from_the_course_grid_point() -> None:
    action = parse_web_action({"action": "weather", "courseID": 1}, None)
    assert weather_url(action, deps_with_catalog()).startswith("https://api.weather.gov/gridpoints/PBZ/")  # type: ignore[arg-type]


def test_url_from_a_noaa_url_keeps_only_the_grid_point() -> None:
    action = parse_web_action({"action": "weather",
                               "url": "https://api.weather.gov:443/gridpoints/TOP/31,80/forecast?x=1"}, None)
    assert weather_url(action, deps_with_catalog()) == "https://api.weather.gov/gridpoints/TOP/31,80/forecast"  # type: ignore[arg-type]


def test_a_url_on_another_host_is_refused_not_replaced() -> None:
    with pytest.raises(ValidationError) as info:
        parse_web_action({"action": "weather", "url": "https://evil.example.com/gridpoints/TOP/31,80/forecast"}, None)
    assert [p.field for p in info.value.details] == ["payload.url"]


def test_course_wins_over_a_url() -> None:
    action = parse_web_action({"action": "weather", "courseID": 2,
                               "url": "https://api.weather.gov/gridpoints/TOP/31,80/forecast"}, None)
    assert weather_url(action, deps_with_catalog()) == "https://api.weather.gov/gridpoints/PBZ/95,64/forecast"  # type: ignore[arg-type]
