"""Booking a tee time from earlier search results, with a confirmation step.

The list is found in the history (a golf_search_tee_times tool result, or the backend's own
summary of one); the user's pick ("the second one", "the 2:00pm slot", "tee sheet 12345") is
resolved against it; the answer is a yes/no question that embeds every booking argument, so
that "yes" on the next request can be turned into golf_book_tee_time from the text alone.

LIMITATIONS: only the most recent list is considered; players default to the search's count.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..wire import ConverseRequest
from .intent_dates import label_day, parse_when
from .intent_domain import find_course
from .intent_parse import DATE_LABEL, Slot, find_players, parse_slots, pick_slot

OFFERED = re.compile(r"like me to book\?|Which tee time would you like\?")


def slot_source(request: ConverseRequest) -> tuple[str, list[Slot]]:
    """The most recent tee-time list before the last message: (its text, its slots)."""
    for m in reversed(request.messages[:-1]):
        for text in [r.as_text() for r in m.tool_results()] + [m.text()]:
            slots = parse_slots(text)
            if slots:
                return text, slots
    return "", []


def refers_to_slot(request: ConverseRequest, text: str, asked: str, today: date | None) -> bool:
    """A booking verb with a list in the history, or a slot named right after a list was offered.

    A day other than the listed one means a new search, not a booking.
    """
    source, slots = slot_source(request)
    if not slots:
        return False
    if today is not None:
        day = parse_when(text, today).day
        listed = DATE_LABEL.search(source)
        if day is not None and listed and label_day(day) != listed.group(1):
            return False
    if re.search(r"\b(book|reserve|take|grab)\b", text, re.IGNORECASE):
        return True
    return bool(OFFERED.search(asked)) and pick_slot(text, slots) is not None


def _search_args(request: ConverseRequest) -> dict[str, Any]:
    for m in reversed(request.messages):
        for use in reversed(m.tool_uses()):
            if use.name == "golf_search_tee_times" and isinstance(use.input, dict):
                return use.input
    return {}


def booking_question(request: ConverseRequest, text: str, aliases: dict[str, str]) -> str:
    """The confirmation question for the slot the user picked, or a question about which one."""
    source, slots = slot_source(request)
    slot = pick_slot(text, slots)
    if slot is None or slot.tee_sheet_id is None:
        listing = ", ".join(f"{s.index}. {s.time_label}" for s in slots)
        return f"Which tee time would you like? Say e.g. 'the second one' or 'the 2:00 PM slot'. Options: {listing}."
    ctx = _search_args(request)
    course = find_course(slot.course or "", aliases) or ctx.get("course_name") or slot.course
    course = course or find_course(source, aliases)
    listed = re.search(r"Players:\s*(\d)|\bfor (\d) players?\b", source)
    players = (
        find_players(text)
        or ctx.get("num_players")
        or (listed and int(listed.group(1) or listed.group(2)))
        or 1
    )
    day = DATE_LABEL.search(source)
    on = f" on {day.group(1)}" if day else ""
    plural = "s" if int(players) > 1 else ""
    return f"Shall I book the {slot.time_label} tee time{on} at {course} (Tee Sheet ID: {slot.tee_sheet_id}) for {players} player{plural}? (yes/no)"
