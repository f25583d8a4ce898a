"""Upcoming reservations of the signed-in golfer (ORIGINAL_SYSTEM §6.2.1).

Fix: the ``referer`` and ``client-id`` are the course's own (the original sent Birdsfoot's for
every course).
"""

from __future__ import annotations

from services.core.errors import UpstreamError
from services.webaction.golf.models import Reservation
from services.webaction.golf.session import BROWSER_USER_AGENT, GolfSession

PAGE_SIZE = 14


def fetch_reservations(session: GolfSession) -> tuple[list[Reservation], int, str]:
    """The golfer's upcoming reservations; also the status code and the URL called."""
    url = (f"{session.url('fetch-reservations')}?golferId={session.claims.golfer_id}"
           f"&pageSize={PAGE_SIZE}&currentPage=1")
    headers = session.headers(referer=session.url("my-reservations-page"), **{"user-agent": BROWSER_USER_AGENT})
    body, status = session.call("GET", url, what="reservations request", headers=headers)
    if not isinstance(body, dict):
        raise UpstreamError("failed to parse reservations response: not an object")
    items = body.get("items") or []
    if not isinstance(items, list):
        raise UpstreamError("failed to parse reservations response: items is not a list")
    return [Reservation.from_json(item) for item in items], status, url
