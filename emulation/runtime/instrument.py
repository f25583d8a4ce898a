"""Auto-instrumentation of a function's worker process, the way the X-Ray SDK's ``patch_all`` works.

The platform sees every AWS call (botocore) and every outside HTTP call (httpx) a function makes,
without a line of tracing code in ``services/``: the worker patches the two libraries before it
imports the handler. Each call becomes a record returned to the platform with the invocation;
outgoing HTTP requests carry the invocation's ``X-Amzn-Trace-Id``.

Records never contain parameters beyond resource names and ids: no payloads, no secrets.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

_calls: list[dict[str, Any]] = []
# Told about a message body *before* it is published or sent, so the platform can link the SQS
# record that will deliver it to this invocation's trace even if it arrives before we return.
on_send: Any = None

# Which request parameter names the resource an operation touches, per service.
_RESOURCE_PARAMS = ("TableName", "TopicArn", "QueueUrl", "SecretId", "Name", "GroupName", "FunctionName",
                    "modelId")


def begin() -> None:
    _calls.clear()


def collected() -> list[dict[str, Any]]:
    return list(_calls)


def _resource(params: dict[str, Any]) -> str:
    for name in _RESOURCE_PARAMS:
        value = params.get(name)
        if isinstance(value, str):
            if name == "modelId":  # model ids contain ':' ("...-v1:0"); ARNs end in "/<id>"
                return value.rsplit("/", 1)[-1]
            return value.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return ""


def _message_ids(params: dict[str, Any]) -> list[str]:
    ids = []
    for holder in (params.get("Item"), params.get("Key")):
        if isinstance(holder, dict):
            value = holder.get("id") or holder.get("session_id")
            if isinstance(value, dict) and isinstance(value.get("S"), str):
                ids.append(value["S"])
    return ids


def _patch_botocore() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def traced(self, operation_name: str, api_params: dict[str, Any]):
        service = self.meta.service_model.service_name
        record: dict[str, Any] = {"kind": "aws", "service": service, "operation": operation_name,
                                  "resource": _resource(api_params), "ids": _message_ids(api_params),
                                  "start": time.time()}
        body = api_params.get("Message") if service == "sns" else api_params.get("MessageBody")
        if isinstance(body, str):
            record["body_md5"] = hashlib.md5(body.encode()).hexdigest()
            if on_send is not None:
                on_send(record["body_md5"])
        started = time.perf_counter()
        try:
            return original(self, operation_name, api_params)
        except Exception as exc:
            record["error"] = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            raise
        finally:
            record["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            _calls.append(record)

    BaseClient._make_api_call = traced


def _http_record(request: Any) -> dict[str, Any]:
    url = urlsplit(str(request.url))
    return {"kind": "http", "method": request.method, "origin": f"{url.scheme}://{url.netloc}", "path": url.path,
            "start": time.time()}


def _patch_httpx() -> None:
    import httpx

    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def _start(request: Any) -> dict[str, Any]:
        trace = os.environ.get("_X_AMZN_TRACE_ID")
        if trace and "x-amzn-trace-id" not in request.headers:
            request.headers["X-Amzn-Trace-Id"] = trace
        return _http_record(request)

    @contextmanager
    def recording(request: Any):
        record, started = _start(request), time.perf_counter()
        try:
            yield record
        except Exception as exc:
            record["error"] = type(exc).__name__
            raise
        finally:
            record["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            _calls.append(record)

    def send(self, request, *args, **kwargs):
        with recording(request) as record:
            response = sync_send(self, request, *args, **kwargs)
            record["status"] = response.status_code
            return response

    async def asend(self, request, *args, **kwargs):
        with recording(request) as record:
            response = await async_send(self, request, *args, **kwargs)
            record["status"] = response.status_code
            return response

    httpx.Client.send = send
    httpx.AsyncClient.send = asend


def install() -> None:
    _patch_botocore()
    _patch_httpx()
