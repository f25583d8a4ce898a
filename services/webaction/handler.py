"""Lambda entry point of the web-action consumer: web-actions queue (batch 1, ReportBatchItemFailures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from services.core.logging import get_logger
from services.core.records import log_record_failure, remaining_seconds
from services.webaction.deps import default_deps
from services.webaction.execute import execute_record

logger = get_logger("webaction")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = default_deps()

    def record_handler(record: SQSRecord) -> None:
        try:
            execute_record(record.body, deps, receive_count=int(record.attributes.approximate_receive_count or 1),
                           lease_seconds=remaining_seconds(context))
        except Exception as exc:
            log_record_failure(logger, record, exc)
            raise

    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=BatchProcessor(event_type=EventType.SQS,
                                                             raise_on_entire_batch_failure=False),
                                    context=context)
