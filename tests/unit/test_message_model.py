from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.core import clock
from services.core.errors import ValidationError
from services.core.message_validation import validate_create_request
from services.core.messages import Message, MessageType, Status, new_message_id
from services.core.publisher import topic_for
from services.core.settings import Settings


@pytest.fixture()
def frozen_clock():
    moment = datetime(2026, 3, 8, 6, 30, 5, 123456, tzinfo=UTC)
    clock.set_source(lambda: moment)
    yield moment
    clock.set_source(None)


def test_message_id_format(frozen_clock):
    assert re.fullmatch(r"msg_20260308063005_\d{6}", new_message_id())


def test_ids_spread_over_the_six_digits():
    ids = {new_message_id() for _ in range(2000)}
    assert len(ids) > 1990  # random digits; the repository resolves the rare clash


def test_new_message_timestamps_in_one_format(frozen_clock):
    message = Message.new(message_type="notify", payload={"message": "x"}, created_by="webapi", stage="dev")
    assert message.created_date == message.updated_date == "2026-03-08T06:30:05.123456Z"
    assert message.status is Status.CREATED and message.retry_count == 0
    assert "arguments" not in message.to_json_dict() and "error_message" not in message.to_json_dict()


@pytest.mark.parametrize(("body", "field", "problem"), [
    ({"message_type": "notify", "payload": {}}, "payload.message", "Field required"),
    ({"message_type": "notify", "payload": {"message": 7}}, "payload.message", "must be a string"),
    ({"message_type": "notify", "payload": {"message": ""}}, "payload.message", "at least 1 character"),
    ({"message_type": "notify", "payload": {"message": "x", "priority": 9}}, "payload.priority", "less than or equal to 5"),
    ({"message_type": "notify", "payload": {"message": "x", "priority": "loud"}}, "payload.priority", "must be 1-5"),
    ({"message_type": "notify", "payload": {"message": "x", "tags": "golf"}}, "payload.tags", "valid list"),
    ({"message_type": "hello_world", "payload": {"title": "t"}}, "payload.message", "Field required"),
    ({"message_type": "fax"}, "message_type", "Input should be"),
    ({"stage": "staging", "payload": {"message": "x"}}, "stage", "must be one of dev, stage, prod"),
    ({"payload": "text"}, "payload", "valid dictionary"),
])
def test_validation_names_the_field_and_the_problem(body, field, problem):
    with pytest.raises(ValidationError) as caught:
        validate_create_request(body)
    assert caught.value.http_status == 400
    assert any(d.field == field and problem in d.problem for d in caught.value.details), caught.value.details


def test_valid_notify_defaults_and_priority_names():
    request = validate_create_request({"payload": {"message": "x", "priority": "high", "tags": ["a"]},
                                       "id": "ignored", "status": "completed"})
    assert request.message_type is MessageType.NOTIFY and request.stage is None
    assert validate_create_request({"payload": {"message": "x", "priority": "urgent"}}).payload["priority"] == "urgent"


def test_body_must_be_an_object():
    with pytest.raises(ValidationError):
        validate_create_request(["not", "an", "object"])


@pytest.mark.parametrize(("message_type", "topic"), [
    (MessageType.WEB_ACTION, "wa"), (MessageType.AGENT_RESPONSE, "ar"), (MessageType.SCHEDULE_CREATION, "sc"),
    (MessageType.NOTIFY, "n"), (MessageType.HELLO_WORLD, "n"), (MessageType.SCHEDULED, "n"),
])
def test_topic_routing_by_message_type(message_type, topic):
    settings = Settings(web_actions_topic_arn="wa", agent_responses_topic_arn="ar",
                        schedule_creation_topic_arn="sc", notifications_topic_arn="n")
    assert topic_for(message_type, settings) == topic


def test_settings_from_env_reads_only_known_names():
    settings = Settings.from_env({"STAGE": "prod", "GOLF_ORIGINS": '{"1": "https://a"}',
                                  "SSRF_ALLOWED_HOSTS": "a.example, b.example", "UNRELATED": "x"})
    assert settings.stage == "prod" and settings.golf_origins == {"1": "https://a"}
    assert settings.ssrf_allowed_hosts == ("a.example", "b.example")


def test_bad_settings_are_a_configuration_error():
    from services.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="stage"):
        Settings.from_env({"STAGE": "qa"})
