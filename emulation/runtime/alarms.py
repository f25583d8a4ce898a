"""CloudWatch alarm evaluation on the platform clock (moto stores alarms but never evaluates them).

Every minute of platform time: sample the queue metrics, then for each alarm read its metric for
the last ``EvaluationPeriods`` periods through ``GetMetricStatistics`` and decide the state:
ALARM when every period breaches the threshold, OK otherwise, and a period without a datapoint
treated as ``TreatMissingData`` says (missing -> INSUFFICIENT_DATA; "M out of N" = N out of N). A state change is written
with ``SetAlarmState`` and, like CloudWatch, publishes the alarm notification JSON to each action
topic (``AlarmActions`` for ALARM, ``OKActions`` for OK) in CloudWatch's own format: the region's
long name (``US East (N. Virginia)``), times as ``2026-12-02T13:45:00.123+0000`` on the platform
clock, the ``Threshold Crossed: ... datapoints [v (dd/mm/yy HH:MM:SS)] ...`` reason.

LIMITATIONS: one statistic per alarm (no extended statistics, no metric math, no anomaly detection,
no composite alarms); DatapointsToAlarm is ignored; actions are SNS topics only.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from emulation.runtime.clock import PlatformClock
from emulation.runtime.metrics import MetricsPublisher

logger = logging.getLogger(__name__)

_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


def decide(values: list[float | None], threshold: float, comparison: str, treat_missing: str = "missing",
           current: str = "INSUFFICIENT_DATA") -> str:
    """The state for one evaluation, honouring ``TreatMissingData``."""
    breaches: list[bool] = []
    for value in values:
        if value is not None:
            breaches.append(_COMPARE[comparison](value, threshold))
        elif treat_missing == "notBreaching":
            breaches.append(False)
        elif treat_missing == "breaching":
            breaches.append(True)
        elif treat_missing == "missing":
            return "INSUFFICIENT_DATA"
    if not breaches:  # "ignore" with no data: the alarm keeps its state
        return current
    return "ALARM" if all(breaches) else "OK"


class AlarmEvaluator:
    def __init__(self, cloudwatch: Any, sns: Any, clock: PlatformClock, metrics: MetricsPublisher,
                 region: str, account: str, interval: timedelta = timedelta(minutes=1), *,
                 sqs: Any = None, queue_urls: dict[str, str] | None = None, traces: Any = None) -> None:
        self._sqs, self._queue_urls, self._traces = sqs, queue_urls or {}, traces
        self._cw, self._sns, self._clock, self._metrics = cloudwatch, sns, clock, metrics
        self._region, self._account = region, account
        self._interval = interval
        self._timer = None
        self._stopped = False
        self.transitions: list[dict[str, Any]] = []

    def start(self) -> None:
        self._schedule()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._clock.cancel(self._timer)

    def _schedule(self) -> None:
        if not self._stopped:
            self._timer = self._clock.call_at(self._clock.next_periodic(self._interval), self._tick)

    def _tick(self) -> None:
        try:
            self.evaluate()
        except Exception:
            logger.exception("alarm evaluation failed")
        finally:
            self._schedule()

    def evaluate(self) -> list[dict[str, Any]]:
        self._metrics.sample_queues()
        now = self._clock.now()
        changed = []
        for alarm in self._cw.describe_alarms(AlarmTypes=["MetricAlarm"])["MetricAlarms"]:
            period, periods = alarm["Period"], alarm["EvaluationPeriods"]
            statistic = alarm["Statistic"]
            values: list[float | None] = []
            for index in range(periods):
                end = now - timedelta(seconds=period * index)
                points = self._cw.get_metric_statistics(
                    Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
                    StartTime=end - timedelta(seconds=period), EndTime=end + timedelta(seconds=1),
                    Period=period, Statistics=[statistic])["Datapoints"]
                values.append(_combine(statistic, [p[statistic] for p in points]) if points else None)
            state = decide(values, alarm["Threshold"], alarm["ComparisonOperator"],
                           alarm.get("TreatMissingData", "missing"), alarm["StateValue"])
            if state != alarm["StateValue"]:
                reason = state_reason(alarm, state, values, now)
                self._transition(alarm, state, reason, now)
                changed.append({"alarm": alarm["AlarmName"], "from": alarm["StateValue"], "to": state})
        self.transitions.extend(changed)
        return changed

    def _transition(self, alarm: dict[str, Any], state: str, reason: str, now) -> None:
        # The evaluator runs the actions itself; backends that act on SetAlarmState (LocalStack,
        # Ministack) must not notify a second time.
        name = alarm["AlarmName"]
        self._cw.disable_alarm_actions(AlarmNames=[name])
        try:
            self._cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
        finally:
            if alarm.get("ActionsEnabled", True):
                self._cw.enable_alarm_actions(AlarmNames=[name])
        actions = {"ALARM": alarm.get("AlarmActions", []), "OK": alarm.get("OKActions", []),
                   "INSUFFICIENT_DATA": alarm.get("InsufficientDataActions", [])}[state]
        if not alarm.get("ActionsEnabled", True):
            return
        updated = alarm.get("AlarmConfigurationUpdatedTimestamp")  # the emulator's wall-clock stamp
        updated = self._clock.at_wall(updated) if isinstance(updated, datetime) else now
        notification = {
            "AlarmName": alarm["AlarmName"], "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": self._account, "AlarmConfigurationUpdatedTimestamp": aws_time(updated),
            "NewStateValue": state, "NewStateReason": reason, "StateChangeTime": aws_time(now),
            "Region": region_name(self._region), "AlarmArn": alarm["AlarmArn"], "OldStateValue": alarm["StateValue"],
            "OKActions": alarm.get("OKActions", []), "AlarmActions": alarm.get("AlarmActions", []),
            "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
            "Trigger": {"MetricName": alarm["MetricName"], "Namespace": alarm["Namespace"],
                        "StatisticType": "Statistic", "Statistic": alarm["Statistic"].upper(), "Unit": None,
                        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm["Dimensions"]],
                        "Period": alarm["Period"], "EvaluationPeriods": alarm["EvaluationPeriods"],
                        "DatapointsToAlarm": alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"]),
                        "ComparisonOperator": alarm["ComparisonOperator"], "Threshold": alarm["Threshold"],
                        "TreatMissingData": alarm.get("TreatMissingData", "missing"),
                        "EvaluateLowSampleCountPercentile": ""},
        }
        message = json.dumps(notification)
        self._trace_dead_letters(alarm, state, message, now)
        for topic_arn in actions:
            self._sns.publish(TopicArn=topic_arn, Subject=f'{state}: "{alarm["AlarmName"]}" in {region_name(self._region)}'[:100],
                              Message=message)

    def _trace_dead_letters(self, alarm: dict[str, Any], state: str, message: str, now) -> None:
        """Continue the traces of the dead-lettered messages: DLQ -> CloudWatch -> the alarm's action.

        (The move into the DLQ is recorded by the poller, where it happens: ``redrive_trace.py``.)"""
        queue = next((d["Value"] for d in alarm["Dimensions"] if d["Name"] == "QueueName"), None)
        if not (self._traces and self._sqs and queue in self._queue_urls and state == "ALARM"):
            return
        import hashlib

        peeked = self._sqs.receive_message(QueueUrl=self._queue_urls[queue], MaxNumberOfMessages=10,
                                           VisibilityTimeout=0).get("Messages", [])
        at = now.isoformat()
        for dead in peeked:
            trace_id = self._traces.trace_for_body(hashlib.md5(dead["Body"].encode()).hexdigest())
            if not trace_id:
                continue
            self._traces.add(trace_id, "Dead Letter Queue", "CloudWatch", "ApproximateNumberOfMessagesVisible > 0",
                             "aws", at)
            self._traces.add(trace_id, "CloudWatch", "Monitoring Alert", f"{state}: {alarm['AlarmName']}", "aws", at)
            self._traces.link_body(hashlib.md5(message.encode()).hexdigest(), trace_id)


def _combine(statistic: str, values: list[float]) -> float:
    if statistic == "Sum":
        return sum(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Average":
        return sum(values) / len(values)
    if statistic == "SampleCount":
        return float(len(values))
    return max(values)


def aws_time(moment: datetime) -> str:
    """CloudWatch's timestamp in alarm notifications: ``2026-12-02T13:45:00.123+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def region_name(region: str) -> str:
    """The long name CloudWatch writes in notifications ("US East (N. Virginia)")."""
    return REGION_NAMES.get(region, region)


