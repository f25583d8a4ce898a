"""Search tee times (ORIGINAL_SYSTEM §6.2.2).

The query string is sent in the documented order. Slots outside the window
(``startSearchTime`` ≤ start ≤ ``endSearchTime``, both inclusive, course-local) or whose time
cannot be read are left out; the rest are sorted by time, so the list shows the earliest first and
``autoBook`` books the earliest matching slot (fix: the original took the first in API order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.core.errors import UpstreamError
from services.webaction.golf.format import search_date
from services.webaction.golf.models import TeeTimeSlot
from services.webaction.golf.session import BROWSER_USER_AGENT, COURSE_TIMEZONE, GolfSession, timezone_offset


def tee_times_url(base: str, day: datetime, players: int, course_id: int) -> str:
    query = (f"searchDate={quote(search_date(day))}&holes=0&numberOfPlayer={players}&courseIds={course_id}"
             "&searchTimeType=0&teeSheetSearchView=5&classCode=R&defaultOnlineRate=N"
             "&isUseCapacityPricing=false&memberStoreId=1&searchType=1")
    return f"{base}?{query}"


def search_tee_times(session: GolfSession, start: datetime, end: datetime | None,
                     players: int) -> tuple[list[TeeTimeSlot], int, str]:
    """Matching slots, earliest first; also the status code and the URL called."""
    url = tee_times_url(session.url("search-tee-times"), start, players, session.course.id)
    headers = session.headers(**{"user-agent": BROWSER_USER_AGENT, "x-timezone-offset": timezone_offset(),
                                 "x-timezoneid": str(COURSE_TIMEZONE)})
    body, status = session.call("GET", url, what="tee time search", headers=headers)
    return in_window(parse_slots(body), start, end), status, url


def parse_slots(body: Any) -> list[TeeTimeSlot]:
    if isinstance(body, list):
        return [TeeTimeSlot.from_json(item) for item in body]
    if "NO_TEETIMES" in (body if isinstance(body, str) else str(body)):
        return []
    raise UpstreamError("failed to parse tee times response: not a list of tee times")


def in_window(slots: list[TeeTimeSlot], start: datetime, end: datetime | None) -> list[TeeTimeSlot]:
    kept = [s for s in slots if s.start is not None and s.start >= start and (end is None or s.start <= end)]
    return sorted(kept, key=lambda s: (s.start, s.tee_sheet_id))
