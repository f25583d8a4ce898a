"""Delivering a fired schedule to its target, as EventBridge Scheduler does, and dead-lettering it.

Targets (templated, by ARN):

* Lambda function — invoked **asynchronously**, as EventBridge Scheduler invokes Lambda: the
  delivery succeeds once Lambda has the event. A function error is then Lambda's business: two
  more attempts, one and then two minutes later on the platform clock, then the event is dropped
  (no on-failure destination is configured in the manifest). Delivery itself fails when the
  function does not exist (ResourceNotFoundException).
* SNS topic — ``Publish`` with the Input as the message.
* SQS queue — ``SendMessage`` with the Input as the body (``SqsParameters.MessageGroupId`` for FIFO).

The Input is delivered verbatim (for Lambda, parsed as the JSON event), after substituting the
context attributes ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>``. Without an Input, a Lambda
gets the default "Scheduled Event" envelope (``events.scheduler_event``) and SNS/SQS its JSON.

A dead-letter event is the delivered body with the message attributes AWS documents: ERROR_CODE,
ERROR_MESSAGE, EXECUTION_ID, EXHAUSTED_RETRY_CONDITION, IS_PAYLOAD_TRUNCATED, RETRY_ATTEMPTS,
SCHEDULED_TIME, SCHEDULE_ARN, TARGET_ARN.

LIMITATIONS: universal targets (``arn:aws:scheduler:::aws-sdk:...``) and the other templated
targets (ECS, Step Functions, Kinesis, EventBridge bus...) are not delivered — they fail with
``UnsupportedTarget``; the role (``RoleArn``) is not assumed or checked; Lambda's asynchronous
invocation runs inline (so the function sees the platform clock at its fire time) instead of on a
separate queue; Lambda's async retry delays are fixed at 1 and 2 minutes (AWS adds jitter).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from emulation.runtime.clock import PlatformClock
from emulation.runtime.events import scheduler_event
from emulation.runtime.traces import function_participant, new_trace_id

logger = logging.getLogger(__name__)

LAMBDA_ASYNC_RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2))
_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$")


class DeliveryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def substitute(text: str | None, *, schedule_arn: str, scheduled: datetime, execution_id: str, attempt: int) -> str | None:
    """The Input with EventBridge Scheduler's context attributes filled in."""
    if text is None:
        return None
    for name, value in (("schedule-arn", schedule_arn), ("scheduled-time", scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")),
                        ("execution-id", execution_id), ("attempt-number", str(attempt))):
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text


class TargetDelivery:
    def __init__(self, clock: PlatformClock, *, runner: Any, sqs: Any, sns: Any, region: str, account: str,
                 traces: Any = None) -> None:
        self._clock, self._runner, self._sqs, self._sns = clock, runner, sqs, sns
        self._region, self._account, self._traces = region, account, traces

    def body(self, input_text: str | None, schedule_arn: str, scheduled: datetime) -> str:
        """What the target receives as text (the Input, or the default envelope)."""
        if input_text is not None:
            return input_text
        return json.dumps(scheduler_event(schedule_arn=schedule_arn, input_json=None, region=self._region,
                                          account=self._account, scheduled_time=scheduled))

    def deliver(self, target: dict[str, Any], input_text: str | None, schedule_arn: str, scheduled: datetime) -> None:
        """Deliver once; raises ``DeliveryError`` when the target did not take the event."""
        arn = target.get("Arn", "")
        match = _ARN.match(arn)
        service = match["service"] if match else ""
        if service == "lambda":
            self._lambda(arn, input_text, schedule_arn, scheduled)
        elif service == "sns":
            self._call(lambda: self._sns.publish(TopicArn=arn, Message=self.body(input_text, schedule_arn, scheduled)))
        elif service == "sqs" and match:
            self._sqs_send(match, target, self.body(input_text, schedule_arn, scheduled))
        else:
            raise DeliveryError("UnsupportedTarget", f"the local schedule engine cannot deliver to {arn}")

    def dead_letter(self, dlq_arn: str, body: str, attributes: dict[str, str]) -> None:
        match = _ARN.match(dlq_arn)
        if not match or match["service"] != "sqs":
            logger.error("dead-letter ARN %s is not an SQS queue; event dropped", dlq_arn)
            return
        try:
            url = self._queue_url(match)
            self._sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()})
        except ClientError as exc:
            logger.error("could not dead-letter to %s (%s); event dropped", dlq_arn, exc)

    # --- targets ------------------------------------------------------------------------------
    def _lambda(self, arn: str, input_text: str | None, schedule_arn: str, scheduled: datetime) -> None:
        key = self._function_key(arn)
        if key is None:
            raise DeliveryError("ResourceNotFoundException", f"Function not found: {arn}")
        try:
            event = scheduler_event(schedule_arn=schedule_arn, input_json=input_text, region=self._region,
                                    account=self._account, scheduled_time=scheduled)
        except ValueError as exc:
            raise DeliveryError("InvalidRequestContentException", f"Input is not JSON: {exc}") from exc
        self._invoke_async(key, event, attempt=1, trace_id=new_trace_id())

    def _invoke_async(self, key: str, event: Any, *, attempt: int, trace_id: str) -> None:
        try:
            invocation = self._runner.invoke(key, event, trace_id=trace_id)
        except RuntimeError:  # the runner is stopping
            return
        self._trace(trace_id, key, invocation, attempt)
        if not invocation.failed:
            return
        if attempt <= len(LAMBDA_ASYNC_RETRY_DELAYS):
            logger.warning("%s failed on scheduled invocation (attempt %d): %s; Lambda retries it", key, attempt,
                           invocation.error)
            self._clock.call_later(LAMBDA_ASYNC_RETRY_DELAYS[attempt - 1],
                                   lambda: self._invoke_async(key, event, attempt=attempt + 1, trace_id=trace_id))
        else:
            logger.error("%s failed %d times on a scheduled invocation; event dropped (no on-failure destination)",
                         key, attempt)

    def _function_key(self, arn: str) -> str | None:
        name = arn.split(":function:", 1)[-1].split(":", 1)[0]
        for key, spec in self._runner.specs.items():
            if spec.arn == arn or spec.name == name:
                return key
        return None

    def _sqs_send(self, match: re.Match, target: dict[str, Any], body: str) -> None:
        def send() -> None:
            request: dict[str, Any] = {"QueueUrl": self._queue_url(match), "MessageBody": body}
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            if group:
                request["MessageGroupId"] = group
            self._sqs.send_message(**request)

        self._call(send)

    def _queue_url(self, match: re.Match) -> str:
        return self._sqs.get_queue_url(QueueName=match["rest"], QueueOwnerAWSAccountId=match["account"])["QueueUrl"]

    @staticmethod
    def _call(call: Callable[[], Any]) -> None:
        try:
            call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise DeliveryError(error.get("Code", "ClientError"), error.get("Message", str(exc))) from exc

    def _trace(self, trace_id: str, key: str, invocation: Any, attempt: int) -> None:
        if self._traces is None:
            return
        at = self._clock.now().isoformat()
        fn = function_participant(key)
        self._traces.add(trace_id, "EventBridge Scheduler", fn, f"Invoke (async, attempt {attempt})", "invoke", at,
                         ts=invocation.started_at,
                         request_id=invocation.request_id)
        self._traces.record_calls(trace_id, key, invocation.calls, at)
        if invocation.failed:
            self._traces.add(trace_id, fn, "EventBridge Scheduler", f"Function error: {invocation.error.get('errorType')}",
                             "response", at, error=invocation.error.get("errorMessage"))
