"""Weather action (ORIGINAL_SYSTEM §6.1): fetch a NOAA gridpoint forecast, summarise it.

The URL is the course's grid point (``courseID``) or the grid point the payload names
(``gridpoint`` or a NOAA ``url``), always on the configured weather service
(``settings.weather_base_url``) and always through the SSRF guard.

The summary is one text per day: a chunk collects periods and is emitted when a night period is
added. Fix of §17 item 10: a daytime period at the end of the window, with no night after it, is
kept as a last chunk instead of being dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.core.errors import UpstreamError
from services.core.web_action_payload import WebAction
from services.webaction.outcome import ActionOutcome

if TYPE_CHECKING:
    from services.webaction.deps import WebActionDeps

HEADERS = {"Accept": "application/json", "User-Agent": "rez-agent weather notifier (contact@example.com)"}
HEADER_LINE = "🌤️ Weather Forecast"


def weather_url(action: WebAction, deps: WebActionDeps) -> str:
    payload = action.payload
    if payload.courseID is not None:
        return deps.courses.weather_url(deps.courses.by_id(payload.courseID))
    grid = payload.grid()
    if grid is None:  # parse_web_action guarantees one of the three
        raise UpstreamError("no weather location")
    return deps.courses.grid_url(grid)


def run_weather(action: WebAction, deps: WebActionDeps) -> ActionOutcome:
    url = weather_url(action, deps)
    response = deps.http.get(url, headers=HEADERS, what="weather forecast request")
    try:
        forecast = response.json()
    except ValueError:
        raise UpstreamError("failed to parse weather response: not JSON") from None
    periods = forecast_periods(forecast)
    return ActionOutcome(texts=summarize(periods, action.payload.days), response_code=response.status_code,
                         url=url)


def forecast_periods(forecast: Any) -> list[dict[str, Any]]:
    properties = forecast.get("properties") if isinstance(forecast, dict) else None
    periods = properties.get("periods") if isinstance(properties, dict) else None
    if not isinstance(periods, list) or not all(isinstance(p, dict) for p in periods):
        raise UpstreamError("failed to parse weather response: no forecast periods")
    return periods


def summarize(periods: list[dict[str, Any]], days: int) -> list[str]:
    """One text per day (day + night), from the first ``days * 2`` periods."""
    chunks: list[str] = []
    chunk = ""
    for period in periods[: max(days, 1) * 2]:
        if not chunk:
            chunk = HEADER_LINE + "\n"
        chunk += period_text(period)
        if period.get("isDaytime", True):
            chunk += "\n\n"
        else:
            chunks.append(chunk)
            chunk = ""
    if chunk:
        chunks.append(chunk.rstrip("\n") + "\n")
    return chunks


def period_text(period: dict[str, Any]) -> str:
    temperature = period.get("temperature")
    if isinstance(temperature, dict):  # NOAA's quantitative-value shape
        temperature = temperature.get("value")
    unit = period.get("temperatureUnit") or "F"
    emoji = "🌡️"
    if isinstance(temperature, int | float) and not isinstance(temperature, bool):
        emoji = "❄️" if temperature < 32 else "🔥" if temperature > 80 else "🌡️"
    line = f"{emoji} {temperature}°{unit}"
    trend = period.get("temperatureTrend")
    if trend:
        line += f" ↘️ {trend}" if trend == "falling" else f" ↗️ {trend}"
    return (f"📅 {period.get('name', '')}\n"
            f"{line}\n"
            f"💨 Wind: {period.get('windSpeed', '')} {period.get('windDirection', '')}\n"
            f"☁️ {period.get('detailedForecast', '')}\n")
