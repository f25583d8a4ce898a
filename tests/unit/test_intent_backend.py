"""The intent backend as a table: utterance (with a fixed "now") → tool call or answer.

"Now" is Saturday 2026-11-28 14:03, given in the system prompt as the agent gives it.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulation.fakes.bedrock.backends.intent import IntentBackend
from emulation.fakes.bedrock.backends.intent_tools import ASK_NOTIFY, ASK_SEARCH, ASK_WEATHER, NO_NOW
from emulation.fakes.bedrock.wire import ConverseRequest, ModelTurn

SYSTEM = "You are a friendly golf reservation assistant.\nCurrent date and time: 2026-11-28 14:03:00 UTC"
SCHEMAS: dict[str, dict[str, Any]] = {
    "golf_search_tee_times": {
        "type": "object",
        "properties": {
            "course_name": {"type": "string"},
            "start_time": {"type": "string"},
            "end_time": {"type": "string"},
            "num_players": {"type": "integer", "minimum": 1, "maximum": 4},
            "max_results": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "auto_book": {"type": "boolean", "default": False},
        },
        "required": ["course_name", "start_time", "end_time", "num_players"],
    },
    "golf_book_tee_time": {
        "type": "object",
        "properties": {
            "course_name": {"type": "string"},
            "tee_sheet_id": {"type": "integer"},
            "num_players": {"type": "integer"},
        },
        "required": ["course_name", "tee_sheet_id", "num_players"],
    },
    "golf_get_reservations": {
        "type": "object",
        "properties": {"course_name": {"type": "string"}},
        "required": ["course_name"],
    },
    "get_weather": {
        "type": "object",
        "properties": {
            "course_name": {"type": "string"},
            "grid": {"type": "string"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 2},
        },
    },
    "send_notification": {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "title": {"type": "string"},
            "priority": {"type": "string", "enum": ["min", "low", "default", "high", "urgent"]},
        },
        "required": ["message"],
    },
    "list_schedules": {"type": "object", "properties": {"status": {"type": "string"}}},
    "create_schedule": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "schedule_expression": {"type": "string"},
            "timezone": {"type": "string"},
            "target_type": {"type": "string", "enum": ["web_action", "notification", "scheduled"]},
            "payload": {"type": "object", "additionalProperties": True},
            "description": {"type": "string"},
        },
        "required": ["name", "schedule_expression", "timezone", "target_type", "payload"],
    },
    "delete_schedule": {
        "type": "object",
        "properties": {"schedule_id": {"type": "string"}},
        "required": ["schedule_id"],
    },
}
TOOL_RESULT_SEARCH = (
    "⛳ Available Tee Times\n\nDate: Sun Nov 29 2026\nPlayers: 2\n\n"
    "1. 2:00 PM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 12345\n"
    "   💵 $45.00 - 18 Holes\n\n"
    "2. 2:10 PM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 12346\n\n"
    "3. 2:20 PM\n   📍 Birdsfoot Golf Course\n   ⛳ 18 holes available\n   🎟️ Tee Sheet ID: 12347\n"
    "\n\nFound 3 available time(s)"
)
TOOL_RESULT_BOOKED = (
    "⛳ Tee Time Booked Successfully at Birdsfoot Golf Course!\n\nConfirmation: ABC123\nReservation ID: 67890\n\n"
    "Date/Time: Sun, Nov 29 at 2:00 PM\nCourse: Birdsfoot Golf Course\nHoles: 18\n\nTotal: $90.00\n"
    "Due at Course: $90.00\n\nSee you on the course!"
)


def request(
    *turns: str | dict[str, Any],
    tools: list[str] | None = None,
    system: str = SYSTEM,
) -> ConverseRequest:
    """Alternating user/assistant turns; a dict is a raw message."""
    messages = []
    for i, t in enumerate(turns):
        messages.append(
            t
            if isinstance(t, dict)
            else {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": t}]}
        )
    names = list(SCHEMAS) if tools is None else tools
    body: dict[str, Any] = {"system": [{"text": system}], "messages": messages}
    if names:
        body["toolConfig"] = {
            "tools": [
                {"toolSpec": {"name": n, "description": n, "inputSchema": {"json": SCHEMAS[n]}}}
                for n in names
            ]
        }
    return ConverseRequest.model_validate(body)


def reply(*turns: str | dict[str, Any], **kw: Any) -> ModelTurn:
    return IntentBackend().converse("model", request(*turns, **kw))


def calls(turn: ModelTurn) -> list[tuple[str, dict[str, Any]]]:
    return [(b.toolUse.name, b.toolUse.input) for b in turn.content if b.toolUse is not None]


def text(turn: ModelTurn) -> str:
    return "\n".join(b.text for b in turn.content if b.text)


def search(course: str, day: str, start: str, end: str, players: int) -> tuple[str, dict[str, Any]]:
    return "golf_search_tee_times", {
        "course_name": course,
        "start_time": f"{day}T{start}:00",
        "end_time": f"{day}T{end}:00",
        "num_players": players,
    }


BIRDSFOOT, TOTTERIDGE = "Birdsfoot Golf Course", "Totteridge"

TABLE = [
    (
        "tee times at birdsfoot tomorrow afternoon for 3 players",
        search(BIRDSFOOT, "2026-11-29", "12:00", "17:00", 3),
    ),
    ("next Saturday at 9 at Totteridge, a foursome", search(TOTTERIDGE, "2026-12-05", "09:00", "10:00", 4)),
    ("this Sunday morning for 2 at birdsfoot", search(BIRDSFOOT, "2026-11-29", "06:00", "12:00", 2)),
    ("Birdsfoot on Dec 5 at 2pm for 2 players", search(BIRDSFOOT, "2026-12-05", "14:00", "15:00", 2)),
    (
        "between 8 and 11am tomorrow at totteridge, twosome",
        search(TOTTERIDGE, "2026-11-29", "08:00", "11:00", 2),
    ),
    ("tee times at Totteridge friday evening for 1", search(TOTTERIDGE, "2026-12-04", "17:00", "20:00", 1)),
    ("golf at bird's foot today at 4pm, just me", search(BIRDSFOOT, "2026-11-28", "16:00", "17:00", 1)),
    ("tee times at totteridge on 12/12 for three", search(TOTTERIDGE, "2026-12-12", "06:00", "19:00", 3)),
    (
        "can we play totteridge in 3 days after 3pm, 4 of us",
        search(TOTTERIDGE, "2026-12-01", "15:00", "19:00", 4),
    ),
    (
        "Search tee times at birdsfoot for a threesome at 2:30 pm",
        search(BIRDSFOOT, "2026-11-28", "14:30", "15:30", 3),
    ),
    (
        "book a tee time at birdsfoot on Monday at 7 for 2",
        search(BIRDSFOOT, "2026-11-30", "07:00", "08:00", 2),
    ),
    ("weather at Totteridge this weekend", ("get_weather", {"course_name": TOTTERIDGE, "days": 2})),
    ("forecast for birdsfoot for the next 5 days", ("get_weather", {"course_name": BIRDSFOOT, "days": 5})),
    ("will it rain at birdsfoot on Tuesday?", ("get_weather", {"course_name": BIRDSFOOT, "days": 4})),
    ("notify me that the range is open", ("send_notification", {"message": "the range is open"})),
    (
        'send me an urgent notification titled "Golf" saying "rain delay"',
        ("send_notification", {"message": "rain delay", "title": "Golf", "priority": "urgent"}),
    ),
    ("list my schedules", ("list_schedules", {})),
    ("show my active schedules", ("list_schedules", {"status": "active"})),
    (
        "every day at 7am check the weather at Totteridge",
        (
            "create_schedule",
            {
                "name": "daily-weather-totteridge",
                "schedule_expression": "cron(0 7 * * ? *)",
                "timezone": "America/New_York",
                "target_type": "web_action",
                "payload": {
                    "action": "weather",
                    "operation": "get_weather",
                    "course_name": TOTTERIDGE,
                    "courseID": 2,
                    "days": 2,
                },
                "description": "Check the weather at Totteridge (every day at 7:00 AM, America/New_York)",
            },
        ),
    ),
    (
        "every weekday at 6:30am remind me to stretch in UTC",
        (
            "create_schedule",
            {
                "name": "weekdays-reminder",
                "schedule_expression": "cron(30 6 ? * MON-FRI *)",
                "timezone": "UTC",
                "target_type": "notification",
                "payload": {"message": "stretch in UTC", "title": "Reminder"},
                "description": "Reminder: stretch in UTC (MON-FRI at 6:30 AM, UTC)",
            },
        ),
    ),
    (
        "remind me tomorrow at 9 to call the pro shop",
        (
            "create_schedule",
            {
                "name": "once-reminder",
                "schedule_expression": "at(2026-11-29T09:00:00)",
                "timezone": "America/New_York",
                "target_type": "notification",
                "payload": {"message": "call the pro shop", "title": "Reminder"},
                "description": "Reminder: call the pro shop (once on Sun Nov 29 at 9:00 AM, America/New_York)",
            },
        ),
    ),
    ("delete schedule sched_abc123", ("delete_schedule", {"schedule_id": "sched_abc123"})),
    ("what are my reservations at Totteridge?", ("golf_get_reservations", {"course_name": TOTTERIDGE})),
]


@pytest.mark.parametrize(("utterance", "expected"), TABLE, ids=[u for u, _ in TABLE])
def test_utterance_becomes_tool_call(utterance: str, expected: tuple[str, dict[str, Any]]) -> None:
    turn = reply(utterance)
    assert turn.stop_reason == "tool_use"
    assert calls(turn) == [expected]


@pytest.mark.parametrize(
    ("utterance", "expression"),
    [
        ("every Monday and Thursday at 8am look for tee times at birdsfoot for 4", "cron(0 8 ? * MON,THU *)"),
        ("every 15 minutes check my reservations at birdsfoot", "rate(15 minutes)"),
        ("on saturdays at 6am check the weather at totteridge", "cron(0 6 ? * SAT *)"),
        ("every weekend at 7:15 check the forecast at birdsfoot", "cron(15 7 ? * SAT,SUN *)"),
    ],
)
def test_schedule_expressions_use_aws_syntax(utterance: str, expression: str) -> None:
    ((name, args),) = calls(reply(utterance))
    assert name == "create_schedule" and args["schedule_expression"] == expression


def test_scheduled_tee_time_search_is_an_agent_event() -> None:
    ((_, args),) = calls(reply("every Monday and Thursday at 8am look for tee times at birdsfoot for 4"))
    assert args["target_type"] == "scheduled"
    assert args["payload"] == {
        "operation": "agentEvent",
        "course_name": BIRDSFOOT,
        "user_prompt": "look for tee times at birdsfoot for 4",
        "num_players": 4,
    }


def test_reservations_without_course_check_both_courses() -> None:
    assert calls(reply("show my reservations")) == [
        ("golf_get_reservations", {"course_name": BIRDSFOOT}),
        ("golf_get_reservations", {"course_name": TOTTERIDGE}),
    ]


# --------------------------------------------------------------------------- asking for what is missing


@pytest.mark.parametrize(
    ("utterance", "start", "mentions"),
    [
        ("I want to play golf", ASK_SEARCH, ["course", "day and time", "number of players"]),
        ("tee times tomorrow at birdsfoot", ASK_SEARCH, ["number of players"]),
        ("tee times for 6 players at birdsfoot tomorrow", ASK_SEARCH, ["between 1 and 4"]),
        (
            "tee times this morning at birdsfoot for 2",
            ASK_SEARCH,
            ["in the future", "Sat Nov 28 2026 2:03 PM"],
        ),
        ("what's the weather like?", ASK_WEATHER, ["Birdsfoot Golf Course or Totteridge"]),
        ("send me a notification", ASK_NOTIFY, []),
        ("delete a schedule", "Which schedule should I delete?", ["list my schedules"]),
        ("every day check the weather at totteridge", "To create the schedule I still need", ["time"]),
        (
            "every day at 8 do something nice",
            "To create the schedule I still need",
            ["what the schedule should do"],
        ),
    ],
)
def test_missing_details_are_asked_for(utterance: str, start: str, mentions: list[str]) -> None:
    turn = reply(utterance)
    assert turn.stop_reason == "end_turn" and not calls(turn)
    assert text(turn).startswith(start)
    for fragment in mentions:
        assert fragment in text(turn)


def test_answers_to_questions_are_merged_with_the_request() -> None:
    q1 = text(reply("I want to play golf tomorrow"))
    assert "course" in q1 and "number of players" in q1 and "day and time" not in q1
    q2 = text(reply("I want to play golf tomorrow", q1, "totteridge"))
    assert q2.startswith(ASK_SEARCH) and "course" not in q2
    turn = reply("I want to play golf tomorrow", q1, "totteridge", q2, "3")
    assert calls(turn) == [search(TOTTERIDGE, "2026-11-29", "06:00", "19:00", 3)]
    turn = reply(
        "I want to play golf", text(reply("I want to play golf")), "Birdsfoot tomorrow afternoon, a twosome"
    )
    assert calls(turn) == [search(BIRDSFOOT, "2026-11-29", "12:00", "17:00", 2)]


def test_weather_and_notification_answers_complete_the_request() -> None:
    asked = text(reply("weather this weekend"))
    assert calls(reply("weather this weekend", asked, "Totteridge")) == [
        ("get_weather", {"course_name": TOTTERIDGE, "days": 2})
    ]
    asked = text(reply("send me a notification"))
    assert calls(reply("send me a notification", asked, "Tee time tomorrow at 9")) == [
        ("send_notification", {"message": "Tee time tomorrow at 9"})
    ]
    assert not calls(reply("send me a notification", asked, "never mind"))


# --------------------------------------------------------------------------- booking needs a confirmation


def search_history() -> list[str | dict[str, Any]]:
    """A search whose tool messages were kept in the history, then the assistant's summary."""
    first = reply("tee times at birdsfoot tomorrow at 2pm for 2")
    use = first.content[-1].toolUse
    assert use is not None
    assistant = {"role": "assistant", "content": [b.dump() for b in first.content]}
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": use.toolUseId, "content": [{"text": TOOL_RESULT_SEARCH}]}}],
    }
    summary = text(reply("tee times at birdsfoot tomorrow at 2pm for 2", assistant, result))
    return ["tee times at birdsfoot tomorrow at 2pm for 2", assistant, result, summary]


