"""The data plane: DynamoDB tables, SNS topics, SQS queues and their DLQs, subscriptions, secrets.

Physical names come from ``Naming`` (no Pulumi auto-suffix), so the names handed to functions as
environment are the names of these resources — the same rule the local provisioning follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.config import StageConfig


@dataclass
class DataPlane:
    tables: dict[str, Any] = field(default_factory=dict)
    topics: dict[str, Any] = field(default_factory=dict)
    queues: dict[str, Any] = field(default_factory=dict)  # by queue key
    dlqs: dict[str, Any] = field(default_factory=dict)    # by the key of the queue they serve
    queue_policies: dict[str, Any] = field(default_factory=dict)
    subscriptions: list[Any] = field(default_factory=list)
    secrets: dict[str, Any] = field(default_factory=dict)


def deploy_data(naming: Naming, config: StageConfig) -> DataPlane:
    plane = DataPlane()
    for table in manifest.TABLES.values():
        plane.tables[table.key] = _table(naming, table, config)
    for key in manifest.TOPICS:
        plane.topics[key] = aws.sns.Topic(f"topic-{key}", name=naming.topic(key))
    for queue in manifest.QUEUES.values():
        _queue(naming, queue, plane)
    _subscriptions(naming, plane)
    for key, secret in manifest.SECRETS.items():
        # A placeholder: the value is put out of band (`aws secretsmanager put-secret-value`), never here.
        plane.secrets[key] = aws.secretsmanager.Secret(
            f"secret-{key}", name=naming.secret(key), description=secret.description,
            recovery_window_in_days=config.secret_recovery_days,
            opts=pulumi.ResourceOptions(protect=config.deletion_protection))
    return plane


def _table(naming: Naming, table: manifest.Table, config: StageConfig) -> Any:
    indexes = [aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index.name, projection_type="ALL",
        key_schemas=[aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=index.hash_key, key_type="HASH")]
        + ([aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=index.range_key, key_type="RANGE")]
           if index.range_key else []))
        for index in table.indexes]
    return aws.dynamodb.Table(
        f"table-{table.key}",
        name=naming.table(table.key),
        billing_mode="PAY_PER_REQUEST",
        hash_key=table.hash_key,
        range_key=table.range_key,
        attributes=[aws.dynamodb.TableAttributeArgs(name=a, type="S") for a in table.attributes()],
        global_secondary_indexes=indexes or None,
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=table.ttl_attribute, enabled=True)
        if table.ttl_attribute else None,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
        # enabled=True: encrypted with the AWS-managed KMS key (auditable in CloudTrail), not the
        # opaque AWS-owned default.
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
        deletion_protection_enabled=config.deletion_protection,
    )


def _queue(naming: Naming, queue: manifest.Queue, plane: DataPlane) -> None:
    redrive = None
    if queue.has_dlq:
        dlq = aws.sqs.Queue(
            f"dlq-{queue.key}", name=naming.dlq(queue.key), message_retention_seconds=queue.dlq_retention,
            sqs_managed_sse_enabled=True,
            # Only the queue it serves may dead-letter into it (and `rez dlq redrive` moves back there).
            redrive_allow_policy=json.dumps({"redrivePermission": "byQueue",
                                             "sourceQueueArns": [naming.queue_arn(naming.queue(queue.key))]}))
        plane.dlqs[queue.key] = dlq
        redrive = dlq.arn.apply(lambda arn, q=queue: json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": q.max_receive_count}))
    plane.queues[queue.key] = aws.sqs.Queue(
        f"queue-{queue.key}", name=naming.queue(queue.key), visibility_timeout_seconds=queue.visibility_timeout,
        message_retention_seconds=queue.retention, sqs_managed_sse_enabled=True, redrive_policy=redrive)


def _subscriptions(naming: Naming, plane: DataPlane) -> None:
    by_queue: dict[str, list[manifest.Subscription]] = {}
    for sub in manifest.SUBSCRIPTIONS:
        by_queue.setdefault(sub.queue, []).append(sub)
    for queue_key, subs in by_queue.items():
        # One policy per queue (SQS keeps one): SNS may send only from the topics subscribed to it.
        queue_arn = naming.queue_arn(naming.queue(queue_key))
        policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": f"FromTopic{i}", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": naming.topic_arn(sub.topic)}}} for i, sub in enumerate(subs)]}
        plane.queue_policies[queue_key] = aws.sqs.QueuePolicy(
            f"queue-policy-{queue_key}", queue_url=plane.queues[queue_key].url, policy=json.dumps(policy))
        for sub in subs:
            plane.subscriptions.append(aws.sns.TopicSubscription(
                f"subscription-{sub.topic}-to-{sub.queue}", topic=plane.topics[sub.topic].arn, protocol="sqs",
                endpoint=plane.queues[sub.queue].arn, raw_message_delivery=sub.raw_message_delivery,
                filter_policy=json.dumps(sub.filter_policy) if sub.filter_policy else None,
                opts=pulumi.ResourceOptions(depends_on=[plane.queue_policies[queue_key]])))
