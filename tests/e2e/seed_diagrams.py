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
    # The seed draws "201 Created" here; the delivery below runs concurrently with that response,
    # so the tests check the response separately (CLIENT_ANSWERED) rather than its order.
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


def client_answered(status: str) -> list[tuple[str, str, str]]:
    return [("Client", "API Gateway", ""), ("API Gateway", "Client", status)]


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
    # "Update last_run timestamp" runs concurrently with the delivery: see SCHEDULER_RECORDS_THE_RUN.
    ("SNS Topic", "SQS Queue", "Deliver"),
    ("SQS Queue", "WebAction Lambda", "Invoke"),
]

SCHEDULER_RECORDS_THE_RUN = [
    ("EventBridge Scheduler", "Scheduler Lambda", "Invoke"),
    ("Scheduler Lambda", "Schedules Table", "UpdateItem"),  # last_run, execution_count
]

# Turn 1 of the agent conversation ("tee times ... tomorrow afternoon for 2").
AI_AGENT_WITH_MCP_INTEGRATION = [
    ("Client", "API Gateway", "POST /agent"),
    ("API Gateway", "Agent Lambda", "Invoke"),
    ("Agent Lambda", "MCP Server", "POST /mcp"),  # initialize: the available tools
    ("Agent Lambda", "Bedrock", "Converse"),      # tool call: golf_search_tee_times
    ("Agent Lambda", "MCP Server", "POST /mcp"),  # execute the tool
    ("MCP Server", "Golf Course API", "GET"),
    ("Agent Lambda", "Bedrock", "Converse"),      # re-invoke with the results
    ("Agent Lambda", "Session Table", ""),        # save session
    ("API Gateway", "Client", "200"),
]

MCP_SERVER_TOOL_EXECUTION = [
    ("Agent Lambda", "MCP Server", "POST /mcp"),  # initialize
    ("Agent Lambda", "MCP Server", "POST /mcp"),  # tools/list
    ("Agent Lambda", "MCP Server", "POST /mcp"),  # tools/call
    ("MCP Server", "Secrets Manager", "GetSecretValue"),
    ("MCP Server", "OAuth Server", "POST"),
    ("MCP Server", "Golf Course API", "GET"),
    ("MCP Server", "Results Table", ""),          # store result
]

# Turn 3 ("yes"): the booking.
GOLF_TEE_TIME_BOOKING = [
    ("Client", "API Gateway", "POST /agent"),
    ("Agent Lambda", "Bedrock", "Converse"),      # tool call: golf_book_tee_time
    ("Agent Lambda", "MCP Server", "POST /mcp"),
    ("MCP Server", "Golf Course API", "POST /onlineres/onlineapi/api/v1/onlinereservation/LockTeeTimes"),
    ("MCP Server", "Golf Course API", "POST /onlineres/onlineapi/api/v1/onlinereservation/ReserveTeeTimes"),
    ("MCP Server", "Results Table", ""),          # store confirmation
    ("Agent Lambda", "Bedrock", "Converse"),      # "Booked! Confirmation #..."
    ("API Gateway", "Client", "200"),
]

SESSION_MANAGEMENT = [
    ("Client", "API Gateway", "POST /agent"),
    ("Agent Lambda", "Session Table", "GetItem"),   # session exists: restore the conversation
    ("Agent Lambda", "Bedrock", "Converse"),
    ("Agent Lambda", "Session Table", "UpdateItem"),  # append messages, refresh ttl
]

COST_TRACKING_AND_RATE_LIMITING = [
    ("Agent Lambda", "Cost Tracking Table", "UpdateItem"),  # check budget: reserve the estimate atomically
    ("Agent Lambda", "Bedrock", "Converse"),
    ("Agent Lambda", "Cost Tracking Table", "UpdateItem"),  # settle the actual cost
]
