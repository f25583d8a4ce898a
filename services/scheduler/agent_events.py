"""Scheduled agent events (ORIGINAL_SYSTEM §13.6): the hook the agent issue fills in.

A ``scheduled`` message with ``arguments.operation == "agentEvent"`` asks the agent to act on a
prompt (e.g. book a tee time when the weather is good). Until the agent exists, such a message is
stored as ``failed`` with a clear error rather than routed anywhere it would be misread (the
notifications processor would reject its payload).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.core.errors import NotFoundError, RezError
from services.core.messages import Message, Status

if TYPE_CHECKING:
    from services.scheduler.deps import SchedulerDeps

logger = logging.getLogger(__name__)


class AgentEventsUnavailable(RezError):
    http_status = 501


def run_scheduled_message(message: Message, deps: SchedulerDeps) -> None:
    """Run one ``scheduled`` message. The agent issue replaces this body (ExecuteScheduledEvent)."""
    operation = (message.arguments or {}).get("operation")
    raise AgentEventsUnavailable(f"agent events are not available yet (operation {operation!r} was not run)")


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
