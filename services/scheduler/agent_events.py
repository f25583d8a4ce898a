"""Scheduled agent events (ORIGINAL_SYSTEM §13.6).

A ``scheduled`` message with ``arguments.operation == "agentEvent"`` asks the agent to act on a
prompt (e.g. book a tee time when the weather is good): the agent runs unattended on the stored
prompt, with the user's reservations and the weather, and the outcome is sent as a notification
(``services.agent.scheduled``). Any other operation is refused and recorded on the message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.core.errors import NotFoundError, RezError, ValidationError
from services.core.messages import Message, Status

if TYPE_CHECKING:
    from services.scheduler.deps import SchedulerDeps

logger = logging.getLogger(__name__)


def run_scheduled_message(message: Message, deps: SchedulerDeps) -> None:
    """Run one ``scheduled`` message."""
    operation = (message.arguments or {}).get("operation")
    if operation != "agentEvent":
        raise ValidationError(f"unknown scheduled operation: {operation!r}")
    from services.agent.scheduled import run_scheduled_agent_event  # the agent's heavy imports, only here

    run_scheduled_agent_event(message)


def handle_scheduled(message: Message, deps: SchedulerDeps) -> None:
    """Store the message if it is not stored yet, run it, and record the outcome on the message."""
    try:
        deps.messages.update_status(message.id, Status.PROCESSING)
    except NotFoundError:
        deps.messages.create(message.model_copy(update={"status": Status.PROCESSING}))
    try:
        run_scheduled_message(message, deps)
    except RezError as exc:
        logger.warning("scheduled message %s failed: %s", message.id, exc.message)
        deps.messages.update_status(message.id, Status.FAILED, error_message=exc.message)
        return
    deps.messages.update_status(message.id, Status.COMPLETED)
