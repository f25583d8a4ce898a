"""WebActionPayload validation, as the API (check_payload) and the consumer (parse_web_action) see it."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from services.core import message_validation
from services.core.courses import CourseCatalog, GridPoint, find_by_id, find_by_name, load_courses
from services.core.errors import NotFoundError, ValidationError
from services.core.messages import MessageType
from services.core.settings import Settings
from services.core.web_action_payload import WebActionScope, check_payload, parse_web_action

SEARCH = {"action": "golf", "courseID": 1, "startSearchTime": "2025-11-15T09:30:00",
          "endSearchTime": "2025-11-15T16:30:00", "numberOfPlayers": 2}


def fields_of(payload: dict[str, Any], arguments: dict[str, Any] | None) -> set[str]:
    with pytest.raises(ValidationError) as info:
        parse_web_action(payload, arguments)
    return {p.field for p in info.value.details}


# -- accepted --------------------------------------------------------------------------------------

def test_original_sample_requests_are_accepted() -> None:
    weather = parse_web_action({"courseID": 1, "days": 7, "action": "weather", "auth_config": {"type": "none"}},
                               {"operation": "get_weather"})
    assert (weather.action, weather.operation, weather.payload.days) == ("weather", "get_weather", 7)
    prod = WebActionScope.from_settings(Settings(stage="prod", golf_secret_name="rez-agent/golf/credentials-prod"))
    reservations = parse_web_action(
        {"action": "golf", "courseID": 1, "max_results": 4,
         "auth_config": {"type": "oauth_password", "secret_name": "rez-agent/golf/credentials-prod"}},
        {"operation": "fetch_reservations"}, scope=prod)
    assert reservations.payload.maxResults == 4  # the original's field name is honoured, not dropped
    search = parse_web_action({**SEARCH, "autoBook": False, "version": "1.0"}, {"operation": "search_tee_times"})
    assert search.payload.start_time().hour == 9 and search.payload.end_time().hour == 16


def test_defaults() -> None:
    payload = parse_web_action({"action": "weather", "courseID": 2}, None).payload
    assert (payload.days, payload.numberOfPlayers, payload.maxResults, payload.autoBook) == (2, 1, None, False)


def test_weather_by_gridpoint_or_noaa_url_without_course() -> None:
    by_grid = parse_web_action({"action": "weather", "gridpoint": "PBZ/95,64"}, {})
    assert by_grid.payload.grid() == GridPoint("PBZ", 95, 64)
    by_url = parse_web_action({"action": "weather", "url": "https://api.weather.gov/gridpoints/TOP/31,80/forecast"},
                              None)
    assert by_url.payload.grid() == GridPoint("TOP", 31, 80)


def test_booking() -> None:
    action = parse_web_action({"action": "golf", "courseID": 2, "teeSheetID": 202145012, "numberOfPlayers": 4},
                              {"operation": "book_tee_time"})
    assert action.payload.teeSheetID == 202145012 and action.payload.numberOfPlayers == 4


# -- refused, naming the field -------------------------------------------------------------------

@pytest.mark.parametrize("payload, arguments, field", [
    ({"action": "email"}, {}, "payload.action"),
    ({}, {}, "payload.action"),
    ({"action": "golf", "courseID": 3}, {"operation": "fetch_reservations"}, "payload.courseID"),
    ({"action": "golf", "courseID": "1"}, {"operation": "fetch_reservations"}, "payload.courseID"),
    ({"action": "golf"}, {"operation": "fetch_reservations"}, "payload.courseID"),
    ({"action": "golf", "courseID": 1}, {}, "arguments.operation"),
    ({"action": "golf", "courseID": 1}, None, "arguments.operation"),
    ({"action": "golf", "courseID": 1}, {"operation": "cancel"}, "arguments.operation"),
    ({"action": "golf", "courseID": 1}, {"operation": "search_tee_times"}, "payload.startSearchTime"),
    ({**SEARCH, "startSearchTime": "07:00"}, {"operation": "search_tee_times"}, "payload.startSearchTime"),
    ({**SEARCH, "startSearchTime": "2025-11-15"}, {"operation": "search_tee_times"}, "payload.startSearchTime"),
    ({**SEARCH, "startSearchTime": "2025-02-30T09:00:00"}, {"operation": "search_tee_times"},
     "payload.startSearchTime"),
    ({**SEARCH, "endSearchTime": "14:00"}, {"operation": "search_tee_times"}, "payload.endSearchTime"),
    ({**SEARCH, "endSearchTime": "2025-11-15T08:00:00"}, {"operation": "search_tee_times"}, "payload.endSearchTime"),
    ({**SEARCH, "numberOfPlayers": 5}, {"operation": "search_tee_times"}, "payload.numberOfPlayers"),
    ({**SEARCH, "numberOfPlayers": 0}, {"operation": "search_tee_times"}, "payload.numberOfPlayers"),
    ({**SEARCH, "numberOfPlayers": True}, {"operation": "search_tee_times"}, "payload.numberOfPlayers"),
    ({**SEARCH, "maxResults": 21}, {"operation": "search_tee_times"}, "payload.maxResults"),
    ({**SEARCH, "maxResults": 0}, {"operation": "search_tee_times"}, "payload.maxResults"),
    ({**SEARCH, "autoBook": "yes"}, {"operation": "search_tee_times"}, "payload.autoBook"),
    ({"action": "golf", "courseID": 1}, {"operation": "book_tee_time"}, "payload.teeSheetID"),
    ({"action": "golf", "courseID": 1, "teeSheetID": -4}, {"operation": "book_tee_time"}, "payload.teeSheetID"),
    ({"action": "weather", "courseID": 1, "days": 8}, {}, "payload.days"),
    ({"action": "weather", "courseID": 1, "days": 0}, {}, "payload.days"),
    ({"action": "weather"}, {}, "payload.courseID"),
    ({"action": "weather", "url": "https://evil.example.com/steal"}, {}, "payload.url"),
    ({"action": "weather", "gridpoint": "PBZ/95"}, {}, "payload.gridpoint"),
    ({"action": "weather", "courseID": 1}, {"operation": "search_tee_times"}, "arguments.operation"),
    ({"action": "golf", "courseID": 1, "auth_config": {"type": "none"}}, {"operation": "fetch_reservations"},
     "payload.auth_config.type"),
    ({"action": "golf", "courseID": 1, "auth_config": {"type": "api_key"}}, {"operation": "fetch_reservations"},
     "payload.auth_config.type"),
    ({"action": "golf", "courseID": 1, "auth_config": {"type": "oauth_password", "secret_name": "prod/golf"}},
     {"operation": "fetch_reservations"}, "payload.auth_config.secret_name"),
    ({"action": "golf", "courseID": 1, "auth_config": {"secret_name": "rez-agent/../other"}},
     {"operation": "fetch_reservations"}, "payload.auth_config.secret_name"),
    ({"action": "golf", "courseID": 1, "auth_config": {"type": "oauth_password",
                                                       "token_url": "https://evil.example.com/token"}},
     {"operation": "fetch_reservations"}, "payload.auth_config.token_url"),
])
def test_refused_with_the_field_named(payload: dict, arguments: dict | None, field: str) -> None:
    assert field in fields_of(payload, arguments)


# -- only what the action may use: its own secret, the configured hosts ---------------------------

SCOPE = WebActionScope.from_settings(Settings(golf_secret_name="rez-agent/golf/credentials-dev",
                                              weather_base_url="http://127.0.0.1:8093",
                                              golf_origins={"1": "https://birdsfoot.cps.golf",
                                                            "2": "https://totteridge.cps.golf"}))


@pytest.mark.parametrize("payload, arguments", [
    ({"action": "golf", "courseID": 1, "auth_config": {"secret_name": "rez-agent/mcp/api-key-dev"}},
     {"operation": "fetch_reservations"}),  # the MCP key: from the issue
    ({"action": "golf", "courseID": 1, "auth_config": {"secret_name": "rez-agent/golf/credentials-prod"}},
     {"operation": "fetch_reservations"}),  # another stage's credentials
    ({"action": "weather", "courseID": 1, "auth_config": {"type": "none", "secret_name": "rez-agent/golf/credentials-dev"}},
     {}),  # weather uses no secret at all
])
def test_a_request_may_only_name_the_secret_its_action_uses(payload: dict, arguments: dict) -> None:
    with pytest.raises(ValidationError) as info:
        parse_web_action(payload, arguments, scope=SCOPE)
    assert [p.field for p in info.value.details] == ["payload.auth_config.secret_name"]
    assert "rez-agent/golf/credentials-dev" not in info.value.message  # the refusal does not list secrets


def test_the_action_own_secret_may_be_named() -> None:
    action = parse_web_action({"action": "golf", "courseID": 1,
                               "auth_config": {"secret_name": "rez-agent/golf/credentials-dev"}},
                              {"operation": "fetch_reservations"}, scope=SCOPE)
    assert action.payload.auth_config.secret_name == "rez-agent/golf/credentials-dev"


@pytest.mark.parametrize("payload, arguments", [
    ({"action": "weather", "url": "https://api.weather.gov/gridpoints/TOP/31,80/forecast"}, {}),  # not the configured
    ({"action": "weather", "url": "http://127.0.0.1:9999/gridpoints/TOP/31,80/forecast"}, {}),  # other port
    ({"action": "weather", "courseID": 1, "url": "https://evil.example/gridpoints/TOP/31,80/forecast"}, {}),
    ({"action": "weather", "url": "http://[::1/gridpoints/TOP/31,80/forecast"}, {}),  # not even a URL
    ({"action": "weather", "url": "file:///etc/passwd"}, {}),
    ({"action": "golf", "courseID": 1, "url": "https://totteridge.cps.golf/api/tee-times"},
     {"operation": "fetch_reservations"}),  # another course's site
])
def test_a_url_on_another_host_is_refused_not_replaced(payload: dict, arguments: dict) -> None:
    with pytest.raises(ValidationError) as info:
        parse_web_action(payload, arguments, scope=SCOPE)
    assert "payload.url" in {p.field for p in info.value.details}


def test_a_url_on_the_configured_host_is_accepted() -> None:
    weather = parse_web_action({"action": "weather", "url": "http://127.0.0.1:8093/gridpoints/TOP/31,80/forecast"},
                               {}, scope=SCOPE)
    assert weather.payload.grid() == GridPoint("TOP", 31, 80)
    golf = parse_web_action({"action": "golf", "courseID": 1, "url": "https://BIRDSFOOT.cps.golf:443/api/tee-times"},
                            {"operation": "fetch_reservations"}, scope=SCOPE)
    assert golf.payload.courseID == 1


def test_every_problem_is_reported_at_once() -> None:
    fields = fields_of({"action": "golf", "courseID": 1}, {"operation": "search_tee_times"})
    assert fields == {"payload.startSearchTime"}
    fields = fields_of({"action": "golf"}, {"operation": "nope"})
    assert fields == {"payload.courseID", "arguments.operation"}


# -- as POST /api/messages sees it ---------------------------------------------------------------

def test_check_payload_has_the_payload_check_signature() -> None:
    check_payload(SEARCH, {"operation": "search_tee_times"})  # no error
    with pytest.raises(pydantic.ValidationError):
        check_payload({**SEARCH, "numberOfPlayers": 9}, {"operation": "search_tee_times"})
    with pytest.raises(ValidationError) as info:
        check_payload({"action": "golf", "courseID": 1}, {"operation": "book_tee_time"})
    assert [p.field for p in info.value.details] == ["payload.teeSheetID"]


def test_create_request_with_a_bad_web_action_is_a_400_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(message_validation._CHECKS, MessageType.WEB_ACTION, check_payload)
    body = {"message_type": "web_action", "payload": {**SEARCH, "numberOfPlayers": 9},
            "arguments": {"operation": "search_tee_times"}}
    with pytest.raises(ValidationError) as info:
        message_validation.validate_create_request(body)
    assert info.value.http_status == 400
    assert [p.field for p in info.value.details] == ["payload.numberOfPlayers"]
    body["payload"] = {"action": "golf", "courseID": 1}
    with pytest.raises(ValidationError) as info:
        message_validation.validate_create_request(body)
    assert "payload.startSearchTime" in info.value.message


# -- course configuration --------------------------------------------------------------------------

def test_courses_as_data() -> None:
    birdsfoot, totteridge = load_courses()
    assert (birdsfoot.id, birdsfoot.name, totteridge.name) == (1, "Birdsfoot Golf Course", "Totteridge")
    assert birdsfoot.websiteid == "94fa26b7-2e63-4cbc-99e5-08d7d7f41522"
    assert birdsfoot.weather_grid.office == "PBZ"  # fixed: Freeport PA is forecast by Pittsburgh, not Topeka
    assert totteridge.weather_grid == GridPoint("PBZ", 95, 64)


def test_course_lookup() -> None:
    assert find_by_id(2).name == "Totteridge"
    assert find_by_name("birdsfoot").id == 1
    assert find_by_name("  TOTTERIDGE ").id == 2
    assert find_by_name("Birdsfoot Golf Course at noon").id == 1
    with pytest.raises(ValidationError):
        find_by_name("")
    with pytest.raises(ValidationError):
        find_by_name("   ")
    with pytest.raises(NotFoundError):
        find_by_name("Augusta")
    with pytest.raises(NotFoundError):
        find_by_id(7)


def test_course_urls_come_from_configuration() -> None:
    catalog = CourseCatalog({"1": "http://127.0.0.1:9001/", "2": "https://totteridge.cps.golf"},
                            "http://127.0.0.1:9003")
    birdsfoot = catalog.by_id(1)
    assert catalog.url(birdsfoot, "token-url") == "http://127.0.0.1:9001/identityapi/connect/token"
    assert catalog.issuer(birdsfoot) == "http://127.0.0.1:9001/identityapi"
    assert catalog.weather_url(catalog.by_id(2)) == "http://127.0.0.1:9003/gridpoints/PBZ/95,64/forecast"
