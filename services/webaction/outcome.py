"""What an action hands back to the executor."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionOutcome:
    """The notification texts an action produced, and the upstream status of its last call."""

    texts: list[str] = field(default_factory=list)
    response_code: int | None = None
    url: str = ""