@pytest.mark.parametrize(
    ("choice", "sheet", "label"),
    [
        ("book the 2:00pm slot", 12345, "2:00 PM"),
        ("the second one please", 12346, "2:10 PM"),
        ("book the last one", 12347, "2:20 PM"),
        ("I'll take 2:10", 12346, "2:10 PM"),
        ("book tee sheet 12347", 12347, "2:20 PM"),
    ],
)
def test_booking_asks_for_confirmation_first(choice: str, sheet: int, label: str) -> None:
    history = search_history()
    question = reply(*history, choice)
    assert not calls(question)
    assert text(question) == (
        f"Shall I book the {label} tee time on Sun Nov 29 2026 at Birdsfoot Golf Course "
        f"(Tee Sheet ID: {sheet}) for 2 players? (yes/no)"
    )
    confirmed = reply(*history, choice, text(question), "yes")
    assert calls(confirmed) == [
        ("golf_book_tee_time", {"course_name": BIRDSFOOT, "tee_sheet_id": sheet, "num_players": 2})
    ]
    declined = reply(*history, choice, text(question), "no")
    assert not calls(declined) and "won't book" in text(declined)


def test_booking_works_from_the_summary_alone() -> None:
    """The agent may keep only user/assistant texts between requests; the summary has the ids."""
    summary = search_history()[-1]
    question = text(
        reply("tee times at birdsfoot tomorrow at 2pm for 2", summary, "book the first one for 3 players")
    )
    assert "(Tee Sheet ID: 12345) for 3 players" in question


