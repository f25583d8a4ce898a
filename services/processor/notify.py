"""Deliver one queued message as a notification, moving it processing -> completed | failed."""

from __future__ import annotations

import logging

import pydantic

from services.core.errors import RezError, ValidationError
from services.core.message_validation import NotifyPayload, problems_of
from services.core.messages import Message, Status
from services.core.ntfy import Notification
from services.processor.deps import ProcessorDeps

logger = logging.getLogger(__name__)


def deliver(body: str, deps: ProcessorDeps) -> None:
    """Raise to leave the record on the queue (it is retried, then dead-lettered)."""
    message = Message.model_validate_json(body)
    if not deps.messages.begin_processing(message):
        logger.info("message %s already completed; redelivery ignored", message.id)
        return
    try:
        deps.notifier.send(notification_of(message, deps.settings.stage))
    except RezError as exc:
        deps.messages.update_status(message.id, Status.FAILED, error_message=exc.message, count_retry=True)
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
