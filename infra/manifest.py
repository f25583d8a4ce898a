"""The single description of every resource of rez-agent.

Three readers, and no other source of resource names:

* ``emulation/provision.py`` creates the resources in the local AWS emulator;
* ``emulation/runtime`` wires triggers (HTTP routes, event source mappings, subscriptions,
  schedules) from it;
* the Pulumi program in ``infra/`` deploys it to AWS.

Resources are declared with logical keys; ``Naming`` turns a key into the physical name and ARN
of one stage in one account and region, so the same manifest describes dev, stage and prod.
Function environments are declared as references (``TableName("messages")``) and resolved the
same way for every reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

PROJECT = "rez-agent"
DAY = 86_400


@dataclass(frozen=True)
class Naming:
    """Physical names and ARNs for one deployment (stage, account, region)."""

    stage: str = "dev"
    account: str = "123456789012"
    region: str = "us-east-1"

    def name(self, key: str) -> str:
        return f"{PROJECT}-{key}-{self.stage}"

    def table(self, key: str) -> str:
        return self.name(TABLES[key].physical)

    def table_arn(self, key: str) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.table(key)}"

    def topic(self, key: str) -> str:
        return self.name(key)

    def topic_arn(self, key: str) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.topic(key)}"

    def queue(self, key: str) -> str:
        return self.name(key)

    def dlq(self, key: str) -> str:
        return self.name(f"{key}-dlq")

    def queue_arn(self, queue_name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{queue_name}"

    def function(self, key: str) -> str:
        return self.name(key)

    def function_arn(self, key: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function(key)}"

    def role_arn(self, key: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.name(key)}"

    def secret(self, key: str) -> str:
        return SECRETS[key].name.format(stage=self.stage)

    def schedule_group(self) -> str:
        return self.name("schedules")


# --- data plane -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    physical: str
    hash_key: str
    range_key: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = "ttl"

    def attributes(self) -> list[str]:
        """Every attribute that is a key of the table or of an index (all strings here)."""
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        for index in self.indexes:
            names += [index.hash_key] + ([index.range_key] if index.range_key else [])
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Queue:
    key: str
    visibility_timeout: int = 300
    retention: int = 14 * DAY
    max_receive_count: int = 3
    dlq_retention: int = 14 * DAY
    has_dlq: bool = True  # False for a queue that is itself a dead-letter target


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    raw_message_delivery: bool = True
    filter_policy: dict | None = None


@dataclass(frozen=True)
class Secret:
    key: str
    name: str
    description: str


# --- functions and triggers --------------------------------------------------------------------


@dataclass(frozen=True)
class TableName:
    key: str


@dataclass(frozen=True)
class TopicArn:
    key: str


@dataclass(frozen=True)
class SecretName:
    key: str


@dataclass(frozen=True)
class RoleArn:
    key: str


@dataclass(frozen=True)
class DlqArn:
    key: str


@dataclass(frozen=True)
class ScheduleGroup:
    pass


@dataclass(frozen=True)
class RedriveMap:
    """JSON {queue key: {"queue": name, "dlq": name}} for every queue that has a DLQ."""


@dataclass(frozen=True)
class Outside:
    """A value that depends on where the stack runs (ntfy URL, golf origins...): the target supplies it."""

    name: str


@dataclass(frozen=True)
class Const:
    value: str


EnvValue = RedriveMap | TableName | TopicArn | SecretName | RoleArn | DlqArn | ScheduleGroup | Outside | Const

Service = Literal["dynamodb", "sns", "sqs", "secretsmanager", "scheduler", "iam", "bedrock", "cloudwatch", "lambda"]


@dataclass(frozen=True)
class Access:
    """What a function may do to one resource — the input of its least-privilege IAM policy."""

    service: Service
    resource: str  # logical key, or "*" for services without resource-level scoping
    actions: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    key: str
    handler: str  # "package.module.function", as Lambda's handler setting
    memory: int
    timeout: int
    description: str
    env: dict[str, EnvValue] = field(default_factory=dict)
    access: tuple[Access, ...] = ()


@dataclass(frozen=True)
class EventSourceMapping:
    queue: str
    function: str
    batch_size: int
    report_batch_item_failures: bool = True
    maximum_batching_window: int = 0


@dataclass(frozen=True)
class Route:
    route_key: str  # "POST /mcp", "$default"
    function: str
    # "jwt": the API's JWT authorizer; "none": public; "function": the function checks its own
    # credential (the MCP server's x-api-key), so machine clients need no user token.
    auth: str = "jwt"


@dataclass(frozen=True)
class JwtAuthorizer:
    """API Gateway HTTP API JWT authorizer: issuer and audience depend on where the stack runs."""

    name: str
    issuer: Outside
    audience: Outside
    identity_source: str = "$request.header.Authorization"


@dataclass(frozen=True)
class StaticSchedule:
    key: str
    expression: str
    timezone: str
    function: str
    description: str


# --- the system --------------------------------------------------------------------------------

TABLES: dict[str, Table] = {t.key: t for t in (
    Table("messages", "messages", "id", indexes=(
        Index("stage-created_date-index", "stage", "created_date"),
        Index("status-created_date-index", "status", "created_date"),
        Index("message_type-created_date-index", "message_type", "created_date"),
    )),
    Table("results", "web-action-results", "id", indexes=(Index("message_id-index", "message_id"),)),
    Table("schedules", "schedules", "id", indexes=(
        Index("status-created_date-index", "status", "created_date"),
        Index("created_by-index", "created_by"),
    )),
    Table("sessions", "sessions", "session_id"),
    Table("cost", "cost", "id", range_key="date"),
)}

TOPICS: tuple[str, ...] = ("web-actions", "notifications", "agent-responses", "schedule-creation", "alerts")

QUEUES: dict[str, Queue] = {q.key: q for q in (
    Queue("web-actions"),
    Queue("notifications"),
    Queue("agent-responses"),
    Queue("schedule-creation", visibility_timeout=120),
    # Where EventBridge Scheduler puts invocations it could not deliver after its retry policy.
    Queue("schedules-dlq", visibility_timeout=30, has_dlq=False),
)}
SCHEDULES_DLQ = "schedules-dlq"

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("web-actions", "web-actions"),
    Subscription("notifications", "notifications"),
    Subscription("agent-responses", "agent-responses"),
    Subscription("schedule-creation", "schedule-creation"),
)

SECRETS: dict[str, Secret] = {s.key: s for s in (
    Secret("golf", "rez-agent/golf/credentials-{stage}", "Golf course account: username, password"),
    Secret("mcp-api-key", "rez-agent/mcp/api-key-{stage}", "API key accepted by the MCP server"),
)}

_TOPIC_ENV = {
    "WEB_ACTIONS_TOPIC_ARN": TopicArn("web-actions"),
    "NOTIFICATIONS_TOPIC_ARN": TopicArn("notifications"),
    "AGENT_RESPONSES_TOPIC_ARN": TopicArn("agent-responses"),
    "SCHEDULE_CREATION_TOPIC_ARN": TopicArn("schedule-creation"),
}
_MESSAGES_RW = Access("dynamodb", "messages", ("GetItem", "PutItem", "UpdateItem", "Query"))
_PUBLISH_ALL = tuple(Access("sns", t, ("Publish",)) for t in
                     ("web-actions", "notifications", "agent-responses", "schedule-creation"))
_GOLF_ENV = {
    "GOLF_SECRET_NAME": SecretName("golf"),
    "GOLF_ORIGINS": Outside("GOLF_ORIGINS"),
    "GOLF_JWT_AUDIENCE": Outside("GOLF_JWT_AUDIENCE"),
    "WEATHER_BASE_URL": Outside("WEATHER_BASE_URL"),
    "SSRF_ALLOWED_HOSTS": Outside("SSRF_ALLOWED_HOSTS"),
    "SSRF_TRUSTED_ORIGINS": Outside("SSRF_TRUSTED_ORIGINS"),
    "HTTP_BACKOFF_SECONDS": Outside("HTTP_BACKOFF_SECONDS"),
}
_NTFY_ENV = {"NTFY_URL": Outside("NTFY_URL"), "NTFY_BACKOFF_SECONDS": Outside("NTFY_BACKOFF_SECONDS")}
_SCHEDULER_ENV = {
    "SCHEDULES_TABLE_NAME": TableName("schedules"),
    "SCHEDULE_GROUP_NAME": ScheduleGroup(),
    "SCHEDULER_ROLE_ARN": RoleArn("scheduler-execution"),
    "SCHEDULES_DLQ_ARN": DlqArn(SCHEDULES_DLQ),
}
_COMMON_ENV = {"STAGE": Outside("STAGE"), "LOG_LEVEL": Outside("LOG_LEVEL"),
               "MESSAGES_TABLE_NAME": TableName("messages")}

# Moving dead letters back to their source queue (``POST /api/dlq/{queue}/redrive``).
_REDRIVE = tuple(Access("sqs", name, ("GetQueueUrl", "GetQueueAttributes", "ReceiveMessage", "SendMessage",
                                      "DeleteMessage", "ChangeMessageVisibility"))
                 for q in ("web-actions", "notifications", "agent-responses", "schedule-creation")
                 for name in (q, f"{q}-dlq"))

# ``GET /api/health``: the data plane answers, the event source mappings are enabled (no resource-level ARN).
_HEALTH = (Access("dynamodb", "messages", ("DescribeTable",)), Access("lambda", "*", ("ListEventSourceMappings",)))

FUNCTIONS: dict[str, Function] = {f.key: f for f in (
    Function(
        "webapi", "services.webapi.handler.lambda_handler", 256, 30,
        "HTTP API: messages, schedules, results, health, metrics",
        env={**_COMMON_ENV, **_TOPIC_ENV, **_SCHEDULER_ENV, "RESULTS_TABLE_NAME": TableName("results"),
             "REDRIVE_QUEUES": RedriveMap(),
             # Web-action requests are checked against these: the secret and hosts an action may use.
             **{name: _GOLF_ENV[name] for name in ("GOLF_SECRET_NAME", "GOLF_ORIGINS", "WEATHER_BASE_URL")}},
        access=(_MESSAGES_RW, Access("dynamodb", "schedules", ("GetItem", "PutItem", "UpdateItem", "Query")),
                Access("dynamodb", "results", ("GetItem", "Query")), *_PUBLISH_ALL, *_REDRIVE, *_HEALTH),
    ),
    Function(
        "processor", "services.processor.handler.lambda_handler", 512, 300,
        "Notifications queue -> ntfy",
        env={**_COMMON_ENV, **_NTFY_ENV},
        access=(_MESSAGES_RW,),
    ),
    Function(
        "webaction", "services.webaction.handler.lambda_handler", 512, 300,
        "Web actions queue -> weather / golf -> results table -> notifications",
        env={**_COMMON_ENV, **_TOPIC_ENV, **_GOLF_ENV, "RESULTS_TABLE_NAME": TableName("results")},
        access=(_MESSAGES_RW, Access("dynamodb", "results", ("GetItem", "PutItem", "UpdateItem", "Query")),
                Access("secretsmanager", "golf", ("GetSecretValue",)), *_PUBLISH_ALL),
    ),
    Function(
        "scheduler", "services.scheduler.handler.lambda_handler", 256, 120,
        "Schedule management and fired schedules -> messages",
        env={**_COMMON_ENV, **_TOPIC_ENV, **_SCHEDULER_ENV, **_GOLF_ENV, **_NTFY_ENV,
             "SESSIONS_TABLE_NAME": TableName("sessions"), "COST_TABLE_NAME": TableName("cost"),
             "RESULTS_TABLE_NAME": TableName("results"),
             "BEDROCK_MODEL_ID": Outside("BEDROCK_MODEL_ID"), "MCP_SERVER_URL": Outside("MCP_SERVER_URL"),
             "MCP_API_KEY_SECRET_NAME": SecretName("mcp-api-key"),
             "AGENT_DAILY_CAP_USD": Outside("AGENT_DAILY_CAP_USD")},
        access=(_MESSAGES_RW,
                # DeleteItem: ``delete`` removes the row once the EventBridge schedule is gone.
                Access("dynamodb", "schedules", ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")),
                Access("dynamodb", "results", ("GetItem", "PutItem", "UpdateItem", "Query")),
                Access("dynamodb", "cost", ("GetItem", "PutItem", "UpdateItem")),
                Access("scheduler", "*", ("CreateSchedule", "UpdateSchedule", "GetSchedule", "DeleteSchedule")),
                Access("iam", "scheduler-execution", ("PassRole",)),
                Access("secretsmanager", "golf", ("GetSecretValue",)),
                Access("secretsmanager", "mcp-api-key", ("GetSecretValue",)),
                Access("bedrock", "*", ("InvokeModel",)), *_PUBLISH_ALL),
    ),
    Function(
        "mcp", "services.mcp.handler.lambda_handler", 512, 30,
        "MCP server (streamable HTTP, stateless)",
        env={**_COMMON_ENV, **_TOPIC_ENV, **_SCHEDULER_ENV, **_GOLF_ENV, **_NTFY_ENV,
             "RESULTS_TABLE_NAME": TableName("results"),
             "MCP_API_KEY_SECRET_NAME": SecretName("mcp-api-key")},
        access=(_MESSAGES_RW, Access("dynamodb", "results", ("GetItem", "PutItem", "UpdateItem", "Query")),
                Access("dynamodb", "schedules", ("GetItem", "PutItem", "UpdateItem", "Query")),
                Access("secretsmanager", "golf", ("GetSecretValue",)),
                Access("secretsmanager", "mcp-api-key", ("GetSecretValue",)), *_PUBLISH_ALL),
    ),
    Function(
        "agent", "services.agent.handler.lambda_handler", 1024, 300,
        "Chat agent: sessions, cost limiter, Bedrock Converse, MCP tools",
        env={**_COMMON_ENV, **_TOPIC_ENV, "SESSIONS_TABLE_NAME": TableName("sessions"),
             "COST_TABLE_NAME": TableName("cost"), "BEDROCK_MODEL_ID": Outside("BEDROCK_MODEL_ID"),
             "AGENT_DAILY_CAP_USD": Outside("AGENT_DAILY_CAP_USD"), "MCP_SERVER_URL": Outside("MCP_SERVER_URL"),
             "API_JWT_ISSUER": Outside("API_JWT_ISSUER"),
             "MCP_API_KEY_SECRET_NAME": SecretName("mcp-api-key")},
        access=(_MESSAGES_RW, Access("dynamodb", "sessions", ("GetItem", "PutItem", "UpdateItem", "DeleteItem")),
                Access("dynamodb", "cost", ("GetItem", "PutItem", "UpdateItem")),
                Access("secretsmanager", "mcp-api-key", ("GetSecretValue",)),
                Access("bedrock", "*", ("InvokeModel",)), *_PUBLISH_ALL),
    ),
    Function(
        "alerts", "services.alerts.handler.lambda_handler", 256, 60,
        "Alarm notifications -> operator notification (ntfy, high priority)",
        env={**_COMMON_ENV, **_NTFY_ENV, "REDRIVE_QUEUES": RedriveMap()},
        access=(Access("dynamodb", "messages", ("GetItem", "UpdateItem")),  # marks dead letters failed
                *(Access("sqs", f"{q}-dlq", ("GetQueueUrl", "GetQueueAttributes", "ReceiveMessage",
                                              "ChangeMessageVisibility"))
                  for q in ("web-actions", "notifications", "agent-responses", "schedule-creation"))),
    ),
)}

EVENT_SOURCE_MAPPINGS: tuple[EventSourceMapping, ...] = (
    EventSourceMapping("notifications", "processor", batch_size=10),
    EventSourceMapping("web-actions", "webaction", batch_size=1),
    EventSourceMapping("schedule-creation", "scheduler", batch_size=10),
    EventSourceMapping("agent-responses", "agent", batch_size=10),
)

ROUTES: tuple[Route, ...] = (
    Route("POST /mcp", "mcp", auth="function"),
    Route("GET /mcp", "mcp", auth="function"),  # 405 Allow: POST, as streamable HTTP says for a stateless server
    Route("POST /agent", "agent"),
    Route("GET /agent/card", "agent", auth="none"),
    Route("GET /agent/.well-known/agent-card", "agent", auth="none"),
    Route("GET /agent/ui", "agent", auth="none"),
    Route("GET /api/health", "webapi", auth="none"),
    Route("GET /api/openapi.json", "webapi", auth="none"),
    Route("$default", "webapi"),
)

API_AUTHORIZER = JwtAuthorizer("users", issuer=Outside("API_JWT_ISSUER"), audience=Outside("API_JWT_AUDIENCE"))

STATIC_SCHEDULES: tuple[StaticSchedule, ...] = (
    StaticSchedule("daily-scheduler", "cron(0 12 * * ? *)", "UTC", "scheduler",
                   "Daily evaluation of the active schedules"),
)

# IAM roles that are not function roles: the one EventBridge Scheduler assumes to reach targets.
SERVICE_ROLES: tuple[str, ...] = ("scheduler-execution",)


def resolve_env(function: Function, naming: Naming, outside: dict[str, str]) -> dict[str, str]:
    """The environment a function gets in one deployment. ``outside`` supplies target-specific values."""
    env: dict[str, str] = {}
    for name, ref in function.env.items():
        match ref:
            case TableName(key):
                env[name] = naming.table(key)
            case TopicArn(key):
                env[name] = naming.topic_arn(key)
            case SecretName(key):
                env[name] = naming.secret(key)
            case RoleArn(key):
                env[name] = naming.role_arn(key)
            case DlqArn(key):
                env[name] = naming.queue_arn(naming.queue(key))
            case ScheduleGroup():
                env[name] = naming.schedule_group()
            case RedriveMap():
                env[name] = json.dumps({q.key: {"queue": naming.queue(q.key), "dlq": naming.dlq(q.key)}
                                        for q in QUEUES.values() if q.has_dlq}, separators=(",", ":"))
            case Const(value):
                env[name] = value
            case Outside(key):
                if key in outside:
                    env[name] = outside[key]
    return env


# --- operations: alarms and their notifications ---------------------------------------------------


@dataclass(frozen=True)
class TopicFunctionSubscription:
    """SNS -> Lambda (asynchronous invocation with the SNS event)."""

    topic: str
    function: str


@dataclass(frozen=True)
class Alarm:
    key: str
    namespace: str
    metric: str
    dimension: tuple[str, str]  # (name, value) — value is a physical name
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison: str
    actions_topic: str = "alerts"
    description: str = ""
    treat_missing_data: str = "missing"  # "notBreaching" where no datapoint means nothing went wrong


def alarms(naming: Naming) -> tuple[Alarm, ...]:
    """Every DLQ has a "not empty" alarm and every function an Errors alarm; both notify the alerts topic."""
    found: list[Alarm] = []
    for queue in QUEUES.values():
        if queue.has_dlq:
            found.append(Alarm(
                f"{queue.key}-dlq-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                ("QueueName", naming.dlq(queue.key)), "Maximum", 60, 1, 0, "GreaterThanThreshold",
                description=f"Messages of {naming.queue(queue.key)} failed {queue.max_receive_count} times "
                            f"and are in {naming.dlq(queue.key)}"))
    for function in FUNCTIONS.values():
        found.append(Alarm(
            f"{function.key}-errors", "AWS/Lambda", "Errors", ("FunctionName", naming.function(function.key)),
            "Sum", 300, 1, 0, "GreaterThanThreshold", treat_missing_data="notBreaching",
            description=f"{naming.function(function.key)} reported function errors"))
    return tuple(found)


TOPIC_FUNCTION_SUBSCRIPTIONS: tuple[TopicFunctionSubscription, ...] = (
    TopicFunctionSubscription("alerts", "alerts"),
)
