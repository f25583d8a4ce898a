"""Least-privilege IAM, derived from the manifest and nothing else.

A function's policy is its ``access`` entries — exact actions on exact resources — plus what the
manifest's wiring implies for it: reading the queues of its event source mappings and writing its
own log group. A resource of ``"*"`` appears only where the manifest says ``"*"`` (services without
resource-level permissions, such as Bedrock model invocation or Scheduler's API as used here).
The statements are plain data, so tests compare them with the manifest directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from infra import manifest
from infra.manifest import Access, Function, Naming

# The IAM action prefix of each manifest service.
ACTION_PREFIX: dict[str, str] = {
    "dynamodb": "dynamodb", "sns": "sns", "sqs": "sqs", "secretsmanager": "secretsmanager",
    "scheduler": "scheduler", "iam": "iam", "bedrock": "bedrock", "cloudwatch": "cloudwatch",
    "lambda": "lambda",
}
# What Lambda's SQS poller does with the function's role (AWSLambdaSQSQueueExecutionRole, scoped).
ESM_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# Principals of the manifest's service roles.
SERVICE_ROLE_PRINCIPALS: dict[str, str] = {"scheduler-execution": "scheduler.amazonaws.com"}


class PolicyError(ValueError):
    """An access entry the program cannot turn into an exact grant."""


def log_group_name(naming: Naming, function_key: str) -> str:
    return f"/aws/lambda/{naming.function(function_key)}"


def log_group_arn(naming: Naming, function_key: str) -> str:
    return f"arn:aws:logs:{naming.region}:{naming.account}:log-group:{log_group_name(naming, function_key)}"


def _queue_name(naming: Naming, key: str) -> str:
    """A queue key, or ``<key>-dlq`` for the dead-letter queue of a queue that has one."""
    if key in manifest.QUEUES:
        return naming.queue(key)
    if key.endswith("-dlq") and manifest.QUEUES.get(key[:-4]) and manifest.QUEUES[key[:-4]].has_dlq:
        return naming.dlq(key[:-4])
    raise PolicyError(f"sqs access to unknown queue {key!r}")


def resources(access: Access, naming: Naming, secret_arns: Mapping[str, str]) -> list[str]:
    """The exact ARNs an access entry covers."""
    if access.resource == "*":
        return ["*"]
    match access.service:
        case "dynamodb":
            table = manifest.TABLES[access.resource]
            arn = naming.table_arn(table.key)
            # Query on an index is authorised against the index ARN: name each index, no wildcard.
            indexes = [f"{arn}/index/{i.name}" for i in table.indexes] if "Query" in access.actions else []
            return [arn, *indexes]
        case "sns":
            if access.resource not in manifest.TOPICS:
                raise PolicyError(f"sns access to unknown topic {access.resource!r}")
            return [naming.topic_arn(access.resource)]
        case "sqs":
            return [naming.queue_arn(_queue_name(naming, access.resource))]
        case "secretsmanager":
            return [secret_arns[access.resource]]  # the created secret's ARN, random suffix included
        case "iam":
            if access.resource not in manifest.SERVICE_ROLES:
                raise PolicyError(f"iam access to unknown role {access.resource!r}")
            return [naming.role_arn(access.resource)]
    raise PolicyError(f"no resource-level rule for {access.service} resource {access.resource!r}")


def _sid(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]+", part) if p)


def access_statements(function: Function, naming: Naming, secret_arns: Mapping[str, str]) -> list[dict]:
    """One statement per (service, resource) of the function's ``access``, actions merged and sorted."""
    merged: dict[tuple[str, str], set[str]] = {}
    for access in function.access:
        if access.service not in ACTION_PREFIX:
            raise PolicyError(f"{function.key}: unknown service {access.service!r}")
        merged.setdefault((access.service, access.resource), set()).update(access.actions)
    statements = []
    for (service, resource), actions in merged.items():
        entry = Access(service, resource, tuple(sorted(actions)))  # type: ignore[arg-type]
        statements.append({
            "Sid": _sid(service, resource if resource != "*" else "all"),
            "Effect": "Allow",
            "Action": [f"{ACTION_PREFIX[service]}:{a}" for a in entry.actions],
            "Resource": resources(entry, naming, secret_arns),
        })
    return statements


