"""Notification texts of the golf action (ORIGINAL_SYSTEM §6.2.1–§6.2.3), with the fixes:
the reservations header names the course, the number of entries shown is ``maxResults``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.webaction.golf.models import Booking, Reservation, TeeTimeSlot

DEFAULT_SEARCH_RESULTS = 5
DEFAULT_RESERVATIONS = 10


def clock_time(moment: datetime) -> str:
    """``3:04 PM``"""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def long_date(moment: datetime) -> str:
    """``Mon, Jan 2 at 3:04 PM``"""
    return f"{moment:%a}, {moment:%b} {moment.day} at {clock_time(moment)}"


def search_date(moment: datetime) -> str:
    """``Sat Nov 15 2025`` — the date format of the TeeTimes query and of the texts."""
    return f"{moment:%a} {moment:%b} {moment.day} {moment.year}"


def format_search(slots: Sequence[TeeTimeSlot], date_text: str, players: int,
                  limit: int = DEFAULT_SEARCH_RESULTS) -> str:
    if not slots:
        return (f"⛳ Tee Time Search Results\n\nNo available tee times found for {date_text}"
                "\nTry adjusting your time range.")
    shown = list(slots)[:limit]
    blocks = []
    for number, slot in enumerate(shown, start=1):
        when = clock_time(slot.start) if slot.start else slot.start_raw
        lines = [f"{number}. {when}\n", f"   📍 {slot.course_name}\n"]
        if slot.holes is not None:
            lines.append(f"   ⛳ {slot.holes} holes available\n")
        lines.append(f"   🎟️ Tee Sheet ID: {slot.tee_sheet_id}\n")
        if slot.green_fee_18 is not None:
            lines.append(f"   💵 ${slot.green_fee_18.amount:.2f} - {slot.green_fee_18.description}\n")
        blocks.append("".join(lines))
    return (f"⛳ Available Tee Times\n\nDate: {date_text}\nPlayers: {players}\n\n" + "\n".join(blocks)
            + f"\n\nFound {len(shown)} available time(s)")


def format_reservations(reservations: Sequence[Reservation], course_name: str,
                        limit: int = DEFAULT_RESERVATIONS) -> str:
    if not reservations:
        return f"⛳ Golf Reservations at {course_name}\n\nNo tee-times found.\n"
    ordered = sorted(reservations, key=lambda r: (r.start is None, r.start or datetime.min))
    shown = ordered[:limit]
    blocks = []
    for reservation in shown:
        when = long_date(reservation.start) if reservation.start else reservation.start_raw or "unknown time"
        lines = [f"- {when}\n"]
        if reservation.players is not None:
            lines.append(f"\t{reservation.players} player(s)\n")
        if reservation.confirmation_key:
            lines.append(f"\tConfirmation: {reservation.confirmation_key}\n")
        blocks.append("".join(lines))
    footer = f"\n\n🏌️ Total: {len(ordered)} upcoming reservation(s)"
    if len(shown) < len(ordered):
        footer += f" (showing {len(shown)})"
    return f"⛳ Current Reservations at {course_name}\n\n" + "\n".join(blocks) + footer


def format_booking(booking: Booking, course_name: str) -> str:
    text = f"⛳ Tee Time Booked Successfully at {course_name}!\n\n"
    text += f"Confirmation: {booking.confirmation_key}\n"
    text += f"Reservation ID: {booking.reservation_id}\n\n"
    if booking.start is not None:
        text += f"Date/Time: {long_date(booking.start)}\n"
    text += f"Course: {booking.course_name or course_name}\n"
    if booking.holes is not None:
        text += f"Holes: {booking.holes}\n"
    text += f"Players: {booking.players}\n\n"
    if booking.total is not None:
        text += f"Total: ${booking.total:.2f}\n"
    if booking.due_at_course is not None:
        text += f"Due at Course: ${booking.due_at_course:.2f}\n"
    return text + "\nSee you on the course!"
