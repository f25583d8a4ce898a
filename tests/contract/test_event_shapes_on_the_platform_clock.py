"""Event-plane output against the emulator (moto, in-process), held to what AWS sends: SQS record
timestamps on the platform clock, SNS subscription ARNs, CloudWatch alarm notifications."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulation.runtime.alarms import AlarmEvaluator, aws_time, region_name
from emulation.runtime.clock import PlatformClock
from emulation.runtime.events import sqs_record
from emulation.runtime.functions import Invocation
from emulation.runtime.pollers import PollerSpec, SqsPoller
from emulation.runtime.sns_lambda import create_bridge, sns_event

REGION, ACCOUNT = "us-east-1", "123456789012"
FROZEN = datetime(2026, 7, 4, 12, 0, tzinfo=UTC)


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


@pytest.fixture()
def aws():
    with mock_aws():
        yield lambda name: boto3.client(name, region_name=REGION)


class Runner:
    """Records what the poller hands the function."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, function: str, event: dict[str, Any], trace_id: str | None = None) -> Invocation:
        self.events.append(event)
        return Invocation(function=function, request_id="r-1")


def test_the_platform_clock_maps_wall_time_through_freezes_and_advances():
    clock = PlatformClock(frozen_at=FROZEN)
    before = datetime.now(UTC)
    assert clock.at_wall(before) == FROZEN
    clock.advance(timedelta(hours=2))
    assert clock.at_wall(before) == FROZEN  # what it was then, not now
    assert clock.at_wall(datetime.now(UTC)) == FROZEN + timedelta(hours=2)
    clock.unfreeze()
    later = datetime.now(UTC) + timedelta(seconds=10)
    assert abs((clock.at_wall(later) - (FROZEN + timedelta(hours=2, seconds=10))).total_seconds()) < 1


def test_sqs_records_carry_sent_and_first_receive_times_of_the_platform_clock(aws):
    sqs, clock = aws("sqs"), PlatformClock(frozen_at=FROZEN)
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"id": "msg_1"}')
    clock.advance(timedelta(seconds=90))  # it waited in the queue for 90 s of platform time
    runner = Runner()
    spec = PollerSpec(function="worker", queue_url=url, queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:work",
                      batch_size=10, report_batch_item_failures=True, visibility_timeout=30, region=REGION)
    assert SqsPoller(spec, sqs, runner, clock).poll_once() == 1
    attributes = runner.events[0]["Records"][0]["attributes"]
    assert attributes["SentTimestamp"] == ms(FROZEN)
    assert attributes["ApproximateFirstReceiveTimestamp"] == ms(FROZEN + timedelta(seconds=90))
    assert attributes["ApproximateReceiveCount"] == "1"


def test_a_redelivered_record_keeps_its_first_receive_time(aws):
    sqs, clock = aws("sqs"), PlatformClock(frozen_at=FROZEN)
    url = sqs.create_queue(QueueName="again")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    clock.advance(timedelta(minutes=5))
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    records = [sqs_record(m, "arn:aws:sqs:us-east-1:1:again", REGION, clock) for m in (first, second)]
    assert [r["attributes"]["ApproximateFirstReceiveTimestamp"] for r in records] == [ms(FROZEN)] * 2
    assert [r["attributes"]["ApproximateReceiveCount"] for r in records] == ["1", "2"]
    assert sqs_record(second, "arn:aws:sqs:us-east-1:1:again", REGION)["attributes"]["SentTimestamp"] != ms(FROZEN)


def test_sns_lambda_subscriptions_have_uuid_arns_and_platform_timestamps(aws):
    sqs, sns, clock = aws("sqs"), aws("sns"), PlatformClock(frozen_at=FROZEN)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url, arn = create_bridge(sqs, sns, topic, "rez-platform-alerts-to-notify", REGION, ACCOUNT)
    assert re.fullmatch(re.escape(topic) + r":[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", arn)
    assert create_bridge(sqs, sns, topic, "rez-platform-alerts-to-notify", REGION, ACCOUNT) == (url, arn)  # again
    sns.publish(TopicArn=topic, Message="hello")
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    record = sns_event([message], arn, clock)["Records"][0]
    assert record["EventSubscriptionArn"] == arn and record["Sns"]["Message"] == "hello"
    assert record["Sns"]["Timestamp"] == "2026-07-04T12:00:00.000Z"


class _Metrics:
    def sample_queues(self) -> None:
        pass


def test_alarm_notifications_are_worded_and_timed_as_cloudwatch_sends_them(aws):
    sqs, sns, cloudwatch = aws("sqs"), aws("sns"), aws("cloudwatch")
    clock = PlatformClock(frozen_at=datetime(2026, 12, 2, 13, 45, 0, 123000, tzinfo=UTC))
    topic = sns.create_topic(Name="ops")["TopicArn"]
    inbox = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:ops-inbox")
    cloudwatch.put_metric_alarm(
        AlarmName="dlq-not-empty", AlarmDescription="Dead letters waiting", Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible", Dimensions=[{"Name": "QueueName", "Value": "dlq"}],
        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="missing", AlarmActions=[topic])
    cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateNumberOfMessagesVisible", "Dimensions": [{"Name": "QueueName", "Value": "dlq"}],
        "Timestamp": clock.now() - timedelta(seconds=30), "Value": 3.0}])
    evaluator = AlarmEvaluator(cloudwatch, sns, clock, _Metrics(), REGION, ACCOUNT)
    assert evaluator.evaluate() == [{"alarm": "dlq-not-empty", "from": "OK", "to": "ALARM"}]
    envelope = json.loads(sqs.receive_message(QueueUrl=inbox)["Messages"][0]["Body"])
    assert envelope["Subject"] == 'ALARM: "dlq-not-empty" in US East (N. Virginia)'
    alarm = json.loads(envelope["Message"])
    assert alarm["Region"] == "US East (N. Virginia)"
    assert alarm["StateChangeTime"] == "2026-12-02T13:45:00.123+0000"
    assert alarm["AlarmConfigurationUpdatedTimestamp"] == "2026-12-02T13:45:00.123+0000"  # created then, platform time
    assert alarm["NewStateReason"] == (
        "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (02/12/26 13:44:00)] was greater than the "
        "threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).")
    assert (alarm["AlarmName"], alarm["AlarmDescription"], alarm["AWSAccountId"], alarm["NewStateValue"],
            alarm["OldStateValue"]) == ("dlq-not-empty", "Dead letters waiting", ACCOUNT, "ALARM", "OK")
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:dlq-not-empty"
    trigger = alarm["Trigger"]
    assert trigger["Statistic"] == "MAXIMUM" and trigger["StatisticType"] == "Statistic"
    assert trigger["Dimensions"] == [{"value": "dlq", "name": "QueueName"}] and trigger["DatapointsToAlarm"] == 1
    assert aws_time(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "2026-01-02T03:04:05.006+0000"
    assert region_name("eu-west-1") == "EU (Ireland)" and region_name("xx-new-1") == "xx-new-1"
