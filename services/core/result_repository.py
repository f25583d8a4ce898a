"""The web-action results table (ORIGINAL_SYSTEM §2.2): one row per execution attempt.

A row starts ``processing`` and ends ``completed`` (with the upstream's real status code and the
texts produced) or ``failed`` (with the error). Rows expire 72 h after creation (``ttl``, epoch
seconds). ``get_by_message_id`` queries the ``message_id-index`` GSI and returns the newest row.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from services.core import clock
from services.core.dynamo import error_code, from_item, to_item, to_value
from services.core.errors import ConflictError, NotFoundError

MESSAGE_INDEX = "message_id-index"
MAX_BODY_BYTES = 50 * 1024
TRUNCATED = "... [TRUNCATED]"
TTL = timedelta(hours=72)
_ID_ATTEMPTS = 5


class ResultStatus:
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass
class WebActionResult:
    id: str
    message_id: str
    action: str
    url: str
    status: str
    created_date: str
    ttl: int
    stage: str
    updated_date: str | None = None
    response_code: int | None = None
    response_body: str | None = None
    error_message: str | None = None
    execution_time_ms: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebActionResult:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})


def new_result_id(moment: datetime | None = None) -> str:
    """``result_<UTC yyyymmddHHMMSS>_<6 digits>``."""
    moment = moment or clock.now()
    return f"result_{moment:%Y%m%d%H%M%S}_{secrets.randbelow(1_000_000):06d}"


def truncate_body(text: str, limit: int = MAX_BODY_BYTES) -> str:
    """At most ``limit`` UTF-8 bytes of ``text`` (cut on a character boundary) + the marker."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore") + TRUNCATED


class ResultRepository:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def start(self, *, message_id: str, action: str, url: str, stage: str) -> WebActionResult:
        """Store a new ``processing`` row (never overwriting another) and return it."""
        moment = clock.now()
        result = WebActionResult(id=new_result_id(moment), message_id=message_id, action=action, url=url,
                                 status=ResultStatus.PROCESSING, created_date=clock.iso(moment),
                                 ttl=int((moment + TTL).timestamp()), stage=stage)
        for _ in range(_ID_ATTEMPTS):
            try:
                self._db.put_item(TableName=self._table, Item=to_item(result.to_json_dict()),
                                  ConditionExpression="attribute_not_exists(id)")
                return result
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                result.id = new_result_id(moment)
        raise ConflictError("could not allocate a unique result id")

    def complete(self, result_id: str, *, response_code: int | None, response_body: str,
                 execution_time_ms: int) -> None:
        values: dict[str, Any] = {"response_body": truncate_body(response_body),
                                  "execution_time_ms": execution_time_ms}
        if response_code is not None:
            values["response_code"] = response_code
        self._finish(result_id, ResultStatus.COMPLETED, values, remove=("error_message",))

    def fail(self, result_id: str, *, error_message: str, execution_time_ms: int,
             response_code: int | None = None) -> None:
        values: dict[str, Any] = {"error_message": error_message, "execution_time_ms": execution_time_ms}
        if response_code is not None:
            values["response_code"] = response_code
        self._finish(result_id, ResultStatus.FAILED, values)

    def get(self, result_id: str) -> WebActionResult:
        item = self._db.get_item(TableName=self._table, Key={"id": {"S": result_id}},
                                 ConsistentRead=True).get("Item")
        if not item:
            raise NotFoundError(f"web action result not found: {result_id}")
        return WebActionResult.from_dict(from_item(item))

    def list_for_message(self, message_id: str) -> list[WebActionResult]:
        """Every row of one message (one per attempt), oldest first."""
        results: list[WebActionResult] = []
        request: dict[str, Any] = {
            "TableName": self._table, "IndexName": MESSAGE_INDEX,
            "KeyConditionExpression": "message_id = :m",
            "ExpressionAttributeValues": {":m": to_value(message_id)},
        }
        while True:
            response = self._db.query(**request)
            results.extend(WebActionResult.from_dict(from_item(i)) for i in response.get("Items", []))
            if not response.get("LastEvaluatedKey"):
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(results, key=lambda r: (r.created_date, r.id))

    def get_by_message_id(self, message_id: str) -> WebActionResult:
        """The newest row of a message."""
        results = self.list_for_message(message_id)
        if not results:
            raise NotFoundError(f"web action result not found for message: {message_id}")
        return results[-1]

    def _finish(self, result_id: str, status: str, values: dict[str, Any], remove: tuple[str, ...] = ()) -> None:
        values = {**values, "status": status, "updated_date": clock.iso(clock.now())}
        names = {f"#{k}": k for k in values}
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in values)
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        try:
            self._db.update_item(TableName=self._table, Key={"id": {"S": result_id}},
                                 UpdateExpression=expression, ConditionExpression="attribute_exists(id)",
                                 ExpressionAttributeNames=names,
                                 ExpressionAttributeValues={f":{k}": to_value(v) for k, v in values.items()})
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFoundError(f"web action result not found: {result_id}") from exc
            raise
