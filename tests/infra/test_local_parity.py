"""Parity: what local provisioning creates in the emulator is what the Pulumi program declares.

Local provisioning runs against moto (in-process), and the result is read back through the AWS
API (DescribeTable, DescribeTimeToLive, GetQueueAttributes, ListSubscriptions, ...). The same
description is built from the Pulumi program's declarations under mocks; both must equal each
other and the manifest.
"""

from __future__ import annotations

import json

import boto3
import moto
import pytest

from infra import manifest
from infra.manifest import Naming
from infra.pulumi.alarms import manifest_alarms
from tests.infra.pulumi_mocks import run_deploy, stage_config
from tests.support.aws import provision_manifest

NAMING = Naming()  # moto's default account, so ARNs compare as they are


def _gsis(indexes) -> dict:
    return {i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]],
                             i["Projection"]["ProjectionType"]) for i in indexes}


def read_back_local() -> dict:
    with moto.mock_aws():
        provision_manifest(NAMING)
        client = boto3.session.Session(region_name=NAMING.region).client
        ddb, sqs, sns = client("dynamodb"), client("sqs"), client("sns")
        tables = {}
        for name in ddb.list_tables()["TableNames"]:
            table = ddb.describe_table(TableName=name)["Table"]
            ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            tables[name] = {
                "keys": [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]],
                "billing": table["BillingModeSummary"]["BillingMode"],
                "gsis": _gsis(table.get("GlobalSecondaryIndexes", [])),
                "ttl": ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None,
            }
        queues, policies = {}, {}
        for url in sqs.list_queues()["QueueUrls"]:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            name = attrs["QueueArn"].rsplit(":", 1)[1]
            redrive = json.loads(attrs.get("RedrivePolicy", "null"))
            queues[name] = {"visibility": int(attrs["VisibilityTimeout"]),
                            "retention": int(attrs["MessageRetentionPeriod"]),
                            "redrive": (redrive["deadLetterTargetArn"], int(redrive["maxReceiveCount"]))
                            if redrive else None}
            if "Policy" in attrs:
                policies[name] = _allowed_sources(json.loads(attrs["Policy"]))
        subscriptions = set()
        for sub in sns.list_subscriptions()["Subscriptions"]:
            if sub["Protocol"] != "sqs":
                continue
            attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            subscriptions.add((sub["TopicArn"], sub["Endpoint"], attrs.get("RawMessageDelivery") == "true",
                               attrs.get("FilterPolicy")))
        alarms = {a["AlarmName"]: _alarm(a["Namespace"], a["MetricName"],
                                         {d["Name"]: d["Value"] for d in a["Dimensions"]}, a["Statistic"],
                                         a["Period"], a["EvaluationPeriods"], a["Threshold"],
                                         a["ComparisonOperator"], a["AlarmActions"])
                  for a in client("cloudwatch").describe_alarms()["MetricAlarms"]}
        return {
            "tables": tables, "queues": queues, "queue_policies": policies, "subscriptions": subscriptions,
            "topics": {t["TopicArn"] for t in sns.list_topics()["Topics"]},
            "secrets": {s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]},
            "service_roles": {r["RoleName"] for r in client("iam").list_roles()["Roles"]},
            "schedule_groups": {g["Name"] for g in client("scheduler").list_schedule_groups()["ScheduleGroups"]
                                if g["Name"] != "default"},
            "alarms": alarms,
        }


