"""Lambda functions: artifacts in S3, log groups with retention, functions, event source mappings,
and SNS -> Lambda subscriptions.

Artifacts go through an S3 bucket rather than a direct upload: the agent's zip is over the 50 MB a
direct upload allows. Objects are keyed by content hash, so byte-identical zips (functions of one
dependency group) are uploaded once and an unchanged function is not redeployed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.config import StageConfig
from infra.pulumi.data import DataPlane
from infra.pulumi.iam import log_group_name

RUNTIME = "python3.12"
ARCHITECTURE = "x86_64"  # the wheels of infra/packaging.py are manylinux x86_64


@dataclass
class Compute:
    bucket: Any = None
    objects: dict[str, Any] = field(default_factory=dict)     # by artifact sha256
    log_groups: dict[str, Any] = field(default_factory=dict)  # by function key
    functions: dict[str, Any] = field(default_factory=dict)
    mappings: list[Any] = field(default_factory=list)
    topic_subscriptions: list[Any] = field(default_factory=list)


def artifact_bucket(naming: Naming, config: StageConfig) -> Any:
    # Bucket names are global: the account id keeps ours unique.
    bucket = aws.s3.Bucket("artifacts", bucket=naming.name(f"artifacts-{naming.account}"),
                           force_destroy=not config.deletion_protection)
    aws.s3.BucketPublicAccessBlock("artifacts-private", bucket=bucket.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    return bucket


def deploy_functions(naming: Naming, config: StageConfig, data: DataPlane, roles: Mapping[str, Any],
                     policies: Mapping[str, Any], environment: Callable[[str], Any]) -> Compute:
    """``environment(function_key)`` gives the function's variables (a dict, or an Output of one)."""
    compute = Compute(bucket=artifact_bucket(naming, config))
    for key, function in manifest.FUNCTIONS.items():
        artifact = config.artifacts[key]
        if artifact.sha256 not in compute.objects:
            compute.objects[artifact.sha256] = aws.s3.BucketObjectv2(
                f"artifact-{artifact.sha256[:16]}", bucket=compute.bucket.id, key=f"lambda/{artifact.sha256}.zip",
                source=pulumi.FileAsset(artifact.path))
        compute.log_groups[key] = aws.cloudwatch.LogGroup(
            f"logs-{key}", name=log_group_name(naming, key), retention_in_days=config.log_retention_days)
        compute.functions[key] = aws.lambda_.Function(
            f"function-{key}",
            name=naming.function(key),
            description=function.description,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=function.handler,
            memory_size=function.memory,
            timeout=function.timeout,
            role=roles[key].arn,
            s3_bucket=compute.bucket.id,
            s3_key=compute.objects[artifact.sha256].key,
            source_code_hash=artifact.base64_sha256,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment(key)),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text",
                                                                 log_group=compute.log_groups[key].name),
            # The role's policy must exist before the function runs, and the log group before it
            # logs (else Lambda creates one without retention).
            opts=pulumi.ResourceOptions(depends_on=[policies[key], compute.log_groups[key]]),
        )
    for mapping in manifest.EVENT_SOURCE_MAPPINGS:
        compute.mappings.append(aws.lambda_.EventSourceMapping(
            f"esm-{mapping.queue}-to-{mapping.function}",
            event_source_arn=data.queues[mapping.queue].arn,
            function_name=compute.functions[mapping.function].arn,
            batch_size=mapping.batch_size,
            maximum_batching_window_in_seconds=mapping.maximum_batching_window or None,
            function_response_types=["ReportBatchItemFailures"] if mapping.report_batch_item_failures else [],
            enabled=True,
            # CreateEventSourceMapping checks the role can poll the queue: policy first.
            opts=pulumi.ResourceOptions(depends_on=[policies[mapping.function]]),
        ))
    for sub in getattr(manifest, "TOPIC_FUNCTION_SUBSCRIPTIONS", ()):
        fn = compute.functions[sub.function]
        topic = data.topics[sub.topic]
        permission = aws.lambda_.Permission(
            f"allow-sns-{sub.topic}-to-{sub.function}", action="lambda:InvokeFunction", function=fn.name,
            principal="sns.amazonaws.com", source_arn=topic.arn)
        compute.topic_subscriptions.append(aws.sns.TopicSubscription(
            f"subscription-{sub.topic}-to-fn-{sub.function}", topic=topic.arn, protocol="lambda",
            endpoint=fn.arn, opts=pulumi.ResourceOptions(depends_on=[permission])))
    return compute
