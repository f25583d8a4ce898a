"""Deliver one queued message as a notification, moving it processing -> completed | failed."""

from __future__ import annotations

import logging

import pydantic

from services.core.errors import ValidationError
from services.core.message_validation import NotifyPayload, problems_of
from services.core.messages import Message, Status
from services.core.ntfy import Notification
from services.core.records import failure_reason, message_of_record
from services.processor.deps import ProcessorDeps

logger = logging.getLogger(__name__)


def deliver(body: str, deps: ProcessorDeps, *, lease_seconds: float | None = None) -> None:
    """Raise to leave the record on the queue (it is retried, then dead-lettered).

    The message is claimed first (``begin_processing`` with the invocation's remaining time as the
    lease), so a second delivery of it while this one runs is left for later instead of sent
    twice. Any failure after the claim marks the message ``failed`` with the reason, which also
    releases the claim for the retry.
    """
    message = message_of_record(body)
    if not deps.messages.begin_processing(message, lease_seconds=lease_seconds):
        logger.info("message %s already completed; redelivery ignored", message.id)
        return
    try:
        deps.notifier.send(notification_of(message, deps.settings.stage))
    except Exception as exc:
        deps.messages.update_status(message.id, Status.FAILED, error_message=failure_reason(exc), count_retry=True)
        raise
    deps.messages.update_status(message.id, Status.COMPLETED)
    logger.info("message %s delivered", message.id)


def notification_of(message: Message, stage: str) -> Notification:
    try:
        payload = NotifyPayload.model_validate(message.payload)
    except pydantic.ValidationError as exc:
        problems = problems_of(exc, "payload")
        raise ValidationError("invalid notification payload: " +
                              "; ".join(f"{p.field}: {p.problem}" for p in problems), problems) from exc
    return Notification(message=payload.message, title=payload.title or f"Rez Agent - {stage}",
                        priority=payload.priority, tags=tuple(payload.tags))
