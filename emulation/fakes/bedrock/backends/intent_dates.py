"""Relative dates and times for the intent backend, computed from a given "now" (never the clock).

Rules (all documented so tests and users can rely on them):

* "now" is the first ``YYYY-MM-DD HH:MM`` (or ``T``-separated) timestamp in the system prompt,
  preferring a line that mentions the current date/time. It is used as the user's local wall
  time; no timezone conversion is done.
* Days: ``today``/``tonight``/``this morning``; ``tomorrow``; ``day after tomorrow``; ``in N
  days``; ISO ``2026-12-05``; ``Dec 5``/``December 5th``/``5 Dec``; ``12/5`` (US month/day). A
  month-day already past this year means next year.
* Weekdays: ``saturday``/``this saturday`` = the first such day on or after today; ``next
  saturday`` = the first such day strictly after today. ``this weekend`` = the first Saturday
  on or after today (Sunday when today is Sunday); ``next weekend`` = that Saturday + 7 days.
* Times: ``at 2pm``, ``2:30 pm``, ``14:00``, ``noon``; a bare hour after at/around/about is
  7–11 → a.m., 12 → noon, 1–6 → p.m. A single time T searches the window [T, T+1h]. ``after T``
  → [T, 19:00]; ``before T`` → [06:00, T]. Ranges: ``between 8 and 11am``, ``from 1 to 3pm``,
  ``8-11am`` (a missing meridiem is copied from the other end, or made a.m. when that would put
  the start after the end).
* Day parts: early morning 06–09, morning 06–12, afternoon 12–17, evening/tonight 17–20. A day
  with no time is the whole playable day 06:00–19:00.

LIMITATIONS: English only; no "next week", "in two weeks", holidays, or timezone names in times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DAY_START, DAY_END = time(6, 0), time(19, 0)
DAY_PARTS = {
    "early morning": (time(6, 0), time(9, 0)),
    "morning": (time(6, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(20, 0)),
    "tonight": (time(17, 0), time(20, 0)),
}
WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tues": 1,
    "tue": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thurs": 3,
    "thur": 3,
    "thu": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_AMBIGUOUS_ABBR = {"sat", "sun", "wed"}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NOW_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})")
_WEEKDAY_RE = re.compile(
    r"\b(next|this|coming|on|for)?\s*(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\b"
)
_T = r"(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?"
_RANGE_RE = re.compile(r"\b(between|from)?\s*" + _T + r"\s*(?:-|–|to|and|until|till)\s*" + _T + r"(?![\d/:])")
_SINGLE_RE = re.compile(
    r"\b(at|around|about|after|before|by|@)?\s*"
    + _T
    + r"(?![\d/:\-]|\s*(?:players?|people|golfers|days?|of us)\b)"
)


@dataclass(frozen=True)
class When:
    """What a text says about a day and a time window; any part may be missing."""

    day: date | None = None
    start: time | None = None
    end: time | None = None
    weekend: bool = False
    span_days: int | None = None  # "next 3 days", "this week" (weather)

    def merged(self, later: When) -> When:
        """Combine with a later utterance: what the later one says wins, part by part."""
        has_time = later.start is not None
        return When(
            day=later.day or self.day,
            start=later.start if has_time else self.start,
            end=later.end if has_time else self.end,
            weekend=later.weekend or (self.weekend and later.day is None),
            span_days=later.span_days or self.span_days,
        )


def parse_now(system_text: str) -> datetime | None:
    """The current date/time stated in the system prompt, or None."""
    lines = system_text.splitlines()
    preferred = [ln for ln in lines if re.search(r"current|now|today", ln, re.IGNORECASE)]
    for line in preferred + lines:
        m = _NOW_RE.search(line)
        if m:
            try:
                return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}:{m.group(3)}")
            except ValueError:
                continue
    return None


def _hour(h: int, mer: str | None) -> int:
    if mer:
        pm = mer.startswith("p")
        return (h % 12) + (12 if pm else 0)
    return h


def _bare_hour(h: int) -> int:
    """Golf heuristic for an hour without am/pm: 7–11 morning, 12 noon, 1–6 afternoon."""
    if h >= 13 or h == 0:
        return h
    return h + 12 if 1 <= h <= 6 else h


def _mk(h: int, m: int) -> time | None:
    return time(h, m) if 0 <= h <= 23 and 0 <= m <= 59 else None


def parse_times(text: str) -> tuple[time, time] | None:
    """The time window a text asks for, or None."""
    t = re.sub(r"\b(noon|midday)\b", "12pm", text.lower())
    m = _RANGE_RE.search(t)
    if m and (m.group(1) or m.group(4) or m.group(7) or m.group(3) or m.group(6)):
        h1, m1, mer1, h2, m2, mer2 = (
            int(m.group(2)),
            int(m.group(3) or 0),
            m.group(4),
            int(m.group(5)),
            int(m.group(6) or 0),
            m.group(7),
        )
        if mer1 or mer2:
            end_h = _hour(h2, mer2 or mer1)
            start_h = _hour(h1, mer1 or mer2)
            if not mer1 and start_h > end_h:
                start_h = _hour(h1, "am")
        elif h1 > 12 or h2 > 12:
            start_h, end_h = h1, h2
        else:
            start_h, end_h = _bare_hour(h1), _bare_hour(h2)
        a, b = _mk(start_h, m1), _mk(end_h, m2)
        if a and b and a < b:
            return a, b
    for part in ("early morning", "morning", "afternoon", "evening", "tonight"):
        if re.search(rf"\b{part}\b", t):
            part_window = DAY_PARTS[part]
            break
    else:
        part_window = None
    for m in _SINGLE_RE.finditer(t):
        prep, h, mins, mer = m.group(1), int(m.group(2)), int(m.group(3) or 0), m.group(4)
        if not (prep or mer or m.group(3)):
            continue  # a bare number ("for 3") is not a time
        if prep == "by" and not (mer or m.group(3)):
            continue
        hh = _hour(h, mer) if mer else (h if m.group(3) and h > 12 else _bare_hour(h))
        if part_window and not mer and part_window[0].hour >= 12 and hh < 12:
            hh += 12
        at = _mk(hh, mins)
        if at is None:
            continue
        if prep in ("after",):
            return at, max(DAY_END, (datetime.combine(date.min, at) + timedelta(hours=1)).time())
        if prep in ("before", "by"):
            return min(DAY_START, at), at
        end = (datetime.combine(date.min, at) + timedelta(hours=1)).time()
        return at, end if end > at else time(23, 59)
    return part_window


def _weekday(target: int, today: date, strictly_after: bool) -> date:
    delta = (target - today.weekday()) % 7
    if strictly_after and delta == 0:
        delta = 7
    return today + timedelta(days=delta)


def _month_day(month: int, day: int, year: int | None, today: date) -> date | None:
    try:
        d = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and d < today:
        d = d.replace(year=d.year + 1)
    return d


def parse_day(text: str, today: date) -> tuple[date | None, bool, int | None]:
    """(day, is_weekend, span_days) described by a text relative to ``today``."""
    t = text.lower()
    span = None
    m = re.search(r"\bnext\s+(\d)\s+days\b", t)
    if m:
        span = int(m.group(1))
    elif re.search(r"\b(this|the|next)\s+week\b|\bweek ahead\b|\b7 days\b", t):
        span = 7
    if m := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", t):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False, span
        except ValueError:
            pass
    if m := re.search(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s*(\d{4}))?", t):
        d = _month_day(
            MONTHS[m.group(1)[:3]], int(m.group(2)), int(m.group(3)) if m.group(3) else None, today
        )
        if d:
            return d, False, span
    if m := re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s*(\d{4}))?", t):
        d = _month_day(
            MONTHS[m.group(2)[:3]], int(m.group(1)), int(m.group(3)) if m.group(3) else None, today
        )
        if d:
            return d, False, span
    if m := re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b", t):
        year = int(m.group(3)) if m.group(3) else None
        if year is not None and year < 100:
            year += 2000
        d = _month_day(int(m.group(1)), int(m.group(2)), year, today)
        if d:
            return d, False, span
    if re.search(r"\bday after tomorrow\b", t):
        return today + timedelta(days=2), False, span
    if re.search(r"\b(tomorrow|tmrw|tmr)\b", t):
        return today + timedelta(days=1), False, span
    if re.search(r"\b(today|tonight|this (early )?(morning|afternoon|evening))\b", t):
        return today, False, span
    if m := re.search(r"\bin (\d{1,2}|a|one|two|three) (day|days|week)\b", t):
        n = {"a": 1, "one": 1, "two": 2, "three": 3}.get(m.group(1)) or int(m.group(1))
        return today + timedelta(days=n * (7 if m.group(2) == "week" else 1)), False, span
    if m := re.search(r"\b(this|next|the|coming)?\s*weekend\b", t):
        sat = today if today.weekday() == 6 else _weekday(5, today, strictly_after=False)
        if m.group(1) == "next":
            sat = _weekday(5, today, strictly_after=False) + timedelta(days=7)
        return sat, True, span
    for m in _WEEKDAY_RE.finditer(t):
        word, qualifier = m.group(2), m.group(1)
        follows = t[m.end() :].lstrip()
        if (
            word in _AMBIGUOUS_ABBR
            and not qualifier
            and not re.match(r"(at|morning|afternoon|evening|\d)", follows)
        ):
            continue
        return _weekday(WEEKDAYS[word], today, strictly_after=qualifier == "next"), False, span
    return None, False, span


def parse_when(text: str, today: date) -> When:
    day, weekend, span = parse_day(text, today)
    window = parse_times(text)
    return When(
        day=day,
        start=window[0] if window else None,
        end=window[1] if window else None,
        weekend=weekend,
        span_days=span,
    )


def label_day(d: date) -> str:
    """``Sun Nov 29 2026`` — the golf API's searchDate format."""
    return f"{d:%a} {d:%b} {d.day} {d.year}"


def label_time(t: time) -> str:
    """``2:00 PM``."""
    return f"{(t.hour % 12) or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def iso(d: date, t: time) -> str:
    return f"{d.isoformat()}T{t:%H:%M}:00"