def test_other_requests_after_a_listing_are_not_bookings() -> None:
    history = search_history()
    assert calls(reply(*history, "what's the weather at birdsfoot tomorrow?")) == [
        ("get_weather", {"course_name": BIRDSFOOT, "days": 2})
    ]
    assert calls(reply(*history, "book something at totteridge on Monday at 9 for 2")) == [
        search(TOTTERIDGE, "2026-11-30", "09:00", "10:00", 2)
    ]


def test_yes_without_a_pending_question_books_nothing() -> None:
    assert not calls(reply("yes"))


def test_unclear_slot_reference_lists_the_options() -> None:
    turn = reply(*search_history(), "book the one at 5pm")
    assert not calls(turn) and "1. 2:00 PM, 2. 2:10 PM, 3. 2:20 PM" in text(turn)


# --------------------------------------------------------------------------- answering from tool results


def after_tool(name: str, args: dict[str, Any], result: str, status: str = "success") -> str:
    assistant = {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "tu1", "name": name, "input": args}}],
    }
    tool_result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "tu1", "content": [{"text": result}], "status": status}}],
    }
    turn = reply("go", assistant, tool_result)
    assert turn.stop_reason == "end_turn" and not calls(turn)
    return text(turn)


def test_search_results_are_summarised_with_tee_sheet_ids() -> None:
    answer = after_tool(*search(BIRDSFOOT, "2026-11-29", "14:00", "15:00", 2), TOOL_RESULT_SEARCH)
    assert answer.splitlines() == [
        "I found 3 available tee times at Birdsfoot Golf Course on Sun Nov 29 2026 for 2 players:",
        "1. 2:00 PM · 📍 Birdsfoot Golf Course · 💵 $45.00 · 🎟️ Tee Sheet ID: 12345",
        "2. 2:10 PM · 📍 Birdsfoot Golf Course · 🎟️ Tee Sheet ID: 12346",
        "3. 2:20 PM · 📍 Birdsfoot Golf Course · 🎟️ Tee Sheet ID: 12347",
        "Which one would you like me to book?",
    ]


