"""The console's routes, mounted by the control API at ``/_rez/console``: the page, its static
files, and the JSON it polls (``api/...``). Handlers are plain functions: Starlette runs them in
its thread pool, so the blocking AWS and HTTP calls never hold the event loop.

What the console polls is read from the AWS endpoint and the platform (``records.py``); what a person
does in it (inspect or redrive a DLQ, pause or resume a schedule) goes through the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from emulation.console import records
from emulation.console.queues import queues_view
from emulation.console.schedules import schedules_view
from emulation.console.webapi import ApiError, WebApi
from infra import manifest

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

    def ddb() -> Any:
        assert stack.session
        return stack.session.client("dynamodb")

    def messages(request: Request) -> Any:
        query = request.query_params
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else 50
        found = records.messages(ddb(), stack.naming.table("messages"), status=query.get("status") or None,
                                 message_type=query.get("message_type") or None, limit=min(limit, 500))
        return {"messages": found, "count": len(found)}

    def message(request: Request) -> Any:
        message_id = request.path_params["message_id"]
        record = records.message(ddb(), stack.naming.table("messages"), message_id)
        if record is None:
            raise ApiError(404, {"error": f"no message {message_id!r}"})
        # Every trace that changed it (a redrive starts a trace of its own); reads of it are left out.
        traces = [t for t in reversed(stack.traces.recent(500))
                  if message_id in t["message_ids"] and ": GET " not in t["entry"]]
        found = [stack.traces.resolve(t["trace_id"]) for t in traces]
        hops = sorted((h for t in found if t for h in stack.traces.as_json(t)["hops"]),
                      key=lambda h: (h["ts"], h["seq"]))
        history = [h for h in hops
                   if h["target"] in HISTORY_TARGETS or h["kind"] == "invoke" or h["source"] == "SQS Queue"]
        return {"message": record, "results": records.results(ddb(), stack.naming.table("results"), message_id),
                "history": history, "traces": [{"trace_id": t["trace_id"], "entry": t["entry"]} for t in traces]}

    def queues(_: Request) -> dict[str, Any]:
        assert stack.session and stack.provisioned
        rows = queues_view(stack.session.client("sqs"), dict(stack.provisioned.queue_urls))
        depth = {row["name"]: row["visible"] + row["in_flight"] for row in rows}
        dlqs = [{"queue": key, "source": stack.naming.queue(key), "dlq": stack.naming.dlq(key),
                 "messages": depth.get(stack.naming.dlq(key), 0)}
                for key, queue in manifest.QUEUES.items() if queue.has_dlq]
        return {"queues": rows, "dlqs": dlqs}

    def dlq(request: Request) -> Any:
        return api.call("GET", f"/api/dlq/{request.path_params['queue']}")

    def redrive(request: Request) -> Any:
        return api.call("POST", f"/api/dlq/{request.path_params['queue']}/redrive")

    def schedules(_: Request) -> dict[str, Any]:
        assert stack.session
        stored = records.schedules(ddb(), stack.naming.table("schedules"))
        return {"now": stack.clock.now().isoformat(),
                "schedules": schedules_view(stored, stack.session.client("scheduler"), stack.clock.now())}

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
