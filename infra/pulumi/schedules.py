"""EventBridge Scheduler: the stage's schedule group, and the static schedules of the manifest.

The execution role (a manifest service role, created in ``iam.py``) is what Scheduler assumes to
deliver: the scheduler function passes it on the dynamic schedules it creates, and the static
schedules use it too. Undeliverable invocations go to the schedules DLQ after the retry policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi_aws as aws

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.data import DataPlane

RETRY_ATTEMPTS = 3
RETRY_MAX_AGE_SECONDS = 3_600


@dataclass
class Schedules:
    group: Any = None
    schedules: dict[str, Any] = field(default_factory=dict)


def deploy_schedules(naming: Naming, data: DataPlane, functions: dict[str, Any],
                     execution_role: Any) -> Schedules:
    out = Schedules(group=aws.scheduler.ScheduleGroup("schedule-group", name=naming.schedule_group()))
    dlq = data.queues[manifest.SCHEDULES_DLQ]
    for static in manifest.STATIC_SCHEDULES:
        out.schedules[static.key] = aws.scheduler.Schedule(
            f"schedule-{static.key}",
            name=naming.name(static.key),
            group_name=out.group.name,
            description=static.description,
            schedule_expression=static.expression,
            schedule_expression_timezone=static.timezone,
            state="ENABLED",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=functions[static.function].arn,
                role_arn=execution_role.arn,
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=RETRY_ATTEMPTS, maximum_event_age_in_seconds=RETRY_MAX_AGE_SECONDS),
                dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=dlq.arn),
            ),
        )
    return out
