"""Deterministic NOAA-style forecasts: offices, periods and wording.

``build_forecast(office, x, y, now, origin)`` returns the GeoJSON document of
``GET /gridpoints/{office}/{x},{y}/forecast``. The weather of a period is seeded by grid point,
calendar date and day/night, so a given point and date always get the same forecast; which periods
are listed (and their names) follows the clock, in the office's local time zone.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_OFFICES_BY_ZONE = {
    "America/New_York": "AKQ ALY APX BGM BOX BTV BUF CAE CAR CHS CLE CTP DTX FFC GRR GSP GYX ILM ILN IND IWX "
    "JAX JKL KEY LMK LWX MFL MHX MLB MRX OKX PBZ PHI RAH RLX RNK TAE TBW",
    "America/Chicago": "ABR AMA ARX BIS BMX BRO CRP DDC DLH DMX DVN EAX EWX FGF FSD FWD GID GRB HGX HUN ICT ILX "
    "JAN LCH LIX LOT LSX LUB LZK MAF MEG MKX MOB MPX OAX OHX OUN PAH SGF SHV SJT TOP TSA",
    "America/Denver": "ABQ BOI BOU BYZ CYS EPZ GGW GJT GLD MSO PIH PUB RIW SLC TFX UNR",
    "America/Phoenix": "FGZ PSR TWC",
    "America/Los_Angeles": "EKA HNX LKN LOX MFR MTR OTX PDT PQR REV SEW SGX STO VEF",
    "America/Anchorage": "AFC AFG AJK",
    "Pacific/Honolulu": "HFO",
    "America/Puerto_Rico": "SJU",
    "Pacific/Guam": "GUM",
}
OFFICE_TIMEZONES: dict[str, str] = {
    office: zone for zone, offices in _OFFICES_BY_ZONE.items() for office in offices.split()
}
_CLIMATE_HIGHS = (37, 40, 50, 62, 72, 80, 84, 82, 75, 63, 51, 40)  # °F, ~40°N, by month
_ZONE_OFFSET = {"America/Phoenix": 25, "America/Los_Angeles": 6, "America/Anchorage": -22, "America/Chicago": 3}
_TROPICAL = {"Pacific/Honolulu", "America/Puerto_Rico", "Pacific/Guam"}
_DIRECTIONS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
_DIRECTION_WORDS = {"N": "North", "E": "East", "S": "South", "W": "West"}

# (day text, night text, icon code, pop range, allowed when: "any" | "warm" | "cold")
_CONDITIONS = (
    ("Sunny", "Clear", "skc", (0, 0), "any", 16),
    ("Mostly Sunny", "Mostly Clear", "few", (0, 0), "any", 16),
    ("Partly Sunny", "Partly Cloudy", "sct", (0, 10), "any", 16),
    ("Mostly Cloudy", "Mostly Cloudy", "bkn", (0, 10), "any", 12),
    ("Chance Rain Showers", "Chance Rain Showers", "rain_showers", (30, 50), "warm", 10),
    ("Rain Showers Likely", "Rain Showers Likely", "rain_showers", (60, 70), "warm", 7),
    ("Rain", "Rain", "rain", (80, 100), "warm", 5),
    ("Chance Showers And Thunderstorms", "Chance Showers And Thunderstorms", "tsra", (30, 50), "hot", 6),
    ("Chance Snow Showers", "Chance Snow Showers", "snow", (30, 50), "cold", 8),
    ("Snow", "Snow", "snow", (80, 100), "cold", 5),
)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _temperatures(office: str, x: int, y: int, day: datetime) -> tuple[int, int]:
    """(high, low) in °F of a calendar day."""
    zone = OFFICE_TIMEZONES[office]
    rng = _rng(office, x, y, day.date().isoformat(), "temps")
    if zone in _TROPICAL:
        high = 84 + rng.randint(-3, 3)
        return high, high - rng.randint(8, 12)
    high = _CLIMATE_HIGHS[day.month - 1] + _ZONE_OFFSET.get(zone, 0) + rng.randint(-9, 9)
    return high, high - rng.randint(12, 22)


def _period_weather(office: str, x: int, y: int, start: datetime, is_day: bool, temp: int) -> dict[str, Any]:
    rng = _rng(office, x, y, start.date().isoformat(), "day" if is_day else "night")
    climate = "cold" if temp <= 34 else "hot" if temp >= 70 else "warm"
    allowed = [c for c in _CONDITIONS if c[4] in ("any", climate) or (c[4] == "warm" and climate == "hot")]
    day_text, night_text, icon, (low_pop, high_pop), _, _ = rng.choices(allowed, weights=[c[5] for c in allowed])[0]
    short = day_text if is_day else night_text
    pop = rng.randint(low_pop // 10, high_pop // 10) * 10 if high_pop else 0
    speed = rng.randint(0, 15)
    wind = f"{speed} mph" if speed == 0 or rng.random() < 0.4 else f"{speed} to {speed + 5} mph"
    direction = rng.choice(_DIRECTIONS)
    trend = rng.choice(("rising", "falling")) if rng.random() < 0.12 else ""
    high_low = "a high near" if is_day else "a low around"
    sentence = short[0] + short[1:].lower()
    detailed = f"{sentence}, with {high_low} {temp}."
    if trend:
        later = temp + (4 if trend == "rising" else -4)
        when = "in the afternoon" if is_day else "overnight"
        detailed = f"{sentence}. {'High' if is_day else 'Low'} around {temp}, with temperatures {trend} to around {later} {when}."
    if pop:
        detailed += f" Chance of precipitation is {pop}%."
    if speed:
        detailed += f" {_compass_words(direction)} wind {wind}."
    return {
        "temperatureTrend": trend,
        "probabilityOfPrecipitation": {"unitCode": "wmoUnit:percent", "value": pop or None},
        "windSpeed": wind,
        "windDirection": direction,
        "icon_code": f"{icon},{pop}" if pop else icon,
        "shortForecast": short,
        "detailedForecast": detailed,
    }


def _compass_words(direction: str) -> str:
    words = [_DIRECTION_WORDS[ch] for ch in direction]
    if len(words) == 3:  # NNE -> North northeast
        return f"{words[0]} {words[1].lower()}{words[2].lower()}"
    return words[0] if len(words) == 1 else f"{words[0]}{words[1].lower()}"


def _period_bounds(local_now: datetime) -> list[tuple[datetime, datetime, bool, str]]:
    """14 (start, end, isDaytime, name) tuples starting at the current local hour."""
    tz, today = local_now.tzinfo, local_now.date()
    start = local_now.replace(minute=0, second=0, microsecond=0)

    def at(day: Any, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=tz)

    if local_now.hour < 6:
        first = (start, at(today, 6), False, "Overnight")
    elif local_now.hour < 18:
        first = (start, at(today, 18), True, "Today" if local_now.hour < 12 else "This Afternoon")
    else:
        first = (start, at(today + timedelta(days=1), 6), False, "Tonight")
    periods = [first]
    while len(periods) < 14:
        begin = periods[-1][1]
        is_day = begin.hour == 6
        end = at(begin.date(), 18) if is_day else at(begin.date() + timedelta(days=1), 6)
        weekday = begin.strftime("%A")
        if begin.date() == today:
            name = "Today" if is_day else "Tonight"
        else:
            name = weekday if is_day else f"{weekday} Night"
        periods.append((begin, end, is_day, name))
    return periods


def build_forecast(office: str, x: int, y: int, now: datetime, origin: str) -> dict[str, Any]:
    """The ``/gridpoints/{office}/{x},{y}/forecast`` document at ``now`` (aware UTC)."""
    zone = ZoneInfo(OFFICE_TIMEZONES[office])
    local_now = now.astimezone(zone)
    periods = []
    for number, (start, end, is_day, name) in enumerate(_period_bounds(local_now), start=1):
        night_of = start - timedelta(days=1) if not is_day and start.hour < 6 else start
        high, low = _temperatures(office, x, y, night_of if not is_day else start)
        temp = high if is_day else low
        weather = _period_weather(office, x, y, night_of, is_day, temp)
        icon = f"{origin}/icons/land/{'day' if is_day else 'night'}/{weather.pop('icon_code')}?size=medium"
        periods.append({
            "number": number, "name": name, "startTime": start.isoformat(), "endTime": end.isoformat(),
            "isDaytime": is_day, "temperature": temp, "temperatureUnit": "F", **weather, "icon": icon,
        })
        periods[-1] = {k: periods[-1][k] for k in _PERIOD_ORDER}
    updated = now.replace(minute=0, second=0, microsecond=0).isoformat()
    lat, lon = 25 + (y % 250) * 0.1, -70 - (x % 500) * 0.1
    square = [[round(lon, 4), round(lat, 4)], [round(lon + 0.02, 4), round(lat, 4)],
              [round(lon + 0.02, 4), round(lat + 0.02, 4)], [round(lon, 4), round(lat + 0.02, 4)]]
    return {
        "@context": [
            "https://geojson.org/geojson-ld/geojson-context.jsonld",
            {"@version": "1.1", "wx": "https://api.weather.gov/ontology#", "geo": "http://www.opengis.net/ont/geosparql#",
             "unit": "http://codes.wmo.int/common/unit/", "@vocab": "https://api.weather.gov/ontology#"},
        ],
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[*square, square[0]]]},
        "properties": {
            "units": "us",
            "forecastGenerator": "BaselineForecastGenerator",
            "generatedAt": now.replace(microsecond=0).isoformat(),
            "updateTime": updated,
            "updated": updated,
            "validTimes": f"{updated}/P7DT{(24 - local_now.hour) % 24}H",
            "elevation": {"unitCode": "wmoUnit:m", "value": round(200 + _rng(office, x, y).random() * 300, 1)},
            "periods": periods,
        },
    }


_PERIOD_ORDER = (
    "number", "name", "startTime", "endTime", "isDaytime", "temperature", "temperatureUnit", "temperatureTrend",
    "probabilityOfPrecipitation", "windSpeed", "windDirection", "icon", "shortForecast", "detailedForecast",
)


def correlation_id(*parts: object) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, ":".join(str(p) for p in parts)).hex[:8]
