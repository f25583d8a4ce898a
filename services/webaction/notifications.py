"""Turn an action's texts into messages (ORIGINAL_SYSTEM §1.3 step 8).

Each text becomes a new message — ``agent_response`` when the original came from the AI agent,
``notify`` otherwise — created by ``web-action-processor``, stored ``queued`` and published to its
topic. A message that was stored but could not be published is marked ``failed`` with the reason,
so it is never left looking queued for ever.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.core.messages import Message, MessageType, Status
from services.core.submission import store_and_publish

if TYPE_CHECKING:
    from services.webaction.deps import WebActionDeps

logger = logging.getLogger(__name__)

CREATED_BY = "web-action-processor"
AGENT = "ai-agent"
MAX_TEXT = 4096  # what a notify payload may carry (services.core.message_validation.NotifyPayload)


def notification_type(original: Message) -> MessageType:
    return MessageType.AGENT_RESPONSE if original.created_by == AGENT else MessageType.NOTIFY


def publish_texts(original: Message, texts: list[str], deps: WebActionDeps) -> list[Message]:
    """Store and publish one message per text; returns the messages published."""
    published: list[Message] = []
    for text in texts:
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        message = Message.new(message_type=notification_type(original), created_by=CREATED_BY,
                              stage=original.stage, status=Status.QUEUED,
                              payload={"message": text, "source_message_id": original.id})
        published.append(store_and_publish(message, deps.messages, deps.publisher))
    return published
