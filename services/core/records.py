"""One SQS record of a queue consumer: read its message, and say in the log why it failed.

A record that cannot be read (not JSON, no ``id``, not a message) fails like any other: the
consumer lists it in ``batchItemFailures``, SQS redelivers it and after ``maxReceiveCount`` moves it
to the DLQ. Each failure leaves one ERROR line in the function's log naming the record (its SQS
message id and receive count, and the message id when there is one) and the reason — never the
body, which may hold a payload or credentials.
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic

from services.core.errors import RezError, ValidationError
from services.core.message_repository import MessageInFlight
from services.core.messages import Message

# Pydantic problems are summarised from their location and text only: the input they quote is
# the record body, which must not reach the log.
_MAX_PROBLEMS = 5


def message_of_record(body: str) -> Message:
    """The message a record carries; ``ValidationError`` (naming what is wrong) when it carries none."""
    try:
        return Message.model_validate_json(body)
    except pydantic.ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                    for e in exc.errors(include_input=False, include_url=False)]
        more = f" (+{len(problems) - _MAX_PROBLEMS} more)" if len(problems) > _MAX_PROBLEMS else ""
        raise ValidationError("record body is not a message: " + "; ".join(problems[:_MAX_PROBLEMS]) + more) from None


def failure_reason(exc: BaseException) -> str:
    """What a message's ``error_message`` and the log say about a failure."""
    if isinstance(exc, RezError):
        return exc.message
    return f"internal error ({type(exc).__name__})"


def remaining_seconds(context: Any, default: float = 300.0) -> float:
    """The invocation's remaining run time: how long a claim taken now may be held."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return default
    try:
        return max(float(remaining()) / 1000.0, 1.0)
    except (TypeError, ValueError):
        return default


def log_record_failure(logger: logging.Logger | Any, record: Any, exc: BaseException) -> None:
    """One line per failed record. A claim held by another attempt is expected: a warning, not an error."""
    receive = getattr(getattr(record, "attributes", None), "approximate_receive_count", None) or "1"
    message_id = _message_id(record)
    where = f"record {record.message_id} (receive {receive}" + (f", message {message_id})" if message_id else ")")
    if isinstance(exc, MessageInFlight):
        logger.warning("%s left for later: %s", where, exc.message)
    elif isinstance(exc, RezError):
        logger.error("%s failed: %s", where, failure_reason(exc))
    else:
        logger.exception("%s failed: %s", where, failure_reason(exc))


def _message_id(record: Any) -> str | None:
    try:
        value = record.json_body
    except (ValueError, TypeError):
        return None
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, str) and len(found) <= 64 else None
