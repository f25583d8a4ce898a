"""Golf action (ORIGINAL_SYSTEM §6.2): sign in, then search, book or list reservations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.core.errors import ValidationError
from services.core.web_action_payload import WebAction
from services.webaction.golf.book import book_tee_time
from services.webaction.golf.format import (
    DEFAULT_RESERVATIONS,
    DEFAULT_SEARCH_RESULTS,
    format_booking,
    format_reservations,
    format_search,
    search_date,
)
from services.webaction.golf.reservations import fetch_reservations
from services.webaction.golf.search import search_tee_times
from services.webaction.golf.session import GolfSession, TokenRejectedByCourse, open_session
from services.webaction.outcome import ActionOutcome

if TYPE_CHECKING:
    from services.webaction.deps import WebActionDeps


def golf_url(action: WebAction, deps: WebActionDeps) -> str:
    """The API URL an operation is about (recorded on the result row before anything is called)."""
    names = {"search_tee_times": "search-tee-times", "book_tee_time": "book-tee-time",
             "fetch_reservations": "fetch-reservations"}
    if action.payload.courseID is None or action.operation not in names:
        return ""
    return deps.courses.url(deps.courses.by_id(action.payload.courseID), names[action.operation])


def run_golf(action: WebAction, deps: WebActionDeps) -> ActionOutcome:
    session = open_session(action, deps)
    try:
        return run_operation(action, session, deps)
    except TokenRejectedByCourse as exc:
        if not (session.token_from_cache and exc.first_call):
            raise
    return run_operation(action, open_session(action, deps, fresh=True), deps)


def run_operation(action: WebAction, session: GolfSession, deps: WebActionDeps) -> ActionOutcome:
    payload = action.payload
    course_name = session.course.name
    if action.operation == "fetch_reservations":
        reservations, status, url = fetch_reservations(session)
        text = format_reservations(reservations, course_name, payload.maxResults or DEFAULT_RESERVATIONS)
        return ActionOutcome([text], status, url)
    if action.operation == "book_tee_time":
        booking, status, url = book_tee_time(session, payload.teeSheetID or 0, payload.numberOfPlayers,
                                             golfer_id=payload.golferId, pause=deps.booking_pause,
                                             sleep=deps.sleep)
        return ActionOutcome([format_booking(booking, course_name)], status, url)
    if action.operation == "search_tee_times":
        start, end = payload.start_time(), payload.end_time()
        assert start is not None  # parse_web_action requires it for a search
        slots, status, url = search_tee_times(session, start, end, payload.numberOfPlayers)
        if payload.autoBook and slots:
            booking, status, url = book_tee_time(session, slots[0].tee_sheet_id, payload.numberOfPlayers,
                                                 golfer_id=payload.golferId, pause=deps.booking_pause,
                                                 sleep=deps.sleep)
            return ActionOutcome([format_booking(booking, course_name)], status, url)
        text = format_search(slots, search_date(start), payload.numberOfPlayers,
                             payload.maxResults or DEFAULT_SEARCH_RESULTS)
        return ActionOutcome([text], status, url)
    raise ValidationError.for_field("arguments.operation", f"unknown operation: {action.operation}")
