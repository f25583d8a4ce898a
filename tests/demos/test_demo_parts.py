"""The demo engine's pure parts: start days, date shifting, checks, redaction, generalised turns."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from emulation.demos.checks import evaluate, lookup
from emulation.demos.context import DemoError, Variables, shift_dates, start_for
from emulation.demos.generalise import generalise
from emulation.demos.redact import normalise, redact
from emulation.demos.spec import Expect, Start, Step


def test_a_demo_starts_on_a_monday_after_the_clock_and_the_dst_demo_before_spring_forward():
    now = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # a Wednesday
    assert start_for(Start(), now) == datetime(2026, 12, 7, tzinfo=UTC)
    assert start_for(Start(), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)) == datetime(2026, 12, 14, tzinfo=UTC)
    dst = start_for(Start(rule="before_dst_start", timezone="America/New_York"), now)
    assert dst == datetime(2027, 3, 8, tzinfo=UTC)  # New York springs forward on Sunday 2027-03-14
    assert start_for(Start(rule="before_dst_start", timezone="Europe/London"), now) == \
        datetime(2027, 3, 22, tzinfo=UTC)  # London: Sunday 2027-03-28


def test_dates_move_by_whole_weeks_in_every_form_the_tools_write():
    text = "on 2026-12-08T14:00, Tue Dec 8 2026, Tue, Dec 8 and Dec 29"
    assert shift_dates(text, 7, date(2026, 12, 7)) == "on 2026-12-15T14:00, Tue Dec 15 2026, Tue, Dec 15 and Jan 5"
    assert shift_dates({"a": ["2026-12-31"]}, 1) == {"a": ["2027-01-01"]}


def test_variables_fill_strings_and_keep_types_and_an_unknown_one_is_loud():
    found = Variables.for_start(datetime(2026, 12, 7, tzinfo=UTC))
    found["sheet"] = 102533047
    assert found.fill({"id": "${sheet}", "day": "on ${day1}"}) == {"id": 102533047, "day": "on 2026-12-08"}
    with pytest.raises(DemoError, match="not set by an earlier step"):
        found.fill("${nope}")


def test_checks_find_collect_and_capture():
    answer = {"queues": [{"queue": "web-actions", "messages": 0}, {"queue": "notifications", "messages": 2}],
              "messages": [{"id": "a", "at": "2"}, {"id": "b", "at": "1"}, {"id": "c"}]}
    assert lookup(answer, "queues.[queue=notifications].messages") == 2
    value, captures = evaluate(Expect.model_validate({"json": {"queues.1.queue": {"regex": "noti(?P<rest>\\w+)"}}}),
                               200, answer)
    assert captures == {"rest": "fications"}
    collected, _ = evaluate(Expect.model_validate({"collect": {"in": "messages", "where": {"id": {"regex": "a|b"}},
                                                               "field": "at"}, "equals": ["1", "2"]}), 200, answer)
    assert collected == ["1", "2"]
    with pytest.raises(DemoError, match="messages is 0, expected >= 1"):
        evaluate(Expect.model_validate({"json": {"queues.0.messages": {"gte": 1}}}), 200, answer)
    with pytest.raises(DemoError, match="HTTP status 500, expected 200"):
        evaluate(Expect(status=200), 500, {})


def test_a_step_has_exactly_one_action():
    with pytest.raises(ValueError, match="exactly one of"):
        Step.model_validate({"say": "x", "chat": "hi", "clock": "advance 1h"})


def test_recordings_hold_no_secret_and_no_run_specific_id():
    assert redact({"password": "fairway-2025", "nested": [{"x-api-key": "k"}], "ok": "fine"}) == \
        {"password": "<redacted>", "nested": [{"x-api-key": "<redacted>"}], "ok": "fine"}
    line = normalise("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig msg_20261207000000_431899 "
                     "Confirmation: PXZHD3XHP6 Tee Sheet ID: 102533047 at 2:01 PM api_key=abc123")
    assert "eyJ" not in line and "abc123" not in line and "PXZHD3XHP6" not in line
    assert "msg_<id>" in line and "Tee Sheet ID: <n>" in line and "<time>" in line


def test_values_a_model_copied_from_tool_results_become_captures():
    result = "1. 2:01 PM Tee Sheet ID: 111111\n2. 2:09 PM Tee Sheet ID: 222222"
    calls = [{"request": {"messages": [{"role": "user", "content": [{"toolResult": {
        "toolUseId": "t1", "content": [{"text": result}]}}]}]}},
             {"request": {"messages": [{"role": "user", "content": [{"text": "book the second"}]}]}}]
    scenario = {"name": "s", "turns": [
        {"match": {"tool_result_regex": "(?s)."}, "text": "Second: 2:09 PM, sheet 222222"},
        {"match": {"user_contains": "book the second"},
         "tool_use": [{"name": "golf_book_tee_time", "input": {"tee_sheet_id": 222222}}]}]}
    made = generalise(scenario, calls)
    assert made["turns"][0]["text"] == "Second: ${v1}, sheet ${v2}"
    assert made["turns"][1]["tool_use"][0]["input"] == {"tee_sheet_id": "${v2}"}
    import re

    found = re.search(made["turns"][0]["match"]["tool_result_regex"], result.replace("222222", "333333"))
    assert found["v1"] == "2:09 PM" and found["v2"] == "333333"