def _allowed_sources(policy: dict) -> set[str]:
    return {s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in policy["Statement"]
            if s["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])}


def _alarm(namespace, metric, dimensions, statistic, period, evaluations, threshold, comparison, actions):
    return (namespace, metric, tuple(sorted(dimensions.items())), statistic, int(period), int(evaluations),
            float(threshold), comparison, tuple(actions))


def declared_by_pulumi(tmp_path) -> dict:
    recording, _ = run_deploy(stage_config(tmp_path), naming=NAMING)
    arn_of = {r.state["name"]: r.state["arn"] for r in recording.of_type("sqs/queue:Queue")}
    tables = {}
    for t in recording.of_type("dynamodb/table:Table"):
        i = t.inputs
        tables[i["name"]] = {
            "keys": [(i["hashKey"], "HASH")] + ([(i["rangeKey"], "RANGE")] if i.get("rangeKey") else []),
            "billing": i["billingMode"],
            "gsis": {g["name"]: ([(k["attributeName"], k["keyType"]) for k in g["keySchemas"]], g["projectionType"])
                     for g in i.get("globalSecondaryIndexes", [])},
            "ttl": i["ttl"]["attributeName"] if i.get("ttl", {}).get("enabled") else None,
        }
    queues = {}
    for q in recording.of_type("sqs/queue:Queue"):
        redrive = json.loads(q.inputs.get("redrivePolicy") or "null")
        queues[q.inputs["name"]] = {"visibility": int(q.inputs.get("visibilityTimeoutSeconds", 30)),
                                    "retention": int(q.inputs["messageRetentionSeconds"]),
                                    "redrive": (redrive["deadLetterTargetArn"], int(redrive["maxReceiveCount"]))
                                    if redrive else None}
    url_to_name = {r.state["url"]: r.state["name"] for r in recording.of_type("sqs/queue:Queue")}
    subscriptions = {(s.inputs["topic"], s.inputs["endpoint"], bool(s.inputs.get("rawMessageDelivery")),
                      s.inputs.get("filterPolicy"))
                     for s in recording.of_type("sns/topicSubscription:TopicSubscription") if s.inputs["protocol"] == "sqs"}
    assert all(endpoint in arn_of.values() for _, endpoint, _, _ in subscriptions)
    return {
        "tables": tables, "queues": queues, "subscriptions": subscriptions,
        "queue_policies": {url_to_name[p.inputs["queueUrl"]]: _allowed_sources(json.loads(p.inputs["policy"]))
                           for p in recording.of_type("sqs/queuePolicy:QueuePolicy")},
        "topics": {t.state["arn"] for t in recording.of_type("sns/topic:Topic")},
        "secrets": {s.inputs["name"] for s in recording.of_type("secretsmanager/secret:Secret")},
        "service_roles": {NAMING.name(k) for k in manifest.SERVICE_ROLES},
        "schedule_groups": {g.inputs["name"] for g in recording.of_type("scheduler/scheduleGroup:ScheduleGroup")},
        "alarms": {a.inputs["name"]: _alarm(a.inputs["namespace"], a.inputs["metricName"], a.inputs["dimensions"],
                                            a.inputs["statistic"], a.inputs["period"], a.inputs["evaluationPeriods"],
                                            a.inputs["threshold"], a.inputs["comparisonOperator"],
                                            a.inputs.get("alarmActions", []))
                   for a in recording.of_type("cloudwatch/metricAlarm:MetricAlarm")},
    }


@pytest.fixture(scope="module")
def local() -> dict:
    return read_back_local()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory) -> dict:
    return declared_by_pulumi(tmp_path_factory.mktemp("parity"))


@pytest.mark.parametrize("part", ["tables", "queues", "queue_policies", "subscriptions", "topics", "secrets",
                                  "service_roles", "schedule_groups", "alarms"])
def test_local_provisioning_matches_the_pulumi_program(local, cloud, part):
    assert local[part] == cloud[part]


def test_local_provisioning_matches_the_manifest(local):
    n = NAMING
    assert set(local["tables"]) == {n.table(k) for k in manifest.TABLES}
    for table in manifest.TABLES.values():
        got = local["tables"][n.table(table.key)]
        assert got["ttl"] == table.ttl_attribute and set(got["gsis"]) == {i.name for i in table.indexes}
    for queue in manifest.QUEUES.values():
        got = local["queues"][n.queue(queue.key)]
        assert (got["visibility"], got["retention"]) == (queue.visibility_timeout, queue.retention)
        expected = (n.queue_arn(n.dlq(queue.key)), queue.max_receive_count) if queue.has_dlq else None
        assert got["redrive"] == expected
    assert {(t, e, raw) for t, e, raw, _ in local["subscriptions"]} == {
        (n.topic_arn(s.topic), n.queue_arn(n.queue(s.queue)), s.raw_message_delivery) for s in manifest.SUBSCRIPTIONS}
    assert set(local["alarms"]) == {n.name(a.key) for a in manifest_alarms(n)}