@pytest.mark.parametrize(
    ("name", "args", "result", "status", "expected"),
    [
        (
            "golf_book_tee_time",
            {"course_name": BIRDSFOOT, "tee_sheet_id": 12345, "num_players": 2},
            TOOL_RESULT_BOOKED,
            "success",
            "✓ Booked! Confirmation #ABC123 — Sun, Nov 29 at 2:00 PM at Birdsfoot Golf Course. Total $90.00, "
            "$90.00 due at the course. See you on the course!",
        ),
        (
            "golf_search_tee_times",
            {"course_name": TOTTERIDGE},
            "⛳ Tee Time Search Results\n\nNo available tee times found for Sun Nov 29 2026\nTry adjusting your time range.",
            "success",
            "I couldn't find any available tee times at Totteridge on Sun Nov 29 2026.",
        ),
        (
            "golf_get_reservations",
            {"course_name": TOTTERIDGE},
            "⛳ Golf Reservations\n\nNo tee-times found.\n",
            "success",
            "You have no upcoming reservations at Totteridge.",
        ),
        (
            "get_weather",
            {"course_name": TOTTERIDGE, "days": 2},
            "🌤️ Weather Forecast\n\n📅 **Saturday**",
            "success",
            "Here's the forecast for Totteridge:",
        ),
        (
            "golf_book_tee_time",
            {"course_name": BIRDSFOOT, "tee_sheet_id": 1, "num_players": 1},
            "reservation conflict: you already have a reservation",
            "error",
            "Sorry, golf_book_tee_time failed: reservation conflict",
        ),
        (
            "send_notification",
            {"message": "hi"},
            "✅ Notification sent successfully: rez_agent Notification",
            "success",
            "Done — I sent the notification.",
        ),
    ],
)
def test_answer_after_tool_result(
    name: str, args: dict[str, Any], result: str, status: str, expected: str
) -> None:
    assert expected in after_tool(name, args, result, status)


