"""The seed diagrams as data: the hops each flow must show, in order (other hops may come between).

Each step is (source, target, label prefix). Participant names are the trace's, which follow the
seed diagrams; where the seed says "ntfy.sh" or "External API" the trace names the actual service
("ntfy", "NOAA Weather", "Golf Course API"), and "Save message" / "Update status" are the DynamoDB
operations that do it (PutItem / UpdateItem).
"""

from __future__ import annotations

MESSAGE_PROCESSING_FLOW = [
    ("Client", "API Gateway", "POST /api/messages"),
    ("API Gateway", "WebAPI Lambda", "Invoke"),
    ("WebAPI Lambda", "DynamoDB", "PutItem"),
    ("WebAPI Lambda", "SNS Topic", "Publish"),
    ("API Gateway", "Client", "201"),
    ("SNS Topic", "SQS Queue", "Deliver"),
    ("SQS Queue", "Processor Lambda", "Invoke"),
    ("Processor Lambda", "DynamoDB", "UpdateItem"),
    ("Processor Lambda", "ntfy", "POST"),
    ("Processor Lambda", "DynamoDB", "UpdateItem"),
    ("Processor Lambda", "SQS Queue", "Delete message"),
]

WEB_ACTION_EXECUTION_WITH_OAUTH = [
    ("Client", "API Gateway", "POST /api/messages"),
    ("API Gateway", "WebAPI Lambda", "Invoke"),
    ("WebAPI Lambda", "DynamoDB", "PutItem"),
    ("WebAPI Lambda", "SNS Topic", "Publish"),
    ("SNS Topic", "SQS Queue", "Deliver"),
    ("SQS Queue", "WebAction Lambda", "Invoke"),
    ("WebAction Lambda", "Secrets Manager", "GetSecretValue"),
    ("WebAction Lambda", "OAuth Server", "POST"),
    ("WebAction Lambda", "Golf Course API", "GET"),
    ("WebAction Lambda", "Results Table", ""),
    ("WebAction Lambda", "DynamoDB", "UpdateItem"),
    ("WebAction Lambda", "SQS Queue", "Delete message"),
]

AUTHENTICATION_FLOW = [
    ("WebAction Lambda", "Secrets Manager", "GetSecretValue"),
    ("WebAction Lambda", "OAuth Server", "POST"),
    ("WebAction Lambda", "JWKS Endpoint", "GET"),
    ("WebAction Lambda", "Golf Course API", "GET"),
]

ERROR_HANDLING_AND_DLQ = [
    ("SNS Topic", "SQS Queue", "Deliver"),
    ("SQS Queue", "Processor Lambda", "Invoke (batch of 1, receive 1)"),
    ("Processor Lambda", "SQS Queue", "Processing failed"),
    ("SQS Queue", "Processor Lambda", "Invoke (batch of 1, receive 2)"),
    ("Processor Lambda", "SQS Queue", "Processing failed"),
    ("SQS Queue", "Processor Lambda", "Invoke (batch of 1, receive 3)"),
    ("Processor Lambda", "SQS Queue", "Processing failed"),
    ("SQS Queue", "Dead Letter Queue", "Move to DLQ"),
    ("Dead Letter Queue", "CloudWatch", ""),
    ("CloudWatch", "Monitoring Alert", "ALARM"),
]

API_GATEWAY_REQUEST_FLOW = [
    ("Client", "API Gateway", "GET /api/health"),
    ("API Gateway", "WebAPI Lambda", "Invoke"),
    ("WebAPI Lambda", "API Gateway", "200"),
    ("API Gateway", "Client", "200"),
]


def follows(hops: list[dict], expected: list[tuple[str, str, str]]) -> tuple[bool, str]:
    """Whether ``expected`` occurs in ``hops`` in order; the message names the first step not found."""
    position = 0
    for source, target, label in expected:
        while position < len(hops):
            hop = hops[position]
            position += 1
            if hop["source"] == source and hop["target"] == target and hop["label"].lower().startswith(label.lower()):
                break
        else:
            return False, f"missing after hop {position}: {source} -> {target}: {label}"
    return True, ""

SCHEDULE_CREATION = [
    ("Client", "API Gateway", "POST /api/schedules"),
    ("API Gateway", "WebAPI Lambda", "Invoke"),
    ("WebAPI Lambda", "Schedules Table", "PutItem"),
    ("WebAPI Lambda", "SNS Topic", "Publish"),
    ("API Gateway", "Client", "202"),
    ("SNS Topic", "SQS Queue", "Deliver"),  # the seed's SNS -> Scheduler goes through the manifest's queue
    ("SQS Queue", "Scheduler Lambda", "Invoke"),
    ("Scheduler Lambda", "Schedules Table", "GetItem"),
    ("Scheduler Lambda", "EventBridge Scheduler", "CreateSchedule"),
    ("Scheduler Lambda", "Schedules Table", "PutItem"),  # status 'active'
]

EVENTBRIDGE_SCHEDULER_WORKFLOW = [
    ("EventBridge Scheduler", "Scheduler Lambda", "Invoke"),
    ("Scheduler Lambda", "Schedules Table", "GetItem"),
    ("Scheduler Lambda", "DynamoDB", "PutItem"),  # create message record
    ("Scheduler Lambda", "SNS Topic", "Publish (rez-agent-web-actions"),
    ("Scheduler Lambda", "Schedules Table", "UpdateItem"),  # last_run, execution_count
    ("SNS Topic", "SQS Queue", "Deliver"),
    ("SQS Queue", "WebAction Lambda", "Invoke"),
]
