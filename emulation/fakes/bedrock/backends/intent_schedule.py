"""Turn "every day at 7am check the weather at Totteridge" into create_schedule arguments.

What the schedule does is chosen by keywords: weather → ``web_action`` weather payload;
reservations → ``web_action`` golf ``fetch_reservations``; tee times / booking → a ``scheduled``
agent event (``operation: agentEvent`` with the user's instruction as ``user_prompt``, as in
ORIGINAL_SYSTEM §13.6); remind / notify → ``notification`` with the message. Times are cron in
AWS syntax (``cron(0 7 * * ? *)``, ``cron(30 6 ? * MON-FRI *)``), ``rate(15 minutes)``, or
``at(2026-11-29T09:00:00)`` for a one-shot "remind me tomorrow at 9 ...".

LIMITATIONS: one action per schedule; payload shapes follow the original system's messages and
may need adjusting to the MCP server's create_schedule contract; the timezone is the one named
in the text (IANA name or "UTC") or the backend's default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from .intent_dates import label_time, parse_day, parse_times
from .intent_domain import find_course
from .intent_parse import COURSE_IDS, find_players, find_timezone, parse_recurrence

WEATHER_WORDS = r"\b(weather|forecast|rain|raining|temperature|wind|windy|snow|sunny|storm)\b"


@dataclass
class ScheduleDraft:
    args: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    summary: str = ""


def _slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(p for p in parts if p).lower()).strip("-")[:64]


def _strip_when(text: str) -> str:
    """The task part of an instruction, without its recurrence and time phrases."""
    t = re.sub(r"\b(every|each)\s+(\d+\s+)?\w+((\s*(,|and|&)\s*)\w+day)*s?\b", " ", text, flags=re.IGNORECASE)
    t = re.sub(
        r"\b(daily|hourly|weekly|on weekdays|on weekends|tomorrow|today)\b", " ", t, flags=re.IGNORECASE
    )
    t = re.sub(r"\b(at|around|by)\s+\d{1,2}(:\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?", " ", t, flags=re.IGNORECASE)
    return " ".join(t.split()).strip(" ,.")


def _reminder_text(text: str) -> str | None:
    m = re.search(
        r"\b(?:remind me|notify me|send me (?:an? )?(?:notification|reminder|message|push))"
        r"\s*(?:(?:to|that|about|of|saying)\b|:)?\s*(.+)",
        text,
        re.IGNORECASE,
    )
    task = _strip_when(m.group(1)) if m else ""
    task = re.sub(r"^(to|that|about|of)\s+", "", task, flags=re.IGNORECASE)
    return task or None


def draft_schedule(text: str, now: datetime, aliases: dict[str, str], default_tz: str) -> ScheduleDraft:
    """create_schedule arguments for ``text``; ``missing`` lists what must be asked first."""
    t = text.lower()
    draft = ScheduleDraft()
    recurrence = parse_recurrence(t, now.weekday())
    window = parse_times(t)
    course = find_course(t, aliases)
    tz = find_timezone(text) or default_tz

    if re.search(WEATHER_WORDS, t):
        action, what = "weather", f"Check the weather at {course}"
        payload = {
            "action": "weather",
            "operation": "get_weather",
            "course_name": course,
            "courseID": COURSE_IDS.get(course or ""),
            "days": 2,
        }
        target = "web_action"
    elif re.search(r"\b(reservations?|my bookings)\b", t):
        action, what = "reservations", f"Check my reservations at {course}"
        payload = {
            "action": "golf",
            "operation": "fetch_reservations",
            "course_name": course,
            "courseID": COURSE_IDS.get(course or ""),
        }
        target = "web_action"
    elif re.search(r"\b(tee ?times?|book|golf|round)\b", t):
        action, what = "tee-times", f"Tee-time task at {course}"
        payload = {
            "operation": "agentEvent",
            "course_name": course,
            "user_prompt": _strip_when(text),
            "num_players": find_players(t) or 1,
        }
        target = "scheduled"
    elif re.search(r"\b(remind|notify|notification|message|ping)\b", t):
        message = _reminder_text(text)
        action, what, course = "reminder", f"Reminder: {message}", None
        payload = {"message": message, "title": "Reminder"}
        target = "notification"
        if not message:
            draft.missing.append("what the reminder should say")
    else:
        draft.missing.append(
            "what the schedule should do (check the weather, check reservations, look for tee times, "
            "or send you a reminder)"
        )
        return draft
    if target != "notification" and course is None:
        draft.missing.append("the course (Birdsfoot Golf Course or Totteridge)")

    if recurrence is None:
        day, _, _ = parse_day(t, now.date())
        if window is None:
            draft.missing.append("the time it should run (e.g. 'at 7am')")
            return draft
        run_at = datetime.combine(day or now.date(), window[0])
        if run_at <= now and day is None:
            run_at = datetime.combine(now.date() + timedelta(days=1), window[0])
        expression, when = (
            f"at({run_at:%Y-%m-%dT%H:%M:%S})",
            f"once on {run_at:%a %b %d} at {label_time(window[0])}",
        )
        label = "once"
    elif recurrence.kind == "rate":
        expression, when, label = recurrence.expression(None, None), recurrence.label, recurrence.label
    else:
        if window is None:
            draft.missing.append("the time it should run (e.g. 'at 7am')")
            return draft
        at: time = window[0]
        expression = recurrence.expression(at.hour, at.minute)
        days = recurrence.days or "every day"
        when, label = f"{days} at {label_time(at)}", recurrence.label
    if draft.missing:
        return draft
    draft.args = {
        "name": _slug(label, action, course or ""),
        "schedule_expression": expression,
        "timezone": tz,
        "target_type": target,
        "payload": {k: v for k, v in payload.items() if v is not None},
        "description": f"{what} ({when}, {tz})",
    }
    draft.summary = f"{what}, {when} ({tz})"
    return draft
