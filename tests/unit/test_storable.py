"""What DynamoDB and SNS accept (services/core/storable.py), rule by rule, with the issue's examples."""

from __future__ import annotations

import decimal

import pytest

from services.core.dynamo import to_item
from services.core.errors import ValidationError
from services.core.message_validation import check_message_storable
from services.core.messages import Message
from services.core.storable import (
    MAX_ITEM_BYTES,
    check_item,
    check_sns_message,
    document_problems,
    item_size,
    join,
)


def fields(value) -> list[str]:
    return [p.field for p in document_problems(value)]


@pytest.mark.parametrize("number", [10**40, 10**38, 1e200, -1e126, 1e-131, float("nan"), float("inf")])
def test_numbers_dynamodb_or_boto3_refuse_are_named(number) -> None:
    assert fields({"payload": {"n": number}}) == ["payload.n"]


def test_a_41_digit_integer_is_what_boto3_refuses_with_a_decimal_error() -> None:
    with pytest.raises(decimal.DecimalException):  # the 500 this check replaces
        to_item({"n": 10**40})


@pytest.mark.parametrize("number", [0, -0.0, 10**37, 9.99e125, -1e-130, 0.1, 123456789012345678901234567890123456])
def test_numbers_dynamodb_holds(number) -> None:
    assert fields({"payload": {"n": number}}) == []
    to_item({"n": number})  # and boto3's serializer agrees


def test_empty_keys_at_any_depth_are_named() -> None:
    assert fields({"payload": {"extra": {"": 1}}}) == ["payload.extra"]  # the example
    assert fields({"payload": {"list": [{"ok": 1}, {"": 2}]}}) == ["payload.list.1"]


def test_depth_counts_like_dynamodb_a_top_level_map_is_level_one() -> None:
    def nested(depth: int):
        value = "leaf"
        for _ in range(depth):
            value = {"a": value}
        return value
    assert fields({"payload": nested(32)}) == []
    assert fields({"payload": nested(33)}) == ["payload" + ".a" * 32]
    assert fields({"payload": [[[[nested(29)]]]]}) == ["payload.0.0.0.0" + ".a" * 28]


def test_lone_surrogates_in_values_and_keys_are_named_safely() -> None:
    problems = document_problems({"payload": {"\ud800": "ok", "text": "bad \udfff"}})
    assert [p.field for p in problems] == ["payload.\\ud800", "payload.text"]
    assert all(p.field.encode("utf-8") for p in problems)  # printable in an answer


def test_long_keys_are_shortened_in_field_names() -> None:
    assert join("payload", "k" * 500) == "payload." + "k" * 40 + "…"


def test_at_most_five_problems_are_reported() -> None:
    assert len(document_problems({"payload": {str(i): {"": 1} for i in range(50)}})) == 5


def test_item_size_counts_names_and_values_in_utf8() -> None:
    assert item_size({"id": "abc"}) == 2 + 3
    assert item_size({"p": {"é": "é"}}) == 1 + 3 + (1 + 2 + 2)
    with pytest.raises(ValidationError) as info:
        check_item({"id": "x", "payload": {"big": "x" * MAX_ITEM_BYTES}}, what="message")
    assert info.value.details[0].field == "payload" and "400 KB" in info.value.details[0].problem


def test_sns_size_counts_the_body_and_attributes() -> None:
    check_sns_message("x" * (256 * 1024 - 100), {"stage": "dev"}, what="message")
    with pytest.raises(ValidationError) as info:
        check_sns_message("x" * (256 * 1024), {"stage": "dev"}, what="message")
    assert "256 KB" in info.value.message


def test_a_message_is_checked_as_it_will_be_published_ascii_escaped() -> None:
    ok = Message.new(message_type="notify", payload={"message": "é" * 40_000}, created_by="t", stage="dev")
    check_message_storable(ok)  # 80 KB stored, 240 KB published
    big = Message.new(message_type="notify", payload={"message": "é" * 45_000}, created_by="t", stage="dev")
    with pytest.raises(ValidationError) as info:
        check_message_storable(big)
    assert info.value.details[0].field == "payload"
