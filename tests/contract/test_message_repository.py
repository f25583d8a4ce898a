"""The messages repository against the AWS API (moto), with the table exactly as the manifest declares it."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from services.core.errors import NotFoundError
from services.core.message_repository import MessageRepository
from services.core.messages import Message, Status
from tests.support.aws import provision_manifest


@pytest.fixture()
def repo():
    with mock_aws():
        provision_manifest()
        yield MessageRepository(boto3.client("dynamodb", region_name="us-east-1"), "rez-agent-messages-dev")


def _message(**overrides) -> Message:
    return Message.new(message_type=overrides.pop("message_type", "notify"), payload={"message": "x"},
                       created_by="test", stage=overrides.pop("stage", "dev"), **overrides)


def test_create_get_round_trip(repo):
    message = repo.create(_message())
    assert repo.get(message.id) == message


def test_create_never_overwrites_on_an_id_clash(repo, monkeypatch):
    first = repo.create(_message())
    clash = _message().model_copy(update={"id": first.id})
    stored = repo.create(clash)
    assert stored.id != first.id
    assert repo.get(first.id) == first


def test_get_missing_is_not_found(repo):
    with pytest.raises(NotFoundError, match="message not found: msg_x"):
        repo.get("msg_x")


def test_status_updates_keep_one_date_format_and_count_retries(repo):
    message = repo.create(_message())
    repo.update_status(message.id, Status.FAILED, error_message="boom", count_retry=True)
    failed = repo.get(message.id)
    assert failed.status is Status.FAILED and failed.error_message == "boom" and failed.retry_count == 1
    assert len(failed.updated_date) == len(message.updated_date) and failed.updated_date.endswith("Z")
    repo.update_status(message.id, Status.COMPLETED)
    done = repo.get(message.id)
    assert done.error_message is None
    assert repo.update_status(message.id, Status.PROCESSING, unless=Status.COMPLETED) is False


def test_update_of_a_missing_message_does_not_create_one(repo):
    with pytest.raises(NotFoundError):
        repo.update_status("msg_missing", Status.COMPLETED)


def test_list_uses_indexes_with_filters_and_cursor(repo):
    made = [repo.create(_message()) for _ in range(5)]
    repo.create(_message(stage="prod"))
    repo.update_status(made[0].id, Status.COMPLETED)
    page = repo.list(stage="dev", limit=3)
    assert len(page.messages) == 3 and page.cursor
    rest = repo.list(stage="dev", limit=3, cursor=page.cursor)
    assert {m.id for m in page.messages + rest.messages} == {m.id for m in made}
    completed = repo.list(stage="dev", status=Status.COMPLETED)
    assert [m.id for m in completed.messages] == [made[0].id]
    assert repo.count("stage", "prod") == 1 and repo.count("status", "completed") == 1
