"""Starlette app speaking the Bedrock Runtime Converse API, backed by a pluggable backend.

Point boto3 at it with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:<port>`` (any dummy
credentials; SigV4 is not checked) and ``ChatBedrockConverse`` runs unchanged.

Wire routes (as botocore calls them):
* ``POST /model/{modelId}/converse`` — Converse.
* ``POST /model/{modelId}/converse-stream`` — ConverseStream, as an AWS event stream.
* any other ``/model/{modelId}/...`` operation (InvokeModel, ...) → ValidationException.

Control routes (for tests and demos, never called by production code):
* ``GET  /_fake/bedrock/calls`` — received requests and what was answered (``?since=<seq>``).
* ``GET  /_fake/bedrock/calls/scenario?name=<name>`` — the successful calls as a scripted
  scenario file: record a demo with the intent/Ollama backend, replay it with ``scripted``.
* ``POST /_fake/reset`` (alias ``POST /_fake/bedrock/reset``) — forget calls and faults, reset
  the backend (scripted: cursors and selected scenario).
* ``GET  /_fake/bedrock/scenario`` / ``POST /_fake/bedrock/scenario {"name": ...}`` — list or
  select the scripted scenario (409 for other backends).
* ``GET|POST|DELETE /_fake/bedrock/faults`` — queue faults for the next calls:
  ``{"code": "ThrottlingException", "message": "...", "times": 1, "latency_ms": 0}``; ``code``
  may be null for latency only.
* ``GET  /_fake/bedrock/health`` — backend status (503 when its model is unreachable).
* ``GET  /_fake/bedrock/backend`` / ``POST /_fake/bedrock/backend {"name": ..., "options": {...}}``
  — show or switch the backend at run time (``make_backend`` names and options; 400 for an
  unknown one). Calls and faults are kept; the new backend starts fresh.

Like Bedrock, an unknown model id is ``ValidationException`` "The provided model identifier is
invalid." and a ``maxTokens`` above the model's output limit ``ValidationException`` "The maximum
tokens you requested exceeds the model limit of N. ..." (HTTP 400, ``x-amzn-ErrorType``), before
the backend runs. Known ids and limits: ``models.py``.

LIMITATIONS:
* No SigV4 verification, no region/account partitioning, one backend at a time per app.
* ``maxTokens`` and ``stopSequences`` are applied to text answers after the backend produced
  them; tool-use turns are never truncated.
* Faults are consumed by every attempt, including botocore's automatic retries (429/503 are
  retried by default): tests injecting them should disable retries or queue enough faults.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import eventstream
from .backends import make_backend
from .backends.base import Backend, ScenarioBackend
from .backends.scenarios import scenario_from_calls
from .models import MAX_OUTPUT_TOKENS, max_tokens_message, output_limit
from .wire import (
    ERROR_STATUS,
    BedrockError,
    ContentBlock,
    ConverseRequest,
    InternalServerException,
    ModelTurn,
    ValidationException,
    converse_response,
    count_output_tokens,
    parse_request,
)

log = logging.getLogger(__name__)


class Fault(BaseModel):
    code: str | None = None
    message: str = "Injected fault from the local Bedrock fake"
    times: int = Field(default=1, ge=1)
    latency_ms: int = Field(default=0, ge=0, le=600_000)


class _State:
    def __init__(self, max_calls: int) -> None:
        self.calls: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.seq = 0
        self.max_calls = max_calls

    def record(self, entry: dict[str, Any]) -> None:
        self.calls.append(entry)
        del self.calls[: -self.max_calls]


def _error(err: BedrockError) -> JSONResponse:
    headers = {**err.headers(), "x-amzn-RequestId": str(uuid.uuid4())}
    return JSONResponse(err.body(), status_code=err.status, headers=headers)


def apply_limits(turn: ModelTurn, request: ConverseRequest) -> ModelTurn:
    """Apply stopSequences and maxTokens to a text-only answer, as a model would."""
    cfg = request.inferenceConfig
    if cfg is None or turn.stop_reason != "end_turn" or any(b.text is None for b in turn.content):
        return turn
    text = "".join(b.text or "" for b in turn.content)
    reason = turn.stop_reason
    cuts = [text.find(s) for s in (cfg.stopSequences or []) if s and s in text]
    if cuts:
        text, reason = text[: min(cuts)], "stop_sequence"
    if cfg.maxTokens is not None and count_output_tokens([ContentBlock(text=text)]) > cfg.maxTokens:
        text, reason = text[: cfg.maxTokens * 4], "max_tokens"
    if reason == turn.stop_reason:
        return turn
    return ModelTurn(content=[ContentBlock(text=text or " ")], stop_reason=reason)


def create_bedrock_app(
    backend: Backend,
    *,
    known_models: Iterable[str] | None = None,
    max_recorded_calls: int = 1000,
    clock: Callable[[], float] = time.perf_counter,
) -> Starlette:
    """Build the fake. Model ids are checked against the catalog (``models.py``), or against
    ``known_models`` (ids or ARN tails; their output limits from the catalog) when given."""
    state = _State(max_recorded_calls)
    if known_models is None:
        known: dict[str, int | None] = dict(MAX_OUTPUT_TOKENS)
    else:
        known = {m: output_limit(m, dict(MAX_OUTPUT_TOKENS))[1] for m in known_models}

    async def _take_fault() -> None:
        if not state.faults:
            return
        fault = state.faults[0]
        fault.times -= 1
        if fault.times <= 0:
            state.faults.pop(0)
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.code:
            raise BedrockError(fault.message, code=fault.code)

    async def model_operation(request: Request) -> Response:
        model_id = request.path_params["model_id"]
        operation = request.path_params["operation"]
        started = clock()
        body = await request.body()
        state.seq += 1
        entry: dict[str, Any] = {"seq": state.seq, "operation": operation, "modelId": model_id}
        try:
            entry["request"] = json.loads(body or b"{}")
        except ValueError:
            entry["request"] = body.decode(errors="replace")
        try:
            if operation not in ("converse", "converse-stream"):
                raise ValidationException(
                    f"Operation POST /model/{{modelId}}/{operation} is not supported by the local "
                    "Bedrock fake; use Converse or ConverseStream."
                )
            await _take_fault()
            found, limit = output_limit(model_id, known)
            if not found:
                raise ValidationException("The provided model identifier is invalid.")
            converse_request = parse_request(body)
            asked = converse_request.inferenceConfig.maxTokens if converse_request.inferenceConfig else None
            if limit is not None and asked is not None and asked > limit:
                raise ValidationException(max_tokens_message(limit))
            backend = app.state.backend
            turn = await run_in_threadpool(backend.converse, model_id, converse_request)
            turn = apply_limits(turn, converse_request)
            latency_ms = int((clock() - started) * 1000)
            payload = converse_response(turn, converse_request, latency_ms)
        except BedrockError as err:
            entry["error"] = {"code": err.code, "message": err.message}
            state.record(entry)
            return _error(err)
        except Exception as exc:  # a backend bug must still look like an AWS error to the client
            log.exception("bedrock fake backend %s failed", app.state.backend.name)
            err = InternalServerException(f"local Bedrock backend {app.state.backend.name!r} failed: {exc!r}")
            entry["error"] = {"code": err.code, "message": err.message}
            state.record(entry)
            return _error(err)
        entry["response"] = payload
        state.record(entry)
        request_id = {"x-amzn-RequestId": str(uuid.uuid4())}
        if operation == "converse":
            return JSONResponse(payload, headers=request_id)
        events = eventstream.stream_events(turn, payload["usage"], payload["metrics"]["latencyMs"])
        return Response(b"".join(events), media_type=eventstream.CONTENT_TYPE, headers=request_id)

    async def calls(request: Request) -> JSONResponse:
        since = int(request.query_params.get("since", 0))
        return JSONResponse({"calls": [c for c in state.calls if c["seq"] > since]})

    async def calls_as_scenario(request: Request) -> JSONResponse:
        name = request.query_params.get("name", "recorded")
        return JSONResponse(scenario_from_calls(name, state.calls))

    async def reset(request: Request) -> JSONResponse:
        state.calls.clear()
        state.faults.clear()
        await run_in_threadpool(app.state.backend.reset)
        return JSONResponse({"ok": True})

    async def scenario(request: Request) -> JSONResponse:
        backend = app.state.backend
        if not isinstance(backend, ScenarioBackend):
            return JSONResponse({"error": f"backend {backend.name!r} has no scenarios"}, status_code=409)
        if request.method == "GET":
            return JSONResponse(backend.describe())
        try:
            name = (await request.json())["name"]
            backend.select_scenario(name)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'body must be {"name": "<scenario>"}'}, status_code=400)
        except BedrockError as err:
            return JSONResponse({"error": err.message}, status_code=404)
        return JSONResponse({"ok": True, "selected": name})

    async def faults(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            try:
                raw = await request.json()
                items = [Fault.model_validate(f) for f in (raw if isinstance(raw, list) else [raw])]
            except (ValueError, ValidationError) as e:
                return JSONResponse({"error": str(e)}, status_code=400)
            bad = [f.code for f in items if f.code and f.code not in ERROR_STATUS]
            if bad:
                return JSONResponse({"error": f"unknown codes {bad}; known {sorted(ERROR_STATUS)}"}, 400)
            state.faults.extend(items)
        return JSONResponse({"faults": [f.model_dump() for f in state.faults]})

    async def health(request: Request) -> JSONResponse:
        backend = app.state.backend
        info = await run_in_threadpool(backend.describe)
        return JSONResponse({"backend": backend.name, **info}, status_code=200 if info.get("ok") else 503)

    async def switch_backend(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                raw = await request.json()
                name, options = raw["name"], raw.get("options") or {}
                if not isinstance(name, str) or not isinstance(options, dict):
                    raise TypeError("name must be a string, options an object")
                new = await run_in_threadpool(lambda: make_backend(name, **options))
            except (ValueError, KeyError, TypeError, FileNotFoundError) as exc:
                return JSONResponse({"error": f'body must be {{"name": ..., "options": {{...}}}}: {exc}'}, 400)
            app.state.backend = new
        return JSONResponse({"backend": app.state.backend.name})

    routes = [
        Route("/model/{model_id:path}/{operation}", model_operation, methods=["POST"]),
        Route("/_fake/bedrock/calls", calls, methods=["GET"]),
        Route("/_fake/bedrock/calls/scenario", calls_as_scenario, methods=["GET"]),
        Route("/_fake/reset", reset, methods=["POST"]),
        Route("/_fake/bedrock/reset", reset, methods=["POST"]),
        Route("/_fake/bedrock/scenario", scenario, methods=["GET", "POST"]),
        Route("/_fake/bedrock/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_fake/bedrock/health", health, methods=["GET"]),
        Route("/_fake/bedrock/backend", switch_backend, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.backend = backend
    return app
