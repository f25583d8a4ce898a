"""Backend selection and per-service endpoints (the LocalStack lane sends DynamoDB elsewhere)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from emulation.backends import BackendUnavailable, create_backend
from emulation.backends.base import AwsEndpoint, EndpointClients, service_env_var
from emulation.backends.localstack import LocalStackBackend
from emulation.backends.ministack import MinistackBackend
from emulation.backends.moto import MotoBackend
from emulation.backends.venvs import ensure_venv

ENDPOINT = AwsEndpoint(url="http://127.0.0.1:4566", region="eu-west-1",
                       service_urls={"dynamodb": "http://127.0.0.1:5000", "bedrock-runtime": "http://127.0.0.1:6000"})


def test_environment_names_each_routed_service_the_way_boto3_reads_it():
    env = ENDPOINT.environment()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:5000"
    assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "http://127.0.0.1:6000"
    assert service_env_var("bedrock-runtime") == "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
    assert AwsEndpoint(url="http://x", region="us-east-1").environment()["AWS_ENDPOINT_URL"] == "http://x"


def test_functions_boto3_follows_the_per_service_variable(monkeypatch):
    for name, value in ENDPOINT.environment().items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session()
    assert session.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5000"
    assert session.client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"


def test_platform_clients_follow_the_per_service_urls():
    clients = EndpointClients(ENDPOINT)
    assert clients.client("dynamodb").meta.endpoint_url == "http://127.0.0.1:5000"
    assert clients.client("sns").meta.endpoint_url == "http://127.0.0.1:4566"


def test_targets_pick_their_backend(tmp_path):
    kinds = {t: type(create_backend(t, port=0, region="us-east-1", state_dir=tmp_path))
             for t in ("local", "localstack", "ministack")}
    assert kinds == {"local": MotoBackend, "localstack": LocalStackBackend, "ministack": MinistackBackend}
    with pytest.raises(ValueError, match="choose one of"):
        create_backend("nowhere", port=0, region="us-east-1", state_dir=tmp_path)


def test_a_backend_that_cannot_be_installed_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("REZ_VENVS_DIR", str(tmp_path))
    monkeypatch.setenv("REZ_NO_INSTALL", "1")
    with pytest.raises(BackendUnavailable, match="not installed"):
        ensure_venv("ministack", ["ministack==1.5.33"])


def test_an_unreachable_external_localstack_is_unavailable_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("REZ_LOCALSTACK_URL", "http://127.0.0.1:9")
    with pytest.raises(BackendUnavailable, match="does not answer"):
        LocalStackBackend(0, "us-east-1", Path(tmp_path)).start()
