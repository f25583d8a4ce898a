"""Pieces of meaning the intent backend pulls out of text: courses, players, slot references,
tee-time lists, yes/no, notification text and schedule recurrences.

Tee-time lists are read from the golf search output (``1. 2:00 PM`` then ``📍 <course>``,
``🎟️ Tee Sheet ID: <id>``, ``💵 $<price>`` lines, ORIGINAL_SYSTEM §6.2.2) and from the
backend's own one-line summaries (``1. 2:00 PM · 📍 Totteridge · 🎟️ Tee Sheet ID: 12345``),
so a booking works even when the agent did not keep the tool messages in its history.

LIMITATIONS: English keyword rules, not language understanding; one course per request; player
counts above 4 are reported, not split into several bookings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .intent_dates import WEEKDAYS, parse_times
from .intent_domain import course_aliases, course_ids

# derived from services/core/courses.json, not copied (intent_domain)
DEFAULT_COURSES: dict[str, str] = course_aliases()
COURSE_IDS: dict[str, int] = course_ids()
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a": 1, "single": 1}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "earliest": 1,
}


def find_players(text: str) -> int | None:
    t = text.lower()
    for word, n in (("foursome", 4), ("threesome", 3), ("twosome", 2), ("pair", 2), ("couple", 2)):
        if re.search(rf"\b{word}\b", t):
            return n
    if re.search(r"\b(just me|only me|myself|solo|by myself|single player|just one)\b", t):
        return 1
    if re.search(r"\b(me and (a|my) (friend|buddy|wife|husband|son|daughter|partner))\b", t):
        return 2
    num = r"(\d{1,2}|one|two|three|four|five|six)"
    for pattern in (
        rf"\b{num}\s*(?:players?|people|persons?|golfers|guys|of us)\b",
        rf"\bparty of {num}\b",
        rf"\bgroup of {num}\b",
        rf"\bfor {num}\b(?!\s*(?::|am|pm|a\.m|p\.m|o'clock|days?|hours?|minutes?))",
    ):
        if m := re.search(pattern, t):
            g = m.group(1)
            return int(g) if g.isdigit() else _NUMBER_WORDS[g]
    return None


def is_yes(text: str) -> bool:
    t = text.lower().strip(" .!")
    return bool(
        re.match(
            r"^(y|yes|yeah|yep|yup|sure|ok|okay|confirm(ed)?|correct|please( do)?|do it|go ahead|book it"
            r"|sounds good|absolutely|affirmative)\b",
            t,
        )
    )


def is_no(text: str) -> bool:
    t = text.lower().strip(" .!")
    return bool(re.match(r"^(n|no|nope|nah|cancel|don'?t|do not|stop|never ?mind|not now)\b", t))


# --------------------------------------------------------------------------- tee-time lists


@dataclass(frozen=True)
class Slot:
    index: int
    time_label: str  # "2:00 PM"
    tee_sheet_id: int | None
    course: str | None
    price: str | None


_SLOT_LINE = re.compile(r"^\s*(\d{1,2})\.\s+(\d{1,2}:\d{2}\s*[AP]M)\b", re.MULTILINE | re.IGNORECASE)
DATE_LABEL = re.compile(r"\b((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2} \d{4})\b")


def parse_slots(text: str) -> list[Slot]:
    marks = list(_SLOT_LINE.finditer(text))
    slots = []
    for i, m in enumerate(marks):
        chunk = text[m.start() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        sheet = re.search(r"Tee Sheet ID:\s*(\d+)", chunk)
        course = re.search(r"📍\s*([^·\n]+)", chunk)
        price = re.search(r"\$(\d+(?:\.\d{2})?)", chunk)
        slots.append(
            Slot(
                index=int(m.group(1)),
                time_label=" ".join(m.group(2).upper().split()),
                tee_sheet_id=int(sheet.group(1)) if sheet else None,
                course=course.group(1).strip() if course else None,
                price=price.group(1) if price else None,
            )
        )
    return slots


def format_slot(slot: Slot) -> str:
    parts = [f"{slot.index}. {slot.time_label}"]
    if slot.course:
        parts.append(f"📍 {slot.course}")
    if slot.price:
        parts.append(f"💵 ${slot.price}")
    if slot.tee_sheet_id is not None:
        parts.append(f"🎟️ Tee Sheet ID: {slot.tee_sheet_id}")
    return " · ".join(parts)


def _slot_minutes(label: str) -> int:
    h, rest = label.split(":")
    m, mer = int(rest[:2]), rest[-2:].upper()
    return ((int(h) % 12) + (12 if mer == "PM" else 0)) * 60 + m


def pick_slot(text: str, slots: list[Slot]) -> Slot | None:
    """The slot a user refers to: tee sheet id, ordinal, 'last', a time, or the only one."""
    t = text.lower()
    if m := re.search(r"(?:tee ?sheet(?: id)?|id|#)\s*:?\s*(\d{3,})", t):
        return next((s for s in slots if s.tee_sheet_id == int(m.group(1))), None)
    if m := re.search(r"\b(?:number|no\.?|option|#)\s*(\d)\b", t):
        return next((s for s in slots if s.index == int(m.group(1))), None)
    for word, n in _ORDINALS.items():
        if re.search(rf"\b{word}\b", t):
            return next((s for s in slots if s.index == n), None)
    if re.search(r"\b(last|latest)\b", t) and slots:
        return slots[-1]
    window = parse_times(t)
    if window:
        wanted = window[0].hour * 60 + window[0].minute
        exact = [s for s in slots if _slot_minutes(s.time_label) == wanted]
        if exact:
            return exact[0]
        loose = [s for s in slots if _slot_minutes(s.time_label) % 720 == wanted % 720]
        return loose[0] if loose else None
    if len(slots) == 1 and re.search(r"\b(it|that|this|the one|that one|the slot)\b", t):
        return slots[0]
    return None


# --------------------------------------------------------------------------- notifications

PRIORITIES = (
    ("urgent", "urgent"),
    ("emergency", "urgent"),
    ("high priority", "high"),
    ("important", "high"),
    ("low priority", "low"),
    ("min priority", "min"),
)
_NOTIFY_LEAD = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+)?(?:send\s+(?:me\s+)?(?:an?\s+)?(?:(?:urgent|important|high priority|low priority|push)\s+)*"
    r"(?:notification|notice|alert|push|message)|notify me|alert me|ping me|push)\s*"
    r"(?:that says|saying|that|with (?:the )?(?:message|text)|to say|to|about|of|:|-)?\s*",
    re.IGNORECASE,
)


def extract_notification(text: str) -> tuple[str | None, str | None, str | None]:
    """(message, title, priority) of a 'notify me ...' request."""
    t = text.lower()
    priority = next((p for word, p in PRIORITIES if word in t), None)
    title = None
    if m := re.search(
        r"\b(?:titled|with (?:the )?title|title)\s+[\"“']([^\"”']+)[\"”']", text, re.IGNORECASE
    ):
        title = m.group(1).strip()
        text = (text[: m.start()] + text[m.end() :]).strip()
    quoted = re.search(r"[\"“']([^\"”']{2,})[\"”']", text)
    if quoted:
        message = quoted.group(1).strip()
    else:
        message = _NOTIFY_LEAD.sub("", text, count=1).strip(" .:")
        for word, _ in PRIORITIES:
            message = re.sub(
                rf"^\s*(?:an?\s+)?{word}\s*(?:notification|message)?\s*(?:saying|that|:)?\s*",
                "",
                message,
                flags=re.IGNORECASE,
            )
    return (message or None), title, priority


# --------------------------------------------------------------------------- schedules

_CRON_DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


@dataclass(frozen=True)
class Recurrence:
    kind: str  # "cron" | "rate"
    days: str | None = None  # cron day-of-week field, None = every day
    rate: str | None = None  # "15 minutes"
    label: str = ""

    def expression(self, hour: int | None, minute: int | None) -> str:
        if self.kind == "rate":
            return f"rate({self.rate})"
        if self.days:
            return f"cron({minute} {hour} ? * {self.days} *)"
        return f"cron({minute} {hour} * * ? *)"


def _weekday_list(t: str) -> list[int]:
    """Weekdays listed after every/each/on ("every monday and thursday", "on saturdays")."""
    found: list[int] = []
    for m in re.finditer(r"\b(every|each|on)\s+", t):
        plural_needed = m.group(1) == "on"
        for tok in re.findall(r"[a-z]+|,|&", t[m.end() :]):
            if tok in {"and", "or", ",", "&"}:
                continue
            word = tok[:-1] if tok.endswith("s") and tok[:-1] in WEEKDAYS else tok
            if word not in WEEKDAYS or len(word) < 3 or (plural_needed and word == tok):
                break
            found.append(WEEKDAYS[word])
    return found


def parse_recurrence(text: str, today_weekday: int | None = None) -> Recurrence | None:
    t = text.lower()
    if m := re.search(r"\bevery\s+(\d+)\s+(minute|hour|day)s?\b", t):
        n, unit = int(m.group(1)), m.group(2)
        return Recurrence("rate", rate=f"{n} {unit}{'s' if n != 1 else ''}", label=f"every {n} {unit}s")
    if re.search(r"\b(every hour|hourly)\b", t):
        return Recurrence("rate", rate="1 hour", label="hourly")
    if re.search(r"\b(every\s+)?weekdays?\b|\bmonday (to|through|-) friday\b|\bmon-fri\b", t):
        return Recurrence("cron", days="MON-FRI", label="weekdays")
    if re.search(r"\b(every\s+)?weekends?\b", t) and re.search(r"\bevery\b|\bweekends\b", t):
        return Recurrence("cron", days="SAT,SUN", label="weekends")
    named = _weekday_list(t)
    if named:
        days = sorted(set(named))
        return Recurrence("cron", days=",".join(_CRON_DAYS[d] for d in days), label="weekly")
    if re.search(r"\b(every|each)\s+(day|morning|evening|night|afternoon)\b|\bdaily\b", t):
        return Recurrence("cron", label="daily")
    if re.search(r"\b(every|each)\s+week\b|\bweekly\b", t) and today_weekday is not None:
        return Recurrence("cron", days=_CRON_DAYS[today_weekday], label="weekly")
    return None


def find_schedule_id(text: str) -> str | None:
    if m := re.search(r"\b(sched[_-][A-Za-z0-9_-]+)\b", text):
        return m.group(1)
    if m := re.search(r"\bschedule\s+(?:id\s+)?[\"'`]?([A-Za-z0-9_-]*\d[A-Za-z0-9_-]*)", text, re.IGNORECASE):
        return m.group(1)
    return None


def find_timezone(text: str) -> str | None:
    if m := re.search(r"\b((?:America|Europe|Asia|Africa|Australia|Pacific|Atlantic)/[A-Za-z_]+)\b", text):
        return m.group(1)
    if re.search(r"\butc\b", text, re.IGNORECASE):
        return "UTC"
    return None
