"""The schedules table: create (never overwrite), read, update, list by status through the GSI.

Listing always queries ``status-created_date-index``; nothing here scans the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from services.core import clock
from services.core.dynamo import error_code, from_item, to_item, to_value
from services.core.errors import ConflictError, NotFoundError
from services.core.message_repository import decode_cursor, encode_cursor
from services.core.schedules import Schedule, ScheduleStatus

STATUS_INDEX = "status-created_date-index"


@dataclass(frozen=True)
class SchedulePage:
    schedules: list[Schedule]
    cursor: str | None


class ScheduleRepository:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def create(self, schedule: Schedule) -> Schedule:
        try:
            self._db.put_item(TableName=self._table, Item=to_item(schedule.to_json_dict()),
                              ConditionExpression="attribute_not_exists(id)")
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise ConflictError(f"schedule already exists: {schedule.id}") from exc
            raise
        return schedule

    def get(self, schedule_id: str) -> Schedule:
        item = self._db.get_item(TableName=self._table, Key={"id": {"S": schedule_id}},
                                 ConsistentRead=True).get("Item")
        if not item:
            raise NotFoundError(f"schedule not found: {schedule_id}")
        return Schedule.model_validate(from_item(item))

    def save(self, schedule: Schedule) -> Schedule:
        """Replace an existing row (with a fresh ``updated_date``); never resurrects a deleted one."""
        schedule = schedule.model_copy(update={"updated_date": clock.iso(clock.now())})
        try:
            self._db.put_item(TableName=self._table, Item=to_item(schedule.to_json_dict()),
                              ConditionExpression="attribute_exists(id)")
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"schedule not found: {schedule.id}") from exc
            raise
        return schedule

    def set_status(self, schedule_id: str, status: ScheduleStatus, *, error_message: str | None = None) -> None:
        values: dict[str, Any] = {":s": to_value(status.value), ":u": to_value(clock.iso(clock.now()))}
        expression = "SET #s = :s, updated_date = :u"
        if error_message is not None:
            expression += ", error_message = :e"
            values[":e"] = to_value(error_message)
        else:
            expression += " REMOVE error_message"
        self._update(schedule_id, expression, values)

    def record_execution(self, schedule_id: str, *, scheduled_time: str, execution_id: str, message_id: str,
                         complete: bool = False) -> bool:
        """Count one firing. False if this execution id was already counted (a retried invocation)."""
        now = clock.iso(clock.now())
        values: dict[str, Any] = {
            ":run": to_value(now), ":u": to_value(now), ":st": to_value(scheduled_time),
            ":eid": to_value(execution_id), ":mid": to_value(message_id), ":one": to_value(1),
        }
        expression = ("SET last_run = :run, updated_date = :u, last_scheduled_time = :st, "
                      "last_execution_id = :eid, last_message_id = :mid")
        if complete:  # a one-shot at() has nothing left to fire
            expression += ", #s = :done"
            values[":done"] = to_value(ScheduleStatus.COMPLETED.value)
        expression += " ADD execution_count :one"
        condition = "attribute_exists(id) AND (attribute_not_exists(last_execution_id) OR last_execution_id <> :eid)"
        try:
            self._db.update_item(TableName=self._table, Key={"id": {"S": schedule_id}},
                                 UpdateExpression=expression, ConditionExpression=condition,
                                 ExpressionAttributeValues=values,
                                 **({"ExpressionAttributeNames": {"#s": "status"}} if complete else {}))
            return True
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False

    def delete(self, schedule_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key={"id": {"S": schedule_id}})

    def list(self, status: ScheduleStatus, *, limit: int = 50, cursor: str | None = None) -> SchedulePage:
        """Newest first, one status (one GSI partition) per call."""
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": STATUS_INDEX, "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": to_value(status.value)}, "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self._db.query(**request)
        schedules = [Schedule.model_validate(from_item(item)) for item in response.get("Items", [])]
        last_key = response.get("LastEvaluatedKey")
        return SchedulePage(schedules, encode_cursor(last_key) if last_key else None)

    def all_with_status(self, status: ScheduleStatus) -> list[Schedule]:
        """Every schedule in one status (the daily evaluation reads all active ones)."""
        found: list[Schedule] = []
        cursor: str | None = None
        while True:
            page = self.list(status, limit=100, cursor=cursor)
            found.extend(page.schedules)
            if not page.cursor:
                return found
            cursor = page.cursor

    def _update(self, schedule_id: str, expression: str, values: dict[str, Any]) -> None:
        try:
            self._db.update_item(TableName=self._table, Key={"id": {"S": schedule_id}},
                                 UpdateExpression=expression, ConditionExpression="attribute_exists(id)",
                                 ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues=values)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"schedule not found: {schedule_id}") from exc
            raise
