"""Create every resource of ``infra/manifest.py`` in the emulator, through the AWS API only.

Idempotent: creating what exists is skipped, so ``provision`` can run against a backend that
survived a restart. Returns the physical identifiers the event plane needs (queue URLs and ARNs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from infra import manifest
from infra.manifest import Naming


@dataclass
class Provisioned:
    queue_urls: dict[str, str] = field(default_factory=dict)  # queue name -> URL (queues and DLQs)
    topic_arns: dict[str, str] = field(default_factory=dict)  # logical key -> ARN


def provision(session: Any, naming: Naming, secret_values: dict[str, dict[str, str]] | None = None) -> Provisioned:
    """``session`` is a boto3 session pointed at the emulator; ``secret_values`` seeds secrets by key."""
    out = Provisioned()
    ddb, sns, sqs = session.client("dynamodb"), session.client("sns"), session.client("sqs")
    for table in manifest.TABLES.values():
        _create_table(ddb, naming.table(table.key), table)
    for key in manifest.TOPICS:
        out.topic_arns[key] = sns.create_topic(Name=naming.topic(key))["TopicArn"]
    for queue in manifest.QUEUES.values():
        _create_queue(sqs, naming, queue, out)
    for sub in manifest.SUBSCRIPTIONS:
        _subscribe(sns, sqs, naming, sub, out)
    _create_secrets(session.client("secretsmanager"), naming, secret_values or {})
    _create_roles(session.client("iam"), naming)
    _create_schedule_group(session.client("scheduler"), naming)
    _create_alarms(session.client("cloudwatch"), naming, out)
    return out


def _create_table(ddb: Any, name: str, table: manifest.Table) -> None:
    key_schema = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
    if table.range_key:
        key_schema.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": key_schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in table.attributes()],
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [{
            "IndexName": index.name,
            "KeySchema": [{"AttributeName": index.hash_key, "KeyType": "HASH"}]
            + ([{"AttributeName": index.range_key, "KeyType": "RANGE"}] if index.range_key else []),
            "Projection": {"ProjectionType": "ALL"},
        } for index in table.indexes]
    try:
        ddb.create_table(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if table.ttl_attribute:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": table.ttl_attribute})


def _create_queue(sqs: Any, naming: Naming, queue: manifest.Queue, out: Provisioned) -> None:
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout),
                  "MessageRetentionPeriod": str(queue.retention)}
    if queue.has_dlq:
        dlq_name = naming.dlq(queue.key)
        out.queue_urls[dlq_name] = sqs.create_queue(
            QueueName=dlq_name, Attributes={"MessageRetentionPeriod": str(queue.dlq_retention)})["QueueUrl"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": naming.queue_arn(dlq_name),
                                                  "maxReceiveCount": str(queue.max_receive_count)})
    name = naming.queue(queue.key)
    out.queue_urls[name] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def _subscribe(sns: Any, sqs: Any, naming: Naming, sub: manifest.Subscription, out: Provisioned) -> None:
    topic_arn = out.topic_arns[sub.topic]
    queue_name = naming.queue(sub.queue)
    queue_arn = naming.queue_arn(queue_name)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=out.queue_urls[queue_name], Attributes={"Policy": json.dumps(policy)})
    existing = sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])
    if any(s["Endpoint"] == queue_arn for s in existing):
        return
    attributes = {"RawMessageDelivery": "true" if sub.raw_message_delivery else "false"}
    if sub.filter_policy:
        attributes["FilterPolicy"] = json.dumps(sub.filter_policy)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)


def _create_secrets(client: Any, naming: Naming, values: dict[str, dict[str, str]]) -> None:
    for key, secret in manifest.SECRETS.items():
        name = naming.secret(key)
        value = json.dumps(values.get(key, {}))
        try:
            client.create_secret(Name=name, Description=secret.description, SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            client.put_secret_value(SecretId=name, SecretString=value)


def _create_roles(iam: Any, naming: Naming) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "scheduler.amazonaws.com"}}]}
    for key in manifest.SERVICE_ROLES:
        try:
            iam.create_role(RoleName=naming.name(key), AssumeRolePolicyDocument=json.dumps(trust))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                raise


def _create_schedule_group(scheduler: Any, naming: Naming) -> None:
    try:
        scheduler.create_schedule_group(Name=naming.schedule_group())
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("ConflictException", "ResourceAlreadyExistsException"):
            raise


def _create_alarms(cloudwatch: Any, naming: Naming, out: Provisioned) -> None:
    for alarm in manifest.alarms(naming):
        name = naming.name(alarm.key)
        cloudwatch.put_metric_alarm(
            AlarmName=name, AlarmDescription=alarm.description, Namespace=alarm.namespace,
            MetricName=alarm.metric, Dimensions=[{"Name": alarm.dimension[0], "Value": alarm.dimension[1]}],
            Statistic=alarm.statistic, Period=alarm.period, EvaluationPeriods=alarm.evaluation_periods,
            Threshold=alarm.threshold, ComparisonOperator=alarm.comparison,
            TreatMissingData=alarm.treat_missing_data, ActionsEnabled=True,
            AlarmActions=[out.topic_arns[alarm.actions_topic]], OKActions=[out.topic_arns[alarm.actions_topic]])
        # A new alarm starts in INSUFFICIENT_DATA on AWS (moto starts it in OK).
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="INSUFFICIENT_DATA",
                                   StateReason="Unchecked: Initial alarm creation")
