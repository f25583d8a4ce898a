"""Every resource of the manifest is declared by the Pulumi program, with the manifest's settings.

The program runs under Pulumi's mocks (no CLI, no cloud); expectations are read from the manifest
here, independently of how the program reads it.
"""

from __future__ import annotations

import json

import pytest

from infra import manifest
from infra.pulumi.alarms import manifest_alarms
from tests.infra.pulumi_mocks import API_ID, NAMING

N = NAMING


def test_tables_have_keys_indexes_ttl_recovery_and_encryption(declared):
    assert {t.inputs["name"] for t in declared.of_type("dynamodb/table:Table")} == \
        {N.table(k) for k in manifest.TABLES}
    for table in manifest.TABLES.values():
        got = declared.one("dynamodb/table:Table", name=N.table(table.key)).inputs
        assert got["hashKey"] == table.hash_key and got.get("rangeKey") == table.range_key
        assert got["billingMode"] == "PAY_PER_REQUEST"
        assert {(a["name"], a["type"]) for a in got["attributes"]} == {(a, "S") for a in table.attributes()}
        indexes = {i["name"]: i for i in got.get("globalSecondaryIndexes", [])}
        assert set(indexes) == {i.name for i in table.indexes}
        for index in table.indexes:
            keys = [(k["attributeName"], k["keyType"]) for k in indexes[index.name]["keySchemas"]]
            assert keys == [(index.hash_key, "HASH")] + ([(index.range_key, "RANGE")] if index.range_key else [])
            assert indexes[index.name]["projectionType"] == "ALL"
        if table.ttl_attribute:
            assert got["ttl"] == {"attributeName": table.ttl_attribute, "enabled": True}
        else:
            assert "ttl" not in got
        assert got["pointInTimeRecovery"] == {"enabled": True}
        assert got["serverSideEncryption"] == {"enabled": True}


def test_topics_are_declared_by_name(declared):
    assert sorted(t.inputs["name"] for t in declared.of_type("sns/topic:Topic")) == \
        sorted(N.topic(k) for k in manifest.TOPICS)


