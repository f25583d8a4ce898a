"""The emulator's control API: the clock, function logs, the stack's URLs.

Not part of the system under test — it is how a developer or a test drives the platform
(``rez clock advance 2h`` calls ``POST /_rez/clock/advance``).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from emulation.console import create_console_app

if TYPE_CHECKING:
    from emulation.stack import Stack

_DURATION = re.compile(r"^\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``3d``, ``1d2h30m`` or a plain number of seconds."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    found = _DURATION.match(text)
    if not text or not found or not any(found.groups()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 2h, 3d)")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def create_control_app(stack: Stack) -> Starlette:
    clock = stack.clock

    async def health(_: Request) -> JSONResponse:
        """The platform's own view: the emulator child (restarted by its supervisor) and the pollers."""
        backend = stack.supervisor.state() if stack.supervisor else {
            "backend": getattr(stack.backend, "name", None), "status": "unsupervised"}
        pollers = [{"function": p.spec.function, "queue_arn": p.spec.queue_arn, "alive": p.alive,
                    "enabled": p.enabled} for p in stack.pollers]
        reasons = ([f"AWS endpoint: {backend.get('reason') or backend['status']}"]
                   if backend["status"] in ("restarting", "failed") else [])
        reasons += [f"poller {p['function']} ({p['queue_arn'].rsplit(':', 1)[-1]}) is not running"
                    for p in pollers if not p["alive"]]
        body = {"status": "degraded" if reasons else "ok", "urls": asdict(stack.urls), "stage": stack.config.stage,
                "backend": backend, "pollers": pollers}
        if reasons:
            body["reason"] = "; ".join(reasons)
        return JSONResponse(body)

    async def clock_state(_: Request) -> JSONResponse:
        return JSONResponse(clock.state())

    async def freeze(request: Request) -> JSONResponse:
        body = await _json(request)
        try:
            at = datetime.fromisoformat(body["at"].replace("Z", "+00:00")) if body.get("at") else None
        except (ValueError, AttributeError):
            return JSONResponse({"error": "at: expected an ISO 8601 timestamp with a timezone"}, status_code=400)
        if at is not None and at.tzinfo is None:
            return JSONResponse({"error": "at: needs a timezone (e.g. Z)"}, status_code=400)
        clock.freeze(at)
        return JSONResponse(clock.state())

    async def unfreeze(_: Request) -> JSONResponse:
        clock.unfreeze()
        return JSONResponse(clock.state())

    async def advance(request: Request) -> JSONResponse:
        body = await _json(request)
        try:
            delta = parse_duration(body.get("by", body.get("seconds", "")))
        except ValueError as exc:
            return JSONResponse({"error": f"by: {exc}"}, status_code=400)
        from starlette.concurrency import run_in_threadpool

        fired = await run_in_threadpool(clock.advance, delta)
        return JSONResponse({**clock.state(), "fired": fired})

    async def logs(request: Request) -> JSONResponse:
        function = request.path_params.get("function")
        if function and function not in stack.runner.specs:
            return JSONResponse({"error": f"unknown function {function!r}"}, status_code=404)
        after = int(request.query_params.get("after", "0") or 0)
        return JSONResponse({"lines": [asdict(line) for line in stack.logs.lines(function, after)]})

    async def access(_: Request) -> JSONResponse:
        return JSONResponse({"entries": stack.access_log[-500:]})

    async def mappings(_: Request) -> JSONResponse:
        return JSONResponse({"mappings": [
            {"function": p.spec.function, "queue_arn": p.spec.queue_arn, "batch_size": p.spec.batch_size,
             "enabled": p.enabled, "invocations": p.invocations} for p in stack.pollers]})

    async def set_mapping(request: Request) -> JSONResponse:
        function, action = request.path_params["function"], request.path_params["action"]
        found = [p for p in stack.pollers if p.spec.function == function]
        if not found or action not in ("enable", "disable"):
            return JSONResponse({"error": f"no event source mapping for {function!r} / action {action!r}"},
                                status_code=404)
        for poller in found:
            poller.set_enabled(action == "enable")
        return await mappings(request)

    async def traces(request: Request) -> JSONResponse:
        limit = request.query_params.get("limit", "50")
        if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= 1000:
            return JSONResponse({"error": "limit: an integer from 1 to 1000"}, status_code=400)
        return JSONResponse({"traces": stack.traces.recent(int(limit))})

    async def trace(request: Request) -> JSONResponse:
        found = stack.traces.resolve(request.path_params["key"])
        if found is None:
            return JSONResponse({"error": f"no trace for {request.path_params['key']!r}"}, status_code=404)
        return JSONResponse(stack.traces.as_json(found))

    async def function_faults(request: Request) -> JSONResponse:
        from emulation.runtime.functions import FunctionFaults

        function = request.path_params["function"]
        if function not in stack.runner.specs:
            return JSONResponse({"error": f"unknown function {function!r}"}, status_code=404)
        if request.method == "DELETE":
            stack.runner.faults.pop(function, None)
            return JSONResponse({"function": function, "faults": None})
        body = await _json(request)
        try:
            faults = FunctionFaults(**{k: int(v) for k, v in body.items()})
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"expected fail_next, timeout_next, latency_ms (integers): {exc}"},
                                status_code=400)
        stack.runner.faults[function] = faults
        return JSONResponse({"function": function, "faults": asdict(faults)})

    async def alarms(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        evaluator = stack.alarms
        if request.method == "POST":
            await run_in_threadpool(evaluator.evaluate)
        cloudwatch = stack.session.client("cloudwatch")
        found = await run_in_threadpool(lambda: cloudwatch.describe_alarms()["MetricAlarms"])
        return JSONResponse({"alarms": [{"name": a["AlarmName"], "state": a["StateValue"],
                                         "reason": a.get("StateReason", "")} for a in found],
                             "transitions": evaluator.transitions[-100:]})

    from emulation.runtime.lambda_api import lambda_api_routes

    return Starlette(routes=[
        *lambda_api_routes(stack),
        Route("/_rez/functions/{function}/faults", function_faults, methods=["POST", "DELETE"]),
        Route("/_rez/alarms", alarms, methods=["GET", "POST"]),
        Route("/_rez/traces", traces),
        Route("/_rez/traces/{key:path}", trace),
        Route("/_rez/event-source-mappings", mappings),
        Route("/_rez/event-source-mappings/{function}/{action}", set_mapping, methods=["POST"]),
        Route("/_rez/health", health),
        Route("/_rez/clock", clock_state),
        Route("/_rez/clock/freeze", freeze, methods=["POST"]),
        Route("/_rez/clock/unfreeze", unfreeze, methods=["POST"]),
        Route("/_rez/clock/advance", advance, methods=["POST"]),
        Route("/_rez/logs", logs),
        Route("/_rez/logs/{function}", logs),
        Route("/_rez/access-log", access),
        Mount("/_rez/console", app=create_console_app(stack)),  # the web console: emulation/console/
    ])


async def _json(request: Request) -> dict:
    raw = await request.body()
    if not raw:
        return {}
    import json

    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
