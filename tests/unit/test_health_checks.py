"""``GET /api/health``'s checks against an in-process AWS (moto's mock): what is healthy, what is not."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import boto3
import pytest
from moto import mock_aws

from services.core.aws import AwsClients
from services.core.settings import Settings
from services.webapi.health_checks import HEALTH_CLIENT_CONFIG, HealthChecks

REGION = "us-east-1"
QUEUES = {"notifications": {"queue": "rez-agent-notifications-dev", "dlq": "rez-agent-notifications-dlq-dev"}}


@pytest.fixture()
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _checks() -> HealthChecks:
    settings = Settings(redrive_queues=json.dumps(QUEUES))
    return HealthChecks(settings, AwsClients(REGION, config=HEALTH_CLIENT_CONFIG))


def _table() -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="rez-agent-messages-dev", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])


def _mapping(enabled: bool) -> None:
    queue_arn = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUES["notifications"]["queue"])
        ["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="processor", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(FunctionName="rez-agent-processor-dev", Runtime="python3.12", Role=role,
                        Handler="handler.handler", Code={"ZipFile": code.getvalue()})
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="rez-agent-processor-dev",
                                    Enabled=enabled)


def test_every_dependency_answering_is_healthy(aws):
    _table()
    _mapping(enabled=True)
    checks = _checks().run()
    assert checks["aws"].ok and checks["aws"].detail["table"] == "rez-agent-messages-dev"
    assert checks["event_source_mappings"].ok, checks["event_source_mappings"].reasons
    assert checks["event_source_mappings"].detail["mappings"] == {
        "rez-agent-notifications-dev": {"function": "rez-agent-processor-dev", "state": "Enabled"}}


def test_a_missing_table_and_a_missing_mapping_are_named(aws):
    checks = _checks().run()
    assert not checks["aws"].ok
    assert checks["aws"].reasons == ["AWS endpoint: DescribeTable rez-agent-messages-dev failed "
                                     "(ResourceNotFoundException)"]
    assert checks["event_source_mappings"].reasons == ["no event source mapping reads rez-agent-notifications-dev"]
    assert checks["aws"].as_dict()["status"] == "down"


def test_a_disabled_mapping_is_degraded(aws):
    _table()
    _mapping(enabled=False)
    result = _checks().event_source_mappings()
    assert not result.ok and result.reasons[0].startswith(
        "event source mapping rez-agent-notifications-dev -> rez-agent-processor-dev is Disabled")


def test_an_unreachable_endpoint_is_degraded_quickly_and_says_only_the_error_class(monkeypatch):
    import time

    # A port nothing listens on: connection refused, and the check does not retry.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    started = time.perf_counter()
    checks = _checks().run()
    assert time.perf_counter() - started < 5
    assert checks["aws"].reasons == ["AWS endpoint: DescribeTable rez-agent-messages-dev failed "
                                     "(EndpointConnectionError)"]
    assert checks["event_source_mappings"].reasons == [
        "event source mappings: ListEventSourceMappings failed (EndpointConnectionError)"]