def implied_statements(function: Function, naming: Naming) -> list[dict]:
    """What the manifest's wiring needs the role to do: poll its queues, write its log group."""
    queues = sorted(naming.queue_arn(naming.queue(m.queue)) for m in manifest.EVENT_SOURCE_MAPPINGS
                    if m.function == function.key)
    statements = [{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": list(LOG_ACTIONS),
                   "Resource": [f"{log_group_arn(naming, function.key)}:*"]}]
    if queues:
        statements.append({"Sid": "PollEventSourceQueues", "Effect": "Allow", "Action": list(ESM_ACTIONS),
                           "Resource": queues})
    return statements


def function_policy(function: Function, naming: Naming, secret_arns: Mapping[str, str]) -> dict:
    return {"Version": "2012-10-17",
            "Statement": access_statements(function, naming, secret_arns) + implied_statements(function, naming)}


def scheduler_execution_policy(naming: Naming) -> dict:
    """What EventBridge Scheduler does with the execution role: invoke the targets the manifest implies
    and dead-letter to the schedules DLQ. Targets: the static schedules' functions, and each function
    that may pass this role (it creates schedules that invoke itself, ``invoked_function_arn``)."""
    passing = {fn.key for fn in manifest.FUNCTIONS.values()
               for a in fn.access if a.service == "iam" and a.resource == "scheduler-execution"}
    targets = passing | {s.function for s in manifest.STATIC_SCHEDULES}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "InvokeScheduledFunctions", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
         "Resource": sorted(naming.function_arn(key) for key in targets)},
        {"Sid": "DeadLetter", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": [naming.queue_arn(naming.queue(manifest.SCHEDULES_DLQ))]},
    ]}


def trust_policy(service: str, account: str | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if account:  # confused-deputy guard: only this account's schedules may use the role
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def to_json(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


# --- Pulumi resources ---------------------------------------------------------------------------


def function_roles(naming: Naming, secrets: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One role per function (named like the function) with its inline least-privilege policy."""
    import pulumi
    import pulumi_aws as aws

    secret_arns = pulumi.Output.all(**{key: secret.arn for key, secret in secrets.items()})
    roles, policies = {}, {}
    for key, function in manifest.FUNCTIONS.items():
        roles[key] = aws.iam.Role(
            f"role-{key}", name=naming.function(key), description=f"Lambda role of {naming.function(key)}",
            assume_role_policy=to_json(trust_policy("lambda.amazonaws.com")))
        policies[key] = aws.iam.RolePolicy(
            f"policy-{key}", role=roles[key].id, name="least-privilege",
            policy=secret_arns.apply(lambda arns, fn=function: to_json(function_policy(fn, naming, arns))))
    return roles, policies


def service_roles(naming: Naming) -> dict[str, Any]:
    import pulumi_aws as aws

    roles = {}
    for key in manifest.SERVICE_ROLES:
        if key not in SERVICE_ROLE_PRINCIPALS:
            raise PolicyError(f"service role {key!r} has no known principal (SERVICE_ROLE_PRINCIPALS)")
        roles[key] = aws.iam.Role(
            f"role-{key}", name=naming.name(key),
            assume_role_policy=to_json(trust_policy(SERVICE_ROLE_PRINCIPALS[key], naming.account)))
    if "scheduler-execution" in roles:
        aws.iam.RolePolicy("policy-scheduler-execution", role=roles["scheduler-execution"].id,
                           name="deliver-schedules", policy=to_json(scheduler_execution_policy(naming)))
    return roles