@pytest.mark.parametrize("queue", list(manifest.QUEUES.values()), ids=lambda q: q.key)
def test_queues_redrive_to_their_dlq_after_max_receive_count(declared, queue):
    got = declared.one("sqs/queue:Queue", name=N.queue(queue.key)).inputs
    assert got["visibilityTimeoutSeconds"] == queue.visibility_timeout
    assert got["messageRetentionSeconds"] == queue.retention
    assert got["sqsManagedSseEnabled"] is True
    if not queue.has_dlq:
        assert "redrivePolicy" not in got
        return
    dlq = declared.one("sqs/queue:Queue", name=N.dlq(queue.key))
    redrive = json.loads(got["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.state["arn"], "maxReceiveCount": queue.max_receive_count}
    assert queue.max_receive_count == 3
    assert dlq.inputs["messageRetentionSeconds"] == queue.dlq_retention
    assert json.loads(dlq.inputs["redriveAllowPolicy"])["sourceQueueArns"] == [N.queue_arn(N.queue(queue.key))]


def test_every_queue_and_dlq_is_declared_and_nothing_else(declared):
    expected = {N.queue(q.key) for q in manifest.QUEUES.values()}
    expected |= {N.dlq(q.key) for q in manifest.QUEUES.values() if q.has_dlq}
    assert {q.inputs["name"] for q in declared.of_type("sqs/queue:Queue")} == expected


@pytest.mark.parametrize("sub", manifest.SUBSCRIPTIONS, ids=lambda s: f"{s.topic}->{s.queue}")
def test_subscriptions_deliver_raw_under_a_queue_policy_for_their_topic(declared, sub):
    topic = declared.one("sns/topic:Topic", name=N.topic(sub.topic))
    queue = declared.one("sqs/queue:Queue", name=N.queue(sub.queue))
    got = declared.one("sns/topicSubscription:TopicSubscription", topic=topic.state["arn"],
                       endpoint=queue.state["arn"]).inputs
    assert got["protocol"] == "sqs" and got["rawMessageDelivery"] is sub.raw_message_delivery
    assert json.loads(got["filterPolicy"]) == sub.filter_policy if sub.filter_policy else "filterPolicy" not in got
    policy = json.loads(declared.one("sqs/queuePolicy:QueuePolicy", queueUrl=queue.state["url"]).inputs["policy"])
    allowed = [s for s in policy["Statement"] if s["Condition"]["ArnEquals"]["aws:SourceArn"] == topic.state["arn"]]
    assert allowed and all(s["Principal"] == {"Service": "sns.amazonaws.com"} and s["Action"] == "sqs:SendMessage"
                           and s["Resource"] == queue.state["arn"] for s in allowed)


def test_secrets_are_placeholders_without_values(declared):
    assert {s.inputs["name"] for s in declared.of_type("secretsmanager/secret:Secret")} == \
        {N.secret(k) for k in manifest.SECRETS}
    assert not declared.of_type("secretsmanager/secretVersion:SecretVersion")
    assert not any("secretString" in r.inputs for r in declared.resources)


@pytest.mark.parametrize("fn", list(manifest.FUNCTIONS.values()), ids=lambda f: f.key)
def test_functions_run_python312_with_the_manifest_handler_memory_timeout_and_role(declared, fn):
    got = declared.one("lambda/function:Function", name=N.function(fn.key)).inputs
    assert (got["runtime"], got["handler"], got["memorySize"], got["timeout"]) == \
        ("python3.12", fn.handler, fn.memory, fn.timeout)
    assert got["role"] == declared.one("iam/role:Role", name=N.function(fn.key)).state["arn"]
    assert got["loggingConfig"]["logGroup"] == f"/aws/lambda/{N.function(fn.key)}"
    obj = declared.one("s3/bucketObjectv2:BucketObjectv2", key=got["s3Key"])
    assert got["s3Bucket"] == obj.inputs["bucket"]
    log_group = declared.one("cloudwatch/logGroup:LogGroup", name=f"/aws/lambda/{N.function(fn.key)}")
    assert log_group.inputs["retentionInDays"] == 14


def test_identical_artifacts_are_uploaded_once(declared):
    keys = [f.inputs["s3Key"] for f in declared.of_type("lambda/function:Function")]
    assert len(declared.of_type("s3/bucketObjectv2:BucketObjectv2")) == len(set(keys)) < len(keys)


@pytest.mark.parametrize("mapping", manifest.EVENT_SOURCE_MAPPINGS, ids=lambda m: f"{m.queue}->{m.function}")
def test_event_source_mappings_report_batch_item_failures(declared, mapping):
    queue = declared.one("sqs/queue:Queue", name=N.queue(mapping.queue))
    fn = declared.one("lambda/function:Function", name=N.function(mapping.function))
    got = declared.one("lambda/eventSourceMapping:EventSourceMapping", eventSourceArn=queue.state["arn"]).inputs
    assert got["functionName"] == fn.state["arn"] and got["batchSize"] == mapping.batch_size
    assert got["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["enabled"] is True
    # AWS refuses a mapping whose queue hides a message for less time than the function may run.
    assert queue.inputs["visibilityTimeoutSeconds"] >= fn.inputs["timeout"]


def test_http_api_routes_integrations_and_stage(declared):
    api = declared.one("apigatewayv2/api:Api").inputs
    assert api["protocolType"] == "HTTP" and api["name"] == N.name("api")
    integrations = {i.state["integrationUri"]: i for i in declared.of_type("apigatewayv2/integration:Integration")}
    for route in manifest.ROUTES:
        fn = declared.one("lambda/function:Function", name=N.function(route.function))
        integration = integrations[fn.state["invokeArn"]]
        assert integration.inputs["integrationType"] == "AWS_PROXY"
        assert integration.inputs["payloadFormatVersion"] == "2.0"
        got = declared.one("apigatewayv2/route:Route", routeKey=route.route_key).inputs
        assert got["target"] == f"integrations/{integration.logical}-id" and got["apiId"] == API_ID
        if route.auth == "jwt":
            authorizer = declared.one("apigatewayv2/authorizer:Authorizer")
            assert (got["authorizationType"], got["authorizerId"]) == ("JWT", f"{authorizer.logical}-id")
        else:  # public, or the function checks its own credential (the MCP server's API key)
            assert got["authorizationType"] == "NONE" and "authorizerId" not in got
    assert len(declared.of_type("apigatewayv2/route:Route")) == len(manifest.ROUTES)
    stage = declared.one("apigatewayv2/stage:Stage").inputs
    assert stage["name"] == "$default" and stage["autoDeploy"] is True
    assert stage["accessLogSettings"]["destinationArn"] == \
        declared.one("cloudwatch/logGroup:LogGroup", name=f"/aws/apigateway/{N.name('api')}").state["arn"]
    assert json.loads(stage["accessLogSettings"]["format"])["requestId"] == "$context.requestId"


def test_jwt_authorizer_takes_issuer_and_audience_from_the_stage(declared):
    spec = manifest.API_AUTHORIZER
    got = declared.one("apigatewayv2/authorizer:Authorizer").inputs
    assert (got["authorizerType"], got["name"], got["identitySources"]) == \
        ("JWT", spec.name, [spec.identity_source])
    assert got["jwtConfiguration"] == {"issuer": "https://issuer.example/pool", "audiences": ["rez-agent-users"]}
    assert {r.route_key for r in manifest.ROUTES if r.auth == "none"} >= {"GET /api/health", "GET /agent/ui"}


def test_only_this_api_may_invoke_the_routed_functions(declared):
    routed = {r.function for r in manifest.ROUTES}
    grants = [p.inputs for p in declared.of_type("lambda/permission:Permission")
              if p.inputs["principal"] == "apigateway.amazonaws.com"]
    assert {g["function"] for g in grants} == {N.function(k) for k in routed}
    assert {g["sourceArn"] for g in grants} == {f"arn:aws:execute-api:{N.region}:{N.account}:{API_ID}/*/*"}


def test_schedule_group_and_static_schedules(declared):
    group = declared.one("scheduler/scheduleGroup:ScheduleGroup").inputs
    assert group["name"] == N.schedule_group()
    role = declared.one("iam/role:Role", name=N.name("scheduler-execution"))
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == \
        {"Service": "scheduler.amazonaws.com"}
    for static in manifest.STATIC_SCHEDULES:
        got = declared.one("scheduler/schedule:Schedule", name=N.name(static.key)).inputs
        assert (got["scheduleExpression"], got["scheduleExpressionTimezone"], got["state"]) == \
            (static.expression, static.timezone, "ENABLED")
        assert got["target"]["arn"] == N.function_arn(static.function)
        assert got["target"]["roleArn"] == role.state["arn"]
        assert got["target"]["deadLetterConfig"]["arn"] == N.queue_arn(N.queue(manifest.SCHEDULES_DLQ))


def test_alarms_notify_their_topic(declared):
    alarms = manifest_alarms(N)
    assert len(declared.of_type("cloudwatch/metricAlarm:MetricAlarm")) == len(alarms)
    for alarm in alarms:
        got = declared.one("cloudwatch/metricAlarm:MetricAlarm", name=N.name(alarm.key)).inputs
        assert (got["namespace"], got["metricName"], got["statistic"], got["comparisonOperator"]) == \
            (alarm.namespace, alarm.metric, alarm.statistic, alarm.comparison)
        assert (got["period"], got["evaluationPeriods"], got["threshold"]) == \
            (alarm.period, alarm.evaluation_periods, alarm.threshold)
        assert got["dimensions"] == dict([alarm.dimension])
        assert got["alarmActions"] == [N.topic_arn(alarm.actions_topic)]


def test_topic_to_function_subscriptions_are_allowed_to_invoke(declared):
    for sub in getattr(manifest, "TOPIC_FUNCTION_SUBSCRIPTIONS", ()):
        got = declared.one("sns/topicSubscription:TopicSubscription", protocol="lambda",
                           endpoint=N.function_arn(sub.function)).inputs
        assert got["topic"] == N.topic_arn(sub.topic)
        grant = declared.one("lambda/permission:Permission", principal="sns.amazonaws.com",
                             function=N.function(sub.function)).inputs
        assert grant["sourceArn"] == N.topic_arn(sub.topic)
