"""The Lambda API's event source mapping operations, answered for the platform's own pollers.

The event plane is ours, so the data-plane emulator knows nothing of the SQS pollers: the
platform answers ``ListEventSourceMappings``, ``GetEventSourceMapping`` and
``UpdateEventSourceMapping`` itself (functions reach it through ``AWS_ENDPOINT_URL_LAMBDA``), so
code that asks AWS whether its mappings are enabled — the web API's health check — gets the same
answer locally as on AWS.

LIMITATIONS: only the mappings of the manifest (no Create/Delete); ``UpdateEventSourceMapping``
honours ``Enabled`` only; no signature check; one page (``NextMarker`` never set).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from emulation.runtime.pollers import SqsPoller
    from emulation.stack import Stack

PREFIX = "/2015-03-31/event-source-mappings"


def mapping_uuid(poller: SqsPoller) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{poller.spec.queue_arn}|{poller.spec.function}"))


def describe(poller: SqsPoller, function_arn: str, modified: float) -> dict[str, Any]:
    if not poller.alive:
        state, reason = "Disabled", "PROBLEM: the poller is not running"
    elif not poller.enabled:
        state, reason = "Disabled", "USER_INITIATED"
    else:
        state, reason = "Enabled", "USER_INITIATED"
    spec = poller.spec
    return {"UUID": mapping_uuid(poller), "EventSourceArn": spec.queue_arn, "FunctionArn": function_arn,
            "BatchSize": spec.batch_size, "MaximumBatchingWindowInSeconds": 0, "LastModified": modified,
            "State": state, "StateTransitionReason": reason,
            "FunctionResponseTypes": ["ReportBatchItemFailures"] if spec.report_batch_item_failures else []}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"Type": "User", "message": message}, status_code=status,
                        headers={"x-amzn-ErrorType": code})


def lambda_api_routes(stack: Stack) -> list[Route]:
    started = time.time()

    def mappings() -> list[SqsPoller]:
        # The SNS -> Lambda bridges are subscriptions on AWS, not event source mappings.
        return [p for p in stack.pollers if not p.spec.sns_subscription_arn]

    def arn(poller: SqsPoller) -> str:
        return stack.runner.specs[poller.spec.function].arn

    def matches(poller: SqsPoller, function: str | None, source: str | None) -> bool:
        fn_arn = arn(poller)
        return (not source or source == poller.spec.queue_arn) and \
            (not function or function in (fn_arn, fn_arn.rsplit(":", 1)[-1], poller.spec.function))

    async def list_mappings(request: Request) -> JSONResponse:
        function, source = request.query_params.get("FunctionName"), request.query_params.get("EventSourceArn")
        return JSONResponse({"EventSourceMappings": [describe(p, arn(p), started) for p in mappings()
                                                     if matches(p, function, source)]})

    async def one_mapping(request: Request) -> JSONResponse:
        found = next((p for p in mappings() if mapping_uuid(p) == request.path_params["uuid"]), None)
        if found is None:
            return _error(404, "ResourceNotFoundException",
                          f"The resource you requested does not exist. (UUID {request.path_params['uuid']})")
        if request.method == "PUT":
            raw = await request.body()
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _error(400, "InvalidParameterValueException", "the request body is not JSON")
            if isinstance(body, dict) and isinstance(body.get("Enabled"), bool):
                found.set_enabled(body["Enabled"])
            return JSONResponse(describe(found, arn(found), time.time()), status_code=202)
        return JSONResponse(describe(found, arn(found), started))

    return [Route(f"{PREFIX}/", list_mappings, methods=["GET"]),
            Route(PREFIX, list_mappings, methods=["GET"]),
            Route(f"{PREFIX}/{{uuid}}", one_mapping, methods=["GET", "PUT"])]
