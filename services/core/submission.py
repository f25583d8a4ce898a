"""Submitting a message: store it, then publish it to its topic — in that order, and never silently.

Stored first, so a consumer that receives it finds its record; a message that was stored but could
not be published is marked ``failed`` with the reason, so nothing accepted disappears unseen.
"""

from __future__ import annotations

from services.core.errors import UpstreamError
from services.core.message_repository import MessageRepository
from services.core.messages import Message, Status
from services.core.publisher import Publisher


def publish_stored(message: Message, messages: MessageRepository, publisher: Publisher) -> Message:
    try:
        publisher.publish(message)
    except Exception as exc:
        messages.update_status(message.id, Status.FAILED, error_message=f"publish failed: {type(exc).__name__}")
        raise UpstreamError(f"failed to publish message {message.id}") from exc
    return message


def store_and_publish(message: Message, messages: MessageRepository, publisher: Publisher) -> Message:
    """Returns the message as stored (its id is redrawn in the rare case of a clash)."""
    return publish_stored(messages.create(message), messages, publisher)