# --------------------------------------------------------------------------- tools, schemas and "now"


def test_only_offered_tools_are_called() -> None:
    turn = reply("tee times at birdsfoot tomorrow afternoon for 2", tools=["get_weather"])
    assert not calls(turn) and "golf_search_tee_times tool is not available" in text(turn)


def test_arguments_follow_the_offered_schema() -> None:
    backend = IntentBackend()
    req = request("weather at totteridge tomorrow", tools=["get_weather"])
    req.toolConfig.tools[0].toolSpec.inputSchema.json_ = {  # type: ignore[union-attr]
        "type": "object",
        "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["location"],
    }
    turn = backend.converse("m", req)
    assert not calls(turn) and "requires location" in text(turn)
    req.toolConfig.tools[0].toolSpec.inputSchema.json_ = {
        "type": "object",
        "properties": {"days": {"type": "string"}},
    }  # type: ignore[union-attr]
    assert calls(backend.converse("m", req)) == [("get_weather", {"days": "2"})]


def test_missing_now_is_an_explicit_error_text() -> None:
    turn = reply("tee times at birdsfoot tomorrow afternoon for 2", system="You are a golf assistant.")
    assert text(turn) == NO_NOW and not calls(turn)


def test_unknown_requests_list_only_the_offered_capabilities() -> None:
    answer = text(reply("what is the meaning of life", tools=["get_weather", "send_notification"]))
    assert answer.startswith("Sorry, I didn't understand that.")
    assert "check the weather" in answer and "push notification" in answer and "tee times" not in answer
    assert "No tools are available" in text(reply("hello", tools=[]))


def test_answers_are_deterministic() -> None:
    a = reply("tee times at birdsfoot tomorrow afternoon for 3 players")
    b = reply("tee times at birdsfoot tomorrow afternoon for 3 players")
    assert a == b
    assert a.content[-1].toolUse is not None and a.content[-1].toolUse.toolUseId.startswith("tooluse_")
