"""Intent backend: a deterministic, offline "model" good enough to chat with about golf.

It reads the whole Converse request (system prompt, history, offered tools) and answers like a
tool-using assistant:

* After tool results it summarises them (``intent_reply``), e.g. lists the tee times found with
  their tee sheet ids, or "✓ Booked! Confirmation #...".
* Otherwise it classifies the last user message by keywords and emits a ``toolUse`` for one of
  the tools actually offered in toolConfig, with arguments fitted to that tool's input schema
  (unknown properties dropped, types coerced, schema defaults used). A needed tool that is not
  offered, or a required property it cannot fill, is said so in plain text.
* Missing details (course, day/time, players; weather course; notification text; schedule id)
  are asked for; the answers are merged with the original request on the next turn.
* Booking a slot from earlier results ("book the 2:00pm slot", "the second one") first asks
  "Shall I book ... (Tee Sheet ID: N) for K players? (yes/no)"; only "yes" calls
  golf_book_tee_time.
* "Now" comes from the system prompt (``Current date and time: 2026-11-28 14:03:00 UTC``); when
  it is absent, requests that need dates get an explicit error text. The wall clock is never read.

LIMITATIONS: keyword rules, English only, one intent per message (no "search and then notify
me"), at most one course per search, no memory beyond the request (state lives in the
conversation, like a real model). Date rules: ``intent_dates``; schedule rules: ``intent_schedule``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ..wire import ConverseRequest, ModelTurn, ToolUseBlock
from .base import stable_tool_use_id
from .intent_booking import booking_question, refers_to_slot
from .intent_dates import DAY_END, DAY_START, When, iso, label_day, label_time, parse_now, parse_when
from .intent_domain import (
    find_course,
    find_grid,
    forecast_days,
    max_players,
    out_of_scope,
    refusal,
    schedule_statuses,
    wants_auto_book,
)
from .intent_parse import (
    DEFAULT_COURSES,
    extract_notification,
    find_players,
    find_schedule_id,
    is_no,
    is_yes,
    parse_recurrence,
)
from .intent_reply import answer_tool_results
from .intent_schedule import WEATHER_WORDS, draft_schedule
from .intent_tools import (
    ASK_DELETE,
    ASK_NOTIFY,
    ASK_SCHEDULE,
    ASK_SEARCH,
    ASK_WEATHER,
    BOOK_QUESTION,
    NO_NOW,
    QUESTIONS,
    capabilities,
    fit_arguments,
)


class IntentBackend:
    """See module docstring."""

    name = "intent"

    def __init__(self, courses: dict[str, str] | None = None, timezone: str = "America/New_York") -> None:
        self.aliases = {k.lower(): v for k, v in (courses or DEFAULT_COURSES).items()}
        self.timezone = timezone

    def reset(self) -> None:
        """Stateless: everything is read from the request."""

    def describe(self) -> dict[str, Any]:
        return {"ok": True, "courses": sorted(set(self.aliases.values())), "timezone": self.timezone}

    def converse(self, model_id: str, request: ConverseRequest) -> ModelTurn:
        if request.last_tool_results():
            return ModelTurn.text(answer_tool_results(request))
        return _Turn(self, request).respond()


class _Turn:
    def __init__(self, backend: IntentBackend, request: ConverseRequest) -> None:
        self.b, self.req = backend, request
        msgs = request.messages
        self.text = msgs[-1].text().strip() if msgs[-1].role == "user" else ""
        self.asked = msgs[-2].text() if len(msgs) >= 2 and msgs[-2].role == "assistant" else ""
        self.now: datetime | None = parse_now(request.system_text())
        self.courses = list(dict.fromkeys(backend.aliases.values()))

    # -- plumbing
    def say(self, text: str) -> ModelTurn:
        return ModelTurn.text(text)

    def call(self, calls: list[tuple[str, dict[str, Any]]], preface: str | None = None) -> ModelTurn:
        blocks = []
        for k, (name, args) in enumerate(calls):
            spec = self.req.tool_spec(name)
            if spec is None:
                return self.say(f"I can't do that here: the {name} tool is not available in this session.")
            fitted, missing = fit_arguments(spec, args)
            if missing:
                return self.say(
                    f"I can't call {name}: it requires {', '.join(missing)}, which I can't fill in."
                )
            use_id = stable_tool_use_id(len(self.req.messages), k, name, fitted)
            blocks.append(ToolUseBlock(toolUseId=use_id, name=name, input=fitted))
        return ModelTurn.tool_calls(blocks, text=preface)

    def capabilities(self, lead: str) -> ModelTurn:
        offered = {s.name for s in self.req.tool_specs()}
        lines = [f"• {desc}" for name, desc in capabilities(self.courses) if name in offered]
        if not lines:
            return self.say(lead + " No tools are available in this session, so I can only chat.")
        return self.say(lead + " I can:\n" + "\n".join(lines))

    def episode(self, intent: str) -> list[str]:
        """The user texts of the current request: earlier answers to my questions for ``intent``."""
        msgs, texts, i = self.req.messages, [self.text], len(self.req.messages) - 1
        while i >= 2 and msgs[i - 1].role == "assistant" and msgs[i - 2].text():
            asked = msgs[i - 1].text()
            if not any(asked.startswith(q) and QUESTIONS[q] == intent for q in QUESTIONS):
                break
            texts.insert(0, msgs[i - 2].text())
            i -= 2
        return texts

    # -- dispatch
    def classify(self, t: str) -> tuple[str | None, bool]:
        t = t.lower()
        if re.search(r"\b(delete|remove|cancel|stop|drop)\b.*\bschedules?\b", t) or (
            re.search(r"\b(delete|remove)\b", t) and find_schedule_id(t)
        ):
            return "delete_schedule", True
        if re.search(r"\bschedules\b|\b(list|show|see|view)\b.*\bschedule", t) and not parse_recurrence(t):
            return "list_schedules", True
        if parse_recurrence(t) or (re.search(r"\bremind me\b", t) and re.search(r"\d|tomorrow|tonight", t)):
            return "create_schedule", True
        if re.search(r"\b(notify|notification|alert me|ping me|push)\b", t):
            return "notify", True
        if re.search(r"\b(reservations?|bookings|booked|upcoming)\b", t):
            return "reservations", True
        if refers_to_slot(self.req, t, self.asked, self.now.date() if self.now else None):
            return "book", True
        if re.search(WEATHER_WORDS, t):
            return "weather", True
        if re.search(
            r"\b(tee ?times?|golf|play|round|slots?|search|find|availab\w*|book|reserve|\w+some)\b", t
        ):
            return "search", True
        if find_course(t, self.b.aliases) or find_players(t) or parse_when(t, datetime.min.date()) != When():
            return "search", False
        if re.search(r"^(hi|hello|hey|good (morning|afternoon|evening))\b", t):
            return "greet", False
        if re.search(r"\b(thanks|thank you|cheers)\b", t):
            return "thanks", False
        return None, False

    def respond(self) -> ModelTurn:
        pending = BOOK_QUESTION.search(self.asked)
        if pending and is_yes(self.text):
            return self.book(pending)
        if pending and is_no(self.text):
            return self.say("OK, I won't book it. Let me know if you'd like a different time.")
        asked_intent = next((i for q, i in QUESTIONS.items() if self.asked.startswith(q)), None)
        if asked_intent and is_no(self.text):
            return self.say("OK, never mind. What else can I do for you?")
        if out_of_scope(self.text):
            return self.say(refusal())
        intent, strong = self.classify(self.text)
        if asked_intent in ("notify", "delete_schedule") or (
            asked_intent and (not strong or intent == asked_intent)
        ):
            intent = asked_intent
        handler = {
            "search": self.search,
            "book": self.ask_booking,
            "reservations": self.reservations,
            "weather": self.weather,
            "notify": self.notify,
            "list_schedules": self.list_schedules,
            "create_schedule": self.create_schedule,
            "delete_schedule": self.delete_schedule,
        }.get(intent or "")
        if handler:
            return handler()
        if intent == "greet":
            return self.capabilities("Hi! I'm your golf assistant.")
        if intent == "thanks":
            return self.say("You're welcome! Anything else I can do?")
        return self.capabilities("Sorry, I didn't understand that.")

    # -- golf
    def search(self) -> ModelTurn:
        texts = self.episode("search")
        course = next((c for c in map(lambda x: find_course(x, self.b.aliases), reversed(texts)) if c), None)
        players = next((p for p in map(find_players, reversed(texts)) if p), None)
        bare = re.fullmatch(
            r"\s*(?:just |only )?(\d|one|two|three|four)\s*(?:players?|of us)?\W*", self.text.lower()
        )
        if bare and self.asked.startswith(ASK_SEARCH) and "players" in self.asked:
            players = find_players(f"for {bare.group(1)}")
        when = When()
        if self.now is None:
            if any(parse_when(x, datetime.min.date()) != When() for x in texts):
                return self.say(NO_NOW)
        else:
            for x in texts:
                when = when.merged(parse_when(x, self.now.date()))
        missing = []
        if course is None:
            missing.append(f"the course ({' or '.join(self.courses)})")
        if when.day is None and when.start is None:
            missing.append("the day and time (e.g. 'tomorrow afternoon' or 'Saturday at 9')")
        top = max_players()
        if players is None:
            missing.append(f"the number of players (1-{top})")
        elif players > top:
            missing.append(f"a number of players between 1 and {top} (a tee time holds at most {top})")
        if missing:
            return self.say(
                f"{ASK_SEARCH} {', '.join(missing[:-1])}{' and ' if len(missing) > 1 else ''}{missing[-1]}."
            )
        assert self.now is not None
        start, end = (when.start, when.end) if when.start else (DAY_START, DAY_END)
        day = when.day or (self.now.date() + timedelta(days=0 if end > self.now.time() else 1))
        if datetime.combine(day, end) <= self.now:
            return self.say(
                f"{ASK_SEARCH} a day and time in the future — it is now {label_day(self.now.date())} "
                f"{label_time(self.now.time())}."
            )
        args = {
            "course_name": course,
            "start_time": iso(day, start),
            "end_time": iso(day, end),
            "num_players": players,
            "auto_book": True if any(wants_auto_book(x) for x in texts) else None,
        }
        preface = (
            f"Let me look for tee times at {course} on {label_day(day)} between {label_time(start)} "
            f"and {label_time(end)} for {players} player{'s' if players > 1 else ''}."
        )
        return self.call([("golf_search_tee_times", args)], preface)

    def ask_booking(self) -> ModelTurn:
        return self.say(booking_question(self.req, self.text, self.b.aliases))

    def book(self, q: re.Match[str]) -> ModelTurn:
        args = {"course_name": q["course"], "tee_sheet_id": int(q["id"]), "num_players": int(q["n"])}
        return self.call(
            [("golf_book_tee_time", args)], f"Booking the {q['time']} tee time at {q['course']}."
        )

    def reservations(self) -> ModelTurn:
        course = find_course(self.text, self.b.aliases)
        courses = [course] if course else self.courses
        return self.call(
            [("golf_get_reservations", {"course_name": c}) for c in courses],
            f"Let me check your reservations at {' and '.join(courses)}.",
        )

    def weather(self) -> ModelTurn:
        texts = self.episode("weather")
        course = next((c for c in (find_course(x, self.b.aliases) for x in reversed(texts)) if c), None)
        grid = None if course else find_grid(" ".join(texts))
        if course is None and grid is None:
            return self.say(f"{ASK_WEATHER} the course: {' or '.join(self.courses)}?")
        low, high, days = forecast_days()
        joined = " ".join(texts)
        if self.now is not None:
            when = parse_when(joined, self.now.date())
            if when.span_days:
                days = when.span_days
            elif when.day:
                last = when.day.toordinal() + (1 if when.weekend and when.day.weekday() == 5 else 0)
                days = last - self.now.date().toordinal() + 1
        elif parse_when(joined, datetime.min.date()).day is not None:
            return self.say(NO_NOW)
        days = max(low, min(high, days))
        return self.call(
            [("get_weather", {"course_name": course, "grid": grid, "days": days})],
            f"Let me get the {days}-day forecast for {course or grid}.",
        )

    # -- notifications and schedules
    def notify(self) -> ModelTurn:
        if self.asked.startswith(ASK_NOTIFY):
            message, title, priority = self.text, None, None
        else:
            message, title, priority = extract_notification(self.text)
        if not message:
            return self.say(ASK_NOTIFY)
        args = {"message": message, "title": title, "priority": priority}
        return self.call([("send_notification", args)], "Sending the notification.")

    def list_schedules(self) -> ModelTurn:
        status = re.search(rf"\b({'|'.join(schedule_statuses())})\b", self.text.lower())
        return self.call(
            [("list_schedules", {"status": status.group(1) if status else None})],
            "Let me list your schedules.",
        )

    def delete_schedule(self) -> ModelTurn:
        sid = find_schedule_id(self.text)
        if sid is None and self.asked.startswith(ASK_DELETE) and re.fullmatch(r"[\w-]+", self.text):
            sid = self.text
        if sid is None:
            return self.say(f"{ASK_DELETE} Please give me its id (say 'list my schedules' to see them).")
        return self.call([("delete_schedule", {"schedule_id": sid})], f"Deleting schedule {sid}.")

    def create_schedule(self) -> ModelTurn:
        if self.now is None:
            return self.say(NO_NOW)
        draft = draft_schedule(
            " ".join(self.episode("create_schedule")), self.now, self.b.aliases, self.b.timezone
        )
        if draft.missing:
            return self.say(f"{ASK_SCHEDULE} {' and '.join(draft.missing)}.")
        return self.call([("create_schedule", draft.args)], f"Creating the schedule: {draft.summary}.")
