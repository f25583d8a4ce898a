"""The messages table: save, read, move through statuses, list through the GSIs (never Scan)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from services.core import clock
from services.core.dynamo import error_code, from_item, to_item, to_value
from services.core.errors import ConflictError, NotFoundError, RezError, ValidationError
from services.core.messages import STAGES, Message, MessageType, Status, new_message_id

_INDEX = {
    "stage": "stage-created_date-index",
    "status": "status-created_date-index",
    "message_type": "message_type-created_date-index",
}
_ID_ATTEMPTS = 5
_MAX_CURSOR = 4096
_MAX_KEY_CHARS = 512


class MessageInFlight(RezError):
    """Another attempt holds the message's claim: retry the record later, do not deliver it twice."""

    http_status = 409
    retryable = True


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    cursor: str | None


class MessageRepository:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def create(self, message: Message) -> Message:
        """Store a new message. Never overwrites: on an id clash a fresh id is drawn."""
        for _ in range(_ID_ATTEMPTS):
            try:
                self._db.put_item(TableName=self._table, Item=to_item(message.to_json_dict()),
                                  ConditionExpression="attribute_not_exists(id)")
                return message
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                message = message.model_copy(update={"id": new_message_id()})
        raise ConflictError("could not allocate a unique message id")

    def get(self, message_id: str) -> Message:
        item = self._db.get_item(TableName=self._table, Key={"id": {"S": message_id}},
                                 ConsistentRead=True).get("Item")
        if not item:
            raise NotFoundError(f"message not found: {message_id}")
        return Message.model_validate(from_item(item))

    def update_status(self, message_id: str, status: Status, *, error_message: str | None = None,
                      count_retry: bool = False, unless: Status | None = None) -> bool:
        """Set the status (and ``updated_date`` in the one stored format).

        Only updates an existing message (no upsert of a sparse item). With ``unless``, leaves a
        message that is already in that status alone and returns False — how a redelivered message
        that already completed is recognised. Any status but ``processing`` ends an attempt's claim.
        """
        names = {"#s": "status"}
        values: dict[str, Any] = {":s": to_value(status.value), ":u": to_value(clock.iso(clock.now()))}
        sets = ["#s = :s", "updated_date = :u"]
        removes: list[str] = []
        if error_message is not None:
            sets.append("error_message = :e")
            values[":e"] = to_value(error_message)
        elif status in (Status.PROCESSING, Status.COMPLETED):
            removes.append("error_message")
        if status is not Status.PROCESSING:
            removes.append("claim_until")
        expression = "SET " + ", ".join(sets)
        if count_retry:
            expression += " ADD retry_count :one"
            values[":one"] = to_value(1)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        condition = "attribute_exists(id)"
        if unless is not None:
            condition += " AND #s <> :unless"
            values[":unless"] = to_value(unless.value)
        try:
            self._db.update_item(TableName=self._table, Key={"id": {"S": message_id}},
                                 UpdateExpression=expression, ConditionExpression=condition,
                                 ExpressionAttributeNames=names, ExpressionAttributeValues=values)
            return True
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            if unless is None:
                raise NotFoundError(f"message not found: {message_id}") from exc
            return False

    def begin_processing(self, message: Message, *, lease_seconds: float | None = None) -> bool:
        """Move a delivered message to ``processing``; False when it already completed (a redelivery).

        With ``lease_seconds`` the move is a claim — one conditional write that succeeds only if
        no other attempt holds an unexpired claim — so two deliveries of one message (SQS standard
        queues deliver at least once; a receive can hand one record to two pollers) never both
        send. The claim lasts the attempt's remaining run time: after that the attempt is over for
        sure (Lambda stops it at its timeout, which is below the queue's visibility timeout), so a
        redelivery after a crash claims it again. While the claim is held, ``MessageInFlight``
        (retryable) leaves the record on the queue; it comes back after the visibility timeout and
        then finds the message completed — or claims it, when the holder failed.

        A message that was published without being stored first is stored now, so every message a
        consumer handles ends up in the table with its outcome.
        """
        if lease_seconds is None:
            return self._begin_unclaimed(message)
        now = clock.now()
        until = clock.iso(now + timedelta(seconds=max(lease_seconds, 1.0)))
        try:
            self._db.update_item(
                TableName=self._table, Key={"id": {"S": message.id}},
                UpdateExpression="SET #s = :p, updated_date = :u, claim_until = :until REMOVE error_message",
                ConditionExpression=("attribute_exists(id) AND #s <> :c AND "
                                     "(#s <> :p OR attribute_not_exists(claim_until) OR claim_until < :now)"),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":p": to_value(Status.PROCESSING.value), ":u": to_value(clock.iso(now)),
                                           ":until": to_value(until), ":c": to_value(Status.COMPLETED.value),
                                           ":now": to_value(clock.iso(now))})
            return True
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
        try:
            stored = self.get(message.id)
        except NotFoundError:
            return self._store_claimed(message, until)
        if stored.status is Status.COMPLETED:
            return False
        raise MessageInFlight(f"message {message.id} is being processed by another attempt")

    def _store_claimed(self, message: Message, until: str) -> bool:
        # Under its own id, never a fresh one: a second attempt storing it too must lose, not copy it.
        item = message.model_copy(update={"status": Status.PROCESSING,
                                          "updated_date": clock.iso(clock.now())}).to_json_dict()
        try:
            self._db.put_item(TableName=self._table, Item=to_item({**item, "claim_until": until}),
                              ConditionExpression="attribute_not_exists(id)")
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            raise MessageInFlight(f"message {message.id} is being stored by another attempt") from exc
        return True

    def _begin_unclaimed(self, message: Message) -> bool:
        if self.update_status(message.id, Status.PROCESSING, unless=Status.COMPLETED):
            return True
        try:
            stored = self.get(message.id)
        except NotFoundError:
            self.create(message.model_copy(update={"status": Status.PROCESSING}))
            return True
        if stored.status is Status.COMPLETED:
            return False
        self.update_status(message.id, Status.PROCESSING)
        return True

    def list(self, *, stage: str, status: Status | None = None, message_type: MessageType | None = None,
             limit: int = 50, cursor: str | None = None) -> MessagePage:
        """Newest first. Queries the most selective GSI and filters by the other given fields."""
        if stage not in STAGES:
            raise ValidationError.for_field("stage", f"must be one of {', '.join(STAGES)}")
        filters: dict[str, str] = {"stage": stage}
        if status is not None:
            filters["status"] = status.value
        if message_type is not None:
            filters["message_type"] = message_type.value
        key_field = "status" if status else "message_type" if message_type else "stage"
        names = {f"#{k}": k for k in filters}
        values = {f":{k}": to_value(v) for k, v in filters.items()}
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": _INDEX[key_field],
            "KeyConditionExpression": f"#{key_field} = :{key_field}",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        others = [k for k in filters if k != key_field]
        if others:
            request["FilterExpression"] = " AND ".join(f"#{k} = :{k}" for k in others)
        start_key = decode_cursor(cursor, index_key=(key_field, filters[key_field])) if cursor else None
        messages: list[Message] = []
        # A filter can leave a page short, so keep reading until the page is full or the index ends.
        while len(messages) < limit:
            request["Limit"] = max(limit - len(messages), 1) if not others else max(limit * 2, 20)
            if start_key:
                request["ExclusiveStartKey"] = start_key
            response = self._db.query(**request)
            for item in response.get("Items", []):
                messages.append(Message.model_validate(from_item(item)))
                if len(messages) == limit:
                    break
            start_key = response.get("LastEvaluatedKey")
            if len(messages) == limit:
                last = messages[-1]
                start_key = {"id": {"S": last.id}, key_field: {"S": filters[key_field]},
                             "created_date": {"S": last.created_date}}
                break
            if not start_key:
                break
        return MessagePage(messages, encode_cursor(start_key) if start_key else None)

    def count(self, field: str, value: str) -> int:
        """Items whose ``field`` equals ``value``, counted through the field's GSI."""
        total, start_key = 0, None
        while True:
            request: dict[str, Any] = {
                "TableName": self._table, "IndexName": _INDEX[field], "Select": "COUNT",
                "KeyConditionExpression": "#f = :v", "ExpressionAttributeNames": {"#f": field},
                "ExpressionAttributeValues": {":v": to_value(value)},
            }
            if start_key:
                request["ExclusiveStartKey"] = start_key
            response = self._db.query(**request)
            total += response.get("Count", 0)
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return total


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, index_key: tuple[str, str] | None = None) -> dict[str, Any]:
    """The start key a cursor of this API encodes, checked so DynamoDB is never handed a key it refuses.

    A cursor is a key of the index being listed: ``id``, the index's partition key and
    ``created_date``, each a non-empty string. With ``index_key`` (name, value), the cursor must
    belong to that very listing (DynamoDB refuses a start key outside the query's partition).
    """
    try:
        if not cursor.isascii() or len(cursor) > _MAX_CURSOR:
            raise ValueError("not a cursor")
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(key, dict) or "id" not in key or "created_date" not in key or len(key) != 3:
        raise _bad_cursor()
    for value in key.values():
        if not (isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)
                and 0 < len(value["S"]) <= _MAX_KEY_CHARS and value["S"].isprintable()):
            raise _bad_cursor()
    (partition,) = set(key) - {"id", "created_date"}
    if partition not in _INDEX:
        raise _bad_cursor()
    if index_key is not None and key.get(index_key[0]) != {"S": index_key[1]}:
        raise ValidationError.for_field("cursor", "belongs to another listing (other filters); "
                                                  "start again without it")
    return key


def _bad_cursor() -> ValidationError:
    return ValidationError.for_field("cursor", "is not a cursor returned by this API")
