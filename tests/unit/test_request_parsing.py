"""Reading request parts (routes/_request.py, cursors, schedule dates): each 5xx of issue 10 is a 400 naming the part."""

from __future__ import annotations

import base64
import json

import pytest

from services.core.errors import NotFoundError, ValidationError
from services.core.message_repository import decode_cursor, encode_cursor
from services.core.schedule_requests import parse_command
from services.core.schedules import SCHEDULE_ID
from services.webapi.routes._request import MAX_BODY_BYTES, json_body, known_id, limit_param


def problem_of(call) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.http_status == 400
    detail = info.value.details[0]
    return detail.field, detail.problem


def event(body: str | bytes, *, b64: bool = False) -> dict:
    if b64:
        return {"body": base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode(),
                "isBase64Encoded": True}
    return {"body": body, "isBase64Encoded": False}


def test_a_base64_body_is_decoded_as_api_gateway_delivers_it() -> None:
    assert json_body(event('{"a": 1}', b64=True)) == {"a": 1}


@pytest.mark.parametrize("body, b64, problem", [
    (b"\xff\xfe\x00binary", True, "is not valid UTF-8 JSON"),  # the issue: binary bodies
    (b'{"a": "\xc3"}', True, "is not valid UTF-8 JSON"),  # invalid UTF-8 inside JSON
    ("%%%", True, None),  # marked base64 but is not
    ("", False, "is required (a JSON object)"),
    ("{", False, None),
    ('{"n": NaN}', False, "is not valid JSON (NaN is not a JSON number)"),
    ('{"n": Infinity}', False, "is not valid JSON (Infinity is not a JSON number)"),
    ('{"n": ' + "1" * 5000 + "}", False, "contains a number with too many digits"),  # thousands of digits
    ("[" * 100_000 + "]" * 100_000, False, "is nested more than 32 levels deep"),  # RecursionError
    ("x" * (MAX_BODY_BYTES + 1), False, None),
])
def test_bodies_that_cannot_be_read_name_the_body(body, b64: bool, problem: str | None) -> None:
    field, found = problem_of(lambda: json_body(event(body, b64=b64)))
    assert field == "body"
    if problem:
        assert found == problem


@pytest.mark.parametrize("body, field", [
    ({"payload": {"extra": {"": 1}}}, "payload.extra"),  # the example
    ({"payload": {"n": 10**40}}, "payload.n"),  # 41 digits
    ({"payload": {"n": 1e200}}, "payload.n"),
    ({"payload": {"text": "\ud800"}}, "payload.text"),
])
def test_parsed_bodies_dynamodb_would_refuse_name_the_field(body: dict, field: str) -> None:
    text = json.dumps(body)
    assert problem_of(lambda: json_body(event(text)))[0] == field


@pytest.mark.parametrize("raw", ["²", "١٢", "٣", "0", "101", "-1", "1.5", " 5", "5\n", "0x10", "1e2", "+5"])
def test_limit_is_ascii_digits_in_range(raw: str) -> None:
    assert problem_of(lambda: limit_param(raw))[0] == "limit"  # "²".isdigit() is True, int("²") raises


def test_limit_default_and_range() -> None:
    assert (limit_param(None), limit_param(""), limit_param("1"), limit_param("100")) == (50, 50, 1, 100)


KEY = {"id": {"S": "msg_20260101000000_000001"}, "stage": {"S": "dev"}, "created_date": {"S": "2026-01-01"}}


@pytest.mark.parametrize("cursor", [
    "!!!", "é", "e30", "x" * 5000, encode_cursor({"id": 5}), encode_cursor({**KEY, "stage": {"N": "1"}}),
    encode_cursor({**KEY, "stage": {"S": "dev", "N": "1"}}), encode_cursor({**KEY, "id": {"S": ""}}),
    encode_cursor({**KEY, "extra": {"S": "x"}}), encode_cursor({"id": KEY["id"], "created_date": KEY["created_date"]}),
    encode_cursor({"id": KEY["id"], "nope": {"S": "dev"}, "created_date": KEY["created_date"]}),
    encode_cursor({**KEY, "created_date": {"S": "\u0000"}}),
    base64.urlsafe_b64encode(b"[" * 50_000).decode(),
])
def test_malformed_cursors_are_refused(cursor: str) -> None:
    assert problem_of(lambda: decode_cursor(cursor))[0] == "cursor"


def test_a_cursor_of_another_listing_is_refused_and_its_own_accepted() -> None:
    cursor = encode_cursor(KEY)
    assert decode_cursor(cursor, index_key=("stage", "dev")) == KEY
    field, problem = problem_of(lambda: decode_cursor(cursor, index_key=("stage", "prod")))
    assert field == "cursor" and "another listing" in problem
    assert problem_of(lambda: decode_cursor(cursor, index_key=("status", "queued")))[0] == "cursor"


@pytest.mark.parametrize("field, value", [
    ("start_date", "9999-12-31T23:59:59-14:00"),  # the issue: year 9999 with -14:00 overflows into year 10000
    ("end_date", "0001-01-01T00:00:00+14:00"),
])
def test_schedule_dates_must_have_a_utc_form(field: str, value: str) -> None:
    body = {"action": "create", "name": "n", "schedule_expression": "rate(1 hour)", "target_type": "notification",
            "payload": {"message": "x"}, field: value}
    assert problem_of(lambda: parse_command(body)) == (field, "is out of range once converted to UTC (years 1-9999)")


def test_dates_are_kept_in_utc() -> None:
    command = parse_command({"action": "create", "name": "n", "schedule_expression": "rate(1 hour)",
                             "target_type": "notification", "payload": {"message": "x"},
                             "start_date": "9999-12-31T23:59:59+14:00"})
    assert command.start_date.isoformat() == "9999-12-31T09:59:59+00:00"


@pytest.mark.parametrize("raw", ["sched_x", "x" * 3000, "sched_20260101000000_0123abcd\n", ""])
def test_ids_of_another_format_are_404_at_once(raw: str) -> None:
    with pytest.raises(NotFoundError) as info:
        known_id(SCHEDULE_ID, raw, "schedule")
    assert len(info.value.message) < 120
