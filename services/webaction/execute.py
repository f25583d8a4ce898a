"""Execute one web-action record (ORIGINAL_SYSTEM §1.3, intended behaviour).

1. The body is the message JSON (raw SNS delivery); its ``message_type`` must be ``web_action``.
2. The message is claimed: it moves to ``processing`` unless it already ``completed`` (a
   redelivered completed message is skipped) or another attempt holds it (the record is left for
   later, so one message never runs twice at once — a booking above all). A message that was never
   stored (published straight to the topic) is stored.
3. The payload is validated (``parse_web_action``); a bad one fails the message
   (``Invalid payload: …``) without a result row and is not retried.
4. A result row starts ``processing``; the action runs (weather or golf).
5. Success: the result row completes with the upstream's real status code and the texts; each text
   becomes a notify/agent_response message; the message completes.
6. Failure: result row ``failed`` (with the upstream status when there was one), message
   ``failed`` with the error, and then the retry decision below.

Retry decision — raise (so SQS redelivers the record, and after ``maxReceiveCount`` moves it to the
DLQ, where the alarm sees it) or acknowledge (the record is deleted, the failure stays visible on
the message and the result row):

* **retried**: errors marked ``retryable`` (``UpstreamError``: outside service down, 5xx, 429,
  timeouts, unreadable answers), ``ConfigurationError`` (the deployment is wrong — an operator
  fixes it and redrives the DLQ), and any unexpected exception;
* **not retried**: every other ``RezError`` — ``AuthenticationError`` (a token that is expired or
  badly signed will not become valid by asking again with the same request; the next message gets
  a fresh token because a rejected one is dropped from the cache), ``ValidationError``,
  ``ForbiddenError``, ``ConflictError`` (slot taken, already booked), ``NotFoundError``, a 4xx
  from the upstream, and ``ReservationOutcomeUnknown`` (the reserve call failed after it may have
  booked: repeating it could book twice). Retrying them would only turn a user's mistake into a DLQ
  alarm — or a double booking.

If publishing the notifications fails after the action succeeded, a repeatable action (weather,
search, reservations) is failed and retried; a booking is not repeated (it would book twice or
report a conflict): the failure is logged and the message still completes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from services.core.errors import ConfigurationError, NotFoundError, RezError, ValidationError
from services.core.messages import Message, MessageType, Status
from services.core.records import failure_reason, message_of_record
from services.core.web_action_payload import WebAction, parse_web_action
from services.webaction.deps import WebActionDeps
from services.webaction.golf import golf_url, run_golf
from services.webaction.notifications import publish_texts
from services.webaction.outcome import ActionOutcome
from services.webaction.weather import run_weather, weather_url

logger = logging.getLogger(__name__)

Runner = Callable[[WebAction, WebActionDeps], ActionOutcome]
ACTIONS: dict[str, tuple[Runner, Callable[[WebAction, WebActionDeps], str]]] = {
    "weather": (run_weather, weather_url),
    "golf": (run_golf, golf_url),
}


def should_retry(exc: BaseException) -> bool:
    if isinstance(exc, RezError):
        return exc.retryable or isinstance(exc, ConfigurationError)
    return True


def execute_record(body: str, deps: WebActionDeps, *, receive_count: int = 1,
                   lease_seconds: float | None = None) -> None:
    """Process one record; raises only when the record should be retried."""
    message = message_of_record(body)
    if message.message_type != MessageType.WEB_ACTION:
        _fail_if_stored(message, deps,
                        f"invalid message type: expected web_action, got {message.message_type.value}")
        return
    if not deps.messages.begin_processing(message, lease_seconds=lease_seconds):
        logger.info("message %s already completed; redelivery ignored", message.id)
        return
    started = time.monotonic()
    try:
        action = parse_web_action(message.payload, message.arguments)
    except ValidationError as exc:
        deps.messages.update_status(message.id, Status.FAILED, error_message=f"Invalid payload: {exc.message}")
        logger.info("message %s has an invalid payload: %s", message.id, exc.message)
        return
    run, planned_url = ACTIONS[action.action]
    result = deps.results.start(message_id=message.id, action=action.action,
                                url=_safe(planned_url, action, deps), stage=message.stage)
    try:
        outcome = run(action, deps)
    except Exception as exc:
        retry = should_retry(exc)
        text = failure_reason(exc)
        deps.results.fail(result.id, error_message=text, execution_time_ms=_elapsed(started),
                          response_code=getattr(exc, "status_code", None))
        deps.messages.update_status(message.id, Status.FAILED, error_message=text, count_retry=True)
        logger.warning("web action %s (%s/%s) failed on receive %d, %s: %s", message.id, action.action,
                       action.operation, receive_count, "will retry" if retry else "not retried", text)
        if retry:
            raise
        return
    deps.results.complete(result.id, response_code=outcome.response_code, response_body="\n".join(outcome.texts),
                          execution_time_ms=_elapsed(started))
    try:
        publish_texts(message, outcome.texts, deps)
    except Exception as exc:
        if _repeatable(action):
            deps.messages.update_status(message.id, Status.FAILED, count_retry=True,
                                        error_message=f"notification publish failed: {failure_reason(exc)}")
            raise
        logger.error("message %s: booking done but notifications failed: %s", message.id, failure_reason(exc))
    deps.messages.update_status(message.id, Status.COMPLETED)
    logger.info("web action %s (%s/%s) completed in %d ms", message.id, action.action, action.operation,
                _elapsed(started))


def _fail_if_stored(message: Message, deps: WebActionDeps, reason: str) -> None:
    logger.warning("message %s: %s", message.id, reason)
    try:
        deps.messages.update_status(message.id, Status.FAILED, error_message=reason)
    except NotFoundError:
        pass


def _repeatable(action: WebAction) -> bool:
    return action.operation != "book_tee_time" and not action.payload.autoBook


def _safe(planned_url: Callable[[WebAction, WebActionDeps], str], action: WebAction, deps: WebActionDeps) -> str:
    try:
        return planned_url(action, deps)
    except RezError:
        return ""  # the action will fail with the same error and record it


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
