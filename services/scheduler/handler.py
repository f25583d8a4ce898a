"""Lambda entry point of the scheduler function. Three kinds of event, told apart by their shape:

* an SQS event from the schedule-creation queue (batch 10, ReportBatchItemFailures): schedule
  commands and ``scheduled`` messages (``commands``);
* a user schedule firing: EventBridge Scheduler delivers the schedule's Input,
  ``{"schedule_id": ...}`` (``firing``);
* the built-in daily schedule: it has no Input, so EventBridge delivers its default "Scheduled
  Event" envelope (``evaluation``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from services.scheduler.commands import handle_record
from services.scheduler.deps import default_deps
from services.scheduler.evaluation import evaluate
from services.scheduler.firing import fire


def event_kind(event: Any) -> str:
    if not isinstance(event, dict):
        return "unknown"
    records = event.get("Records")
    if isinstance(records, list) and records and all(r.get("eventSource") == "aws:sqs" for r in records):
        return "sqs"
    if "schedule_id" in event:
        return "fire"
    if event.get("detail-type") == "Scheduled Event" or event.get("action") == "evaluate_schedules":
        return "evaluate"
    return "unknown"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = default_deps()
    kind = event_kind(event)
    if kind == "sqs":
        function_arn = context.invoked_function_arn

        def record_handler(record: SQSRecord) -> None:
            handle_record(record.body, deps, function_arn)

        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=BatchProcessor(event_type=EventType.SQS,
                                                                 raise_on_entire_batch_failure=False),
                                        context=context)
    if kind == "fire":
        return fire(event, deps)
    if kind == "evaluate":
        return evaluate(deps)
    raise ValueError(f"unrecognised event: keys {sorted(event) if isinstance(event, dict) else type(event)}")
