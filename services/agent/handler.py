"""Lambda entry point of the agent: its HTTP routes (API Gateway payload 2.0) and the
agent-responses queue (SQS), told apart by the event's shape.

The agent is async end to end (model, MCP tools, graph), on the container's event loop
(``services.agent.loop``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from services.agent.deps import default_deps
from services.agent.http import handle_http
from services.agent.loop import run
from services.agent.responses import acknowledge
from services.core.logging import get_logger

logger = get_logger("agent")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deps = default_deps()
    deps.limiter.expire_with(context)  # a turn killed at its timeout leaves no reservation behind
    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
        def record_handler(record: SQSRecord) -> None:
            acknowledge(record.body, deps)

        return process_partial_response(event=event, record_handler=record_handler,
                                        processor=BatchProcessor(event_type=EventType.SQS,
                                                                 raise_on_entire_batch_failure=False),
                                        context=context)
    return run(handle_http(event, deps))
