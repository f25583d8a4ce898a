"""The one clock the application reads.

On AWS this is the system clock. A runtime that controls time (the local platform freezes and
advances it so a "daily at noon" test takes milliseconds) installs its own source with
``set_source``; application code only ever calls ``now()`` and never branches on who set it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _source()


def set_source(source: Callable[[], datetime] | None) -> None:
    """Install a time source (``None`` restores the system clock). Called by runtimes, not handlers."""
    global _source
    _source = source or _system_now


def iso(moment: datetime) -> str:
    """The one timestamp format stored and returned: RFC 3339, UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
