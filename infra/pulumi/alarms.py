"""CloudWatch alarms of the manifest, with their SNS actions.

The manifest lists alarms either as ``ALARMS`` or through ``alarms(naming)`` (physical names in
the dimensions); a manifest with neither deploys no alarm.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.data import DataPlane


def manifest_alarms(naming: Naming) -> tuple[Any, ...]:
    factory = getattr(manifest, "alarms", None)
    if callable(factory):
        return tuple(factory(naming))
    return tuple(getattr(manifest, "ALARMS", ()))


def deploy_alarms(naming: Naming, data: DataPlane) -> dict[str, Any]:
    alarms = {}
    for alarm in manifest_alarms(naming):
        actions = [data.topics[alarm.actions_topic].arn] if getattr(alarm, "actions_topic", None) else []
        name, value = alarm.dimension
        alarms[alarm.key] = aws.cloudwatch.MetricAlarm(
            f"alarm-{alarm.key}",
            name=naming.name(alarm.key),
            alarm_description=getattr(alarm, "description", "") or None,
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            dimensions={name: value},
            statistic=alarm.statistic,
            period=alarm.period,
            evaluation_periods=alarm.evaluation_periods,
            threshold=alarm.threshold,
            comparison_operator=alarm.comparison,
            treat_missing_data=getattr(alarm, "treat_missing_data", "missing"),
            actions_enabled=True,
            # OK too: the operator hears when a DLQ is empty again, as locally.
            alarm_actions=actions,
            ok_actions=actions,
        )
    return alarms