def state_reason(alarm: dict[str, Any], state: str, values: list[float | None], now: datetime) -> str:
    """``NewStateReason`` worded as CloudWatch words it for a single-metric alarm."""
    period, count = alarm["Period"], len(values)
    present = [(v, now - timedelta(seconds=period * (i + 1))) for i, v in enumerate(values) if v is not None]
    if state == "INSUFFICIENT_DATA" or not present:
        return (f"Insufficient Data: {count} datapoint{'s' if count != 1 else ''} "
                f"{'were' if count != 1 else 'was'} unknown.")
    points = ", ".join(f"{float(v)!r} ({at.astimezone(UTC):%d/%m/%y %H:%M:%S})" for v, at in present)
    needed = alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"])
    words = _COMPARE_WORDS[alarm["ComparisonOperator"]]
    if state == "OK":
        words = "not " + words
    transition = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
    return (f"Threshold Crossed: {len(present)} out of the last {count} datapoints [{points}] was {words} "
            f"the threshold ({float(alarm['Threshold'])}) (minimum {needed} datapoint{'s' if needed != 1 else ''} "
            f"for {transition} transition).")


_COMPARE_WORDS = {
    "GreaterThanThreshold": "greater than", "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than", "LessThanOrEqualToThreshold": "less than or equal to",
}

# The names CloudWatch uses in notifications, as in the AWS console's region list.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "ca-central-1": "Canada (Central)", "ca-west-1": "Canada West (Calgary)",
    "sa-east-1": "South America (Sao Paulo)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)", "eu-central-1": "EU (Frankfurt)", "eu-central-2": "EU (Zurich)",
    "eu-north-1": "EU (Stockholm)", "eu-south-1": "EU (Milan)", "eu-south-2": "EU (Spain)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)", "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-south-1": "Asia Pacific (Mumbai)", "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-east-1": "Asia Pacific (Hong Kong)", "me-south-1": "Middle East (Bahrain)",
    "me-central-1": "Middle East (UAE)", "il-central-1": "Israel (Tel Aviv)", "af-south-1": "Africa (Cape Town)",
    "us-gov-west-1": "AWS GovCloud (US-West)", "us-gov-east-1": "AWS GovCloud (US-East)",
}
