"""The intent backend's answer after tool results: a short summary of what each tool returned.

Summaries of tee-time searches repeat every slot on one line with its tee sheet id, so a later
"book the second one" can be resolved from the assistant's own answer.

LIMITATIONS: summaries are keyed on the tool name and on the text formats of the original system
(ORIGINAL_SYSTEM §6.2, §11.5); unknown tools or formats are relayed verbatim.
"""

from __future__ import annotations

import re
from typing import Any

from ..wire import ConverseRequest, ToolResultBlock
from .intent_parse import DATE_LABEL, format_slot, parse_slots


def _failed(result: ToolResultBlock, text: str) -> bool:
    return result.status == "error" or bool(re.match(r"\s*(error|failed)\b", text, re.IGNORECASE))


def _booked(text: str) -> str:
    conf = re.search(r"Confirmation:\s*(\S+)", text)
    when = re.search(r"Date/Time:\s*(.+)", text)
    course = re.search(r"(?:Course:|Booked Successfully at)\s*(.+?)!?$", text, re.MULTILINE)
    total = re.search(r"Total:\s*\$([\d.]+)", text)
    due = re.search(r"Due at Course:\s*\$([\d.]+)", text)
    line = f"✓ Booked! Confirmation #{conf.group(1)}" if conf else "✓ Booked!"
    details = [p for p in (when and when.group(1).strip(), course and f"at {course.group(1).strip()}") if p]
    if details:
        line += " — " + " ".join(details)
    if total:
        line += f". Total ${total.group(1)}" + (f", ${due.group(1)} due at the course" if due else "")
    return line + ". See you on the course!"


def _search(text: str, args: dict[str, Any]) -> str:
    if "Booked Successfully" in text:
        return _booked(text)
    course = args.get("course_name") or "the course"
    day = DATE_LABEL.search(text)
    players = re.search(r"Players:\s*(\d)", text)
    n = players.group(1) if players else args.get("num_players")
    when = f" on {day.group(1)}" if day else ""
    who = f" for {n} player{'s' if str(n) != '1' else ''}" if n else ""
    slots = parse_slots(text)
    if not slots:
        return (
            f"I couldn't find any available tee times at {course}{when}{who}. "
            "Would you like me to try a different time or day?"
        )
    lines = [
        f"I found {len(slots)} available tee time{'s' if len(slots) > 1 else ''} at {course}{when}{who}:"
    ]
    lines += [format_slot(s) for s in slots]
    lines.append("Which one would you like me to book?")
    return "\n".join(lines)


def _reservations(text: str, args: dict[str, Any]) -> str:
    course = args.get("course_name") or "the course"
    if re.search(r"no tee-times found|no reservations", text, re.IGNORECASE):
        return f"You have no upcoming reservations at {course}."
    return f"Here are your upcoming reservations at {course}:\n{text.strip()}"


def summarize(name: str, args: dict[str, Any], result: ToolResultBlock) -> str:
    text = result.as_text().strip()
    if _failed(result, text):
        return f"Sorry, {name} failed: {text or 'no details were returned'}"
    if name == "golf_search_tee_times":
        return _search(text, args)
    if name == "golf_book_tee_time":
        return _booked(text)
    if name == "golf_get_reservations":
        return _reservations(text, args)
    if name == "get_weather":
        where = args.get("course_name") or args.get("grid") or "the course"
        return f"Here's the forecast for {where}:\n\n{text}"
    if name == "send_notification":
        return f"Done — I sent the notification. ({text})" if text else "Done — I sent the notification."
    if name == "list_schedules":
        return f"Here are your schedules:\n{text}" if text else "You have no schedules."
    if name == "create_schedule":
        return f"✓ Schedule created. {text}"
    if name == "delete_schedule":
        return f"✓ Schedule deleted. {text}"
    return f"{name} returned:\n{text}"


def answer_tool_results(request: ConverseRequest) -> str:
    """One answer covering every toolResult of the final message."""
    previous = request.messages[-2] if len(request.messages) >= 2 else None
    uses = {u.toolUseId: u for u in previous.tool_uses()} if previous else {}
    parts = []
    for result in request.last_tool_results():
        use = uses.get(result.toolUseId)
        name = use.name if use else "the tool"
        args = use.input if use and isinstance(use.input, dict) else {}
        parts.append(summarize(name, args, result))
    return "\n\n".join(parts)
