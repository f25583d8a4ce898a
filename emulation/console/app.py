"""The console's routes, mounted by the control API at ``/_rez/console``: the page, its static
files, and the JSON it polls (``api/...``). Handlers are plain functions: Starlette runs them in
its thread pool, so the blocking AWS and HTTP calls never hold the event loop."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from emulation.console.queues import queues_view
from emulation.console.schedules import schedules_view
from emulation.console.webapi import ApiError, WebApi

if TYPE_CHECKING:
    from emulation.stack import Stack

STATIC = Path(__file__).parent / "static"
# Participants whose hops tell a message's story: its record's writes, its deliveries, the DLQ.
HISTORY_TARGETS = ("DynamoDB", "Dead Letter Queue", "SNS Topic")


def create_console_app(stack: Stack) -> Starlette:
    api = WebApi(stack)

    def guarded(handler):
        def run(request: Request) -> JSONResponse:
            try:
                return JSONResponse(handler(request))
            except ApiError as exc:
                return JSONResponse(exc.body if isinstance(exc.body, dict) else {"error": str(exc.body)},
                                    status_code=exc.status)
            except httpx.HTTPError as exc:
                return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=502)
        return run

    def index(_: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})

    def overview(_: Request) -> dict[str, Any]:
        return {"stage": stack.config.stage, "target": stack.config.target,
                "urls": {"api": stack.urls.api, "aws": stack.urls.aws, "control": stack.urls.control,
                         "ntfy": stack.urls.ntfy, "fakes": stack.urls.fakes},
                "functions": sorted(stack.runner.specs) if stack.runner else [],
                "function_faults": {k: vars(v) for k, v in (stack.runner.faults if stack.runner else {}).items()},
                "ntfy_topic": stack.config.ntfy_topic}

    def messages(request: Request) -> Any:
        params = {k: v for k, v in request.query_params.items() if v and k in
                  ("status", "message_type", "stage", "limit", "cursor")}
        return api.call("GET", "/api/messages", params={"limit": "50", **params})

    def message(request: Request) -> dict[str, Any]:
        message_id = request.path_params["message_id"]
        record = api.call("GET", f"/api/messages/{message_id}")
        results = api.call("GET", f"/api/messages/{message_id}/results").get("results", []) \
            if record.get("message_type") == "web_action" else []
        found = stack.traces.resolve(message_id)
        trace = stack.traces.as_json(found) if found else None
        history = [h for h in (trace or {}).get("hops", [])
                   if h["target"] in HISTORY_TARGETS or h["kind"] == "invoke" or h["source"] == "SQS Queue"]
        return {"message": record, "results": results, "history": history,
                "trace_id": trace["trace_id"] if trace else None}

    def queues(_: Request) -> dict[str, Any]:
        assert stack.session and stack.provisioned
        dlqs = api.call("GET", "/api/dlq")["queues"]
        return {"queues": queues_view(stack.session.client("sqs"), dict(stack.provisioned.queue_urls)),
                "dlqs": dlqs}

    def dlq(request: Request) -> Any:
        return api.call("GET", f"/api/dlq/{request.path_params['queue']}")

    def redrive(request: Request) -> Any:
        return api.call("POST", f"/api/dlq/{request.path_params['queue']}/redrive")

    def schedules(_: Request) -> dict[str, Any]:
        assert stack.session
        return {"now": stack.clock.now().isoformat(),
                "schedules": schedules_view(api, stack.session.client("scheduler"), stack.clock.now())}

    def schedule_action(request: Request) -> Any:
        action = request.path_params["action"]
        if action not in ("pause", "resume", "execute"):
            raise ApiError(400, {"error": f"unknown action {action!r}: pause, resume or execute"})
        return api.call("POST", "/api/schedules", json={"action": action,
                                                        "schedule_id": request.path_params["schedule_id"]})

    def inbox(_: Request) -> Any:
        return httpx.get(f"{stack.urls.ntfy}/_fake/ntfy/messages", timeout=10).json()

    def fakes(_: Request) -> dict[str, Any]:
        """The pending fault plans of each fake that takes them (the Bedrock stand-in does not)."""
        out = {}
        for name, origin in stack.urls.fakes.items():
            answer = httpx.get(f"{origin}/_fake/faults", timeout=10)
            if answer.status_code == 200:
                out[name] = answer.json().get("plans", [])
        return {"fakes": out}

    async def fake_faults(request: Request) -> JSONResponse:
        origin = stack.urls.fakes.get(request.path_params["name"])
        if origin is None:
            return JSONResponse({"error": f"unknown fake {request.path_params['name']!r}"}, status_code=404)
        async with httpx.AsyncClient(timeout=10) as client:
            if request.method == "DELETE":
                answer = await client.delete(f"{origin}/_fake/faults")
            else:
                answer = await client.post(f"{origin}/_fake/faults", content=await request.body(),
                                           headers={"content-type": "application/json"})
        return JSONResponse(answer.json() if answer.content else {}, status_code=answer.status_code)

    def agent(_: Request) -> dict[str, Any]:
        # The fragment never reaches a server or a log: the chat page reads it and forgets the link.
        return {"url": f"{stack.urls.api}/agent/ui#token={api.token()}"}

    return Starlette(routes=[
        Route("/", index),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        Route("/api/overview", guarded(overview)),
        Route("/api/messages", guarded(messages)),
        Route("/api/messages/{message_id}", guarded(message)),
        Route("/api/queues", guarded(queues)),
        Route("/api/dlq/{queue}", guarded(dlq)),
        Route("/api/dlq/{queue}/redrive", guarded(redrive), methods=["POST"]),
        Route("/api/schedules", guarded(schedules)),
        Route("/api/schedules/{schedule_id}/{action}", guarded(schedule_action), methods=["POST"]),
        Route("/api/inbox", guarded(inbox)),
        Route("/api/fakes", guarded(fakes)),
        Route("/api/fakes/{name}/faults", fake_faults, methods=["POST", "DELETE"]),
        Route("/api/agent", guarded(agent)),
    ])
