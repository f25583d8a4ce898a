"""Nothing twice, nothing stuck — against the AWS API (moto), with the resources of the manifest.

* the claim: a message is taken by one attempt at a time (conditional write), a completed one is
  never taken again, and a crashed attempt's claim lapses with its run time;
* the processor: a malformed record fails (``batchItemFailures``) with an ERROR line naming it;
* the alerts function's dead-letter marking: every dead letter's message ends ``failed`` with the
  reason, the DLQ keeps every message (an operator still redrives from it).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from services.alerts.dead_letters import DEAD_LETTER_REASON, NO_OUTCOME, mark_dead_letters, read_dead_letters
from services.core import clock
from services.core.message_repository import MessageInFlight, MessageRepository
from services.core.messages import Message, Status
from services.core.records import log_record_failure, message_of_record
from tests.support.aws import provision_manifest

TABLE, DLQ = "rez-agent-messages-dev", "rez-agent-notifications-dlq-dev"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture()
def aws():
    moment = [T0]
    clock.set_source(lambda: moment[0])
    with mock_aws():
        provision_manifest()
        yield (MessageRepository(boto3.client("dynamodb", region_name="us-east-1"), TABLE),
               boto3.client("sqs", region_name="us-east-1"), moment)
    clock.set_source(None)


def _stored(repo: MessageRepository, status: Status = Status.QUEUED) -> Message:
    return repo.create(Message.new(message_type="notify", payload={"message": "x"}, created_by="test",
                                   stage="dev", status=status))


def test_one_attempt_holds_the_claim_until_it_ends(aws):
    repo, _, _ = aws
    message = _stored(repo)
    assert repo.begin_processing(message, lease_seconds=300) is True
    with pytest.raises(MessageInFlight) as caught:
        repo.begin_processing(message, lease_seconds=300)  # a second delivery while the first runs
    assert caught.value.retryable
    repo.update_status(message.id, Status.COMPLETED)
    assert repo.begin_processing(message, lease_seconds=300) is False  # redelivered after completion


def test_a_failed_attempt_releases_the_claim_for_the_retry(aws):
    repo, _, _ = aws
    message = _stored(repo)
    repo.begin_processing(message, lease_seconds=300)
    repo.update_status(message.id, Status.FAILED, error_message="ntfy returned status 500", count_retry=True)
    assert repo.begin_processing(message, lease_seconds=300) is True
    assert repo.get(message.id).error_message is None


def test_a_crashed_attempts_claim_lapses_with_its_run_time(aws):
    repo, _, moment = aws
    message = _stored(repo)
    repo.begin_processing(message, lease_seconds=300)  # ...and the function is killed
    moment[0] = T0 + timedelta(seconds=299)
    with pytest.raises(MessageInFlight):
        repo.begin_processing(message, lease_seconds=300)
    moment[0] = T0 + timedelta(seconds=301)  # the redelivery after the visibility timeout
    assert repo.begin_processing(message, lease_seconds=300) is True


def test_a_message_never_stored_is_stored_once_under_its_own_id(aws):
    repo, _, _ = aws
    message = Message.new(message_type="notify", payload={"message": "x"}, created_by="test", stage="dev")
    assert repo.begin_processing(message, lease_seconds=60) is True
    assert repo.get(message.id).status is Status.PROCESSING
    with pytest.raises(MessageInFlight):
        repo.begin_processing(message, lease_seconds=60)


def test_malformed_records_name_the_problem_not_the_body(caplog):
    for body, problem in (("not json", "Invalid JSON"), (json.dumps({"message_type": "notify"}), "id: Field required"),
                          (json.dumps({"id": "msg_1", "message_type": "nope", "payload": {"k": "s3cr3t"}}),
                           "message_type")):
        with pytest.raises(Exception) as caught:
            message_of_record(body)
        assert problem in caught.value.message and "s3cr3t" not in caught.value.message

    class Record:
        message_id = "sqs-1"
        body = json.dumps({"id": "msg_1", "message_type": "nope", "token": "s3cr3t"})
        json_body = json.loads(body)
        attributes = type("A", (), {"approximate_receive_count": "2"})()

    logger = logging.getLogger("test.records")
    with caplog.at_level(logging.ERROR, logger="test.records"):
        try:
            message_of_record(Record.body)
        except Exception as exc:
            log_record_failure(logger, Record(), exc)
    [line] = caplog.messages
    assert line.startswith("record sqs-1 (receive 2, message msg_1) failed: record body is not a message")
    assert "s3cr3t" not in line


def _dead_letter(sqs, body: str) -> None:
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=DLQ)["QueueUrl"], MessageBody=body)


def test_dead_letters_end_failed_with_the_reason_and_stay_in_the_dlq(aws):
    repo, sqs, _ = aws
    never_ran = _stored(repo)  # the function crashed before the handler, three times
    handler_failed = _stored(repo, Status.FAILED)
    repo.update_status(handler_failed.id, Status.FAILED, error_message="ntfy returned status 500")
    delivered = _stored(repo, Status.COMPLETED)  # a duplicate record of a delivered message
    for message in (never_ran, handler_failed, delivered):
        _dead_letter(sqs, json.dumps(message.to_json_dict()))
    _dead_letter(sqs, "not json")

    assert mark_dead_letters(sqs, repo, [DLQ]) == 2
    assert repo.get(never_ran.id).status is Status.FAILED
    assert repo.get(never_ran.id).error_message == f"{DEAD_LETTER_REASON}: {NO_OUTCOME}"
    assert repo.get(handler_failed.id).error_message == f"{DEAD_LETTER_REASON}: ntfy returned status 500"
    assert repo.get(delivered.id).status is Status.COMPLETED
    assert mark_dead_letters(sqs, repo, [DLQ]) == 0  # idempotent: the reason is not stacked
    url = sqs.get_queue_url(QueueName=DLQ)["QueueUrl"]
    assert len(read_dead_letters(sqs, url)) == 4  # every dead letter is still there, visible
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                                    )["Attributes"]["ApproximateNumberOfMessages"] == "4"
