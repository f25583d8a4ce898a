"""Lambda event shapes, built the way AWS builds them."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl


def sqs_record(message: dict[str, Any], queue_arn: str, region: str, clock: Any = None) -> dict[str, Any]:
    """One record of an SQS event from a ReceiveMessage result entry (all attributes requested).

    With the platform ``clock``, ``SentTimestamp`` and ``ApproximateFirstReceiveTimestamp`` are
    platform time: the emulator stamps them on the wall clock, which a frozen or advanced platform
    clock does not follow (a message sent at frozen 09:00 says 09:00, not today's wall time)."""
    attributes = dict(message.get("Attributes", {}))
    if clock is not None:
        for name in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
            if attributes.get(name, "").isdigit():
                attributes[name] = platform_ms(clock, int(attributes[name]))
    record_attributes = {k: attributes[k] for k in (
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
        "AWSTraceHeader", "SequenceNumber", "MessageGroupId", "MessageDeduplicationId") if k in attributes}
    message_attributes = {
        name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
               "stringListValues": value.get("StringListValues", []),
               "binaryListValues": value.get("BinaryListValues", []), "dataType": value["DataType"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    for value in message_attributes.values():
        if value["binaryValue"] is None:
            del value["binaryValue"]
        if value["stringValue"] is None:
            del value["stringValue"]
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": record_attributes, "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def http_api_event(*, method: str, path: str, raw_query: str, headers: list[tuple[str, str]], body: bytes,
                   route_key: str, path_parameters: dict[str, str], source_ip: str, api_id: str,
                   domain: str, account: str, now: datetime | None = None) -> dict[str, Any]:
    """API Gateway HTTP API, payload format 2.0."""
    now = now or datetime.now(UTC)
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    content_type = merged.get("content-type", "")
    is_text = not body or content_type.startswith(("text/", "application/json", "application/x-www-form-urlencoded",
                                                   "application/xml", "application/javascript"))
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": account, "apiId": api_id, "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": merged.get("user-agent", "")},
            "requestId": base64.b32encode(uuid.uuid4().bytes).decode()[:16].rstrip("="),
            "routeKey": route_key, "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    return event


def scheduler_event(*, schedule_arn: str, input_json: str | None, region: str, account: str,
                    scheduled_time: datetime) -> Any:
    """What EventBridge Scheduler hands a Lambda target: the Input verbatim, or the default envelope."""
    if input_json is not None:
        import json

        return json.loads(input_json)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": account, "time": scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [schedule_arn], "detail": "{}"}


def now_ms() -> int:
    return int(time.time() * 1000)


def platform_ms(clock: Any, wall_ms: int) -> str:
    """A wall-clock epoch-milliseconds stamp, as the platform time it was then (SQS's string form)."""
    moment = clock.at_wall(datetime.fromtimestamp(wall_ms / 1000, UTC))
    return str(round(moment.timestamp() * 1000))
