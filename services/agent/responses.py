"""The agent-responses queue (ESM, batch 10, ReportBatchItemFailures; ORIGINAL_SYSTEM §12.10).

``agent_response`` messages are what a web action produces for a message the agent created
(``created_by: ai-agent``). This agent runs its tools synchronously through MCP and creates no such
messages itself, so there is no conversation waiting for them: each one is acknowledged by marking
its stored message ``completed`` (stored first if it never was), so it is neither lost silently
(the original returned 400 and SQS deleted the batch) nor left ``queued`` for ever. A record that
is not an ``agent_response`` message is reported as a batch item failure, so it ends in the DLQ.
"""

from __future__ import annotations

import logging

import pydantic

from services.agent.deps import AgentDeps
from services.core.errors import NotFoundError, ValidationError
from services.core.messages import Message, MessageType, Status

logger = logging.getLogger(__name__)


def acknowledge(body: str, deps: AgentDeps) -> None:
    try:
        message = Message.model_validate_json(body)
    except pydantic.ValidationError:
        raise ValidationError("record body is not a message") from None
    if message.message_type is not MessageType.AGENT_RESPONSE:
        raise ValidationError(f"unexpected message type on the agent-responses queue: {message.message_type.value}")
    try:
        deps.messages.update_status(message.id, Status.COMPLETED)
    except NotFoundError:
        deps.messages.create(message.model_copy(update={"status": Status.COMPLETED}))
    logger.info("agent response %s acknowledged (%d chars)", message.id, len(str(message.payload.get("message", ""))))
