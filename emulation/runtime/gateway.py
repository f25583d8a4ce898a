"""The HTTP API: requests in, API Gateway v2 events to the routed function, its response out.

Routes come from the manifest (``infra.manifest.ROUTES``) and match like API Gateway HTTP APIs:
the most specific path wins (literal segments over ``{param}`` over ``{proxy+}``), a method over
``ANY``, and ``$default`` catches the rest. A function error answers 500 and a timeout 503 with
API Gateway's own bodies.

Routes declared ``auth="jwt"`` in the manifest go through the JWT authorizer (``authorizer.py``).

LIMITATIONS: no Lambda authorizers, no CORS preflight handling at the gateway (the function answers
OPTIONS), no payload format 1.0, no throttling, no custom domains or stages other than ``$default``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from emulation.runtime.authorizer import JwtAuthorizer, Unauthorized
from emulation.runtime.clock import PlatformClock
from emulation.runtime.events import http_api_event
from emulation.runtime.functions import FunctionRunner
from emulation.runtime.traces import TraceStore, function_participant, new_trace_id, root_of


@dataclass(frozen=True)
class CompiledRoute:
    route_key: str
    method: str
    pattern: re.Pattern | None
    specificity: tuple[int, int, int]
    function: str
    auth: str = "none"


def compile_route(route_key: str, function: str, auth: str = "none") -> CompiledRoute:
    if route_key == "$default":
        return CompiledRoute(route_key, "ANY", None, (-1, 0, 0), function, auth)
    method, path = route_key.split(" ", 1)
    parts, literal, params = [], 0, 0
    greedy = 0
    for segment in path.strip("/").split("/") if path != "/" else []:
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
            greedy = 1
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            params += 1
        else:
            parts.append(re.escape(segment))
            literal += 1
    pattern = re.compile("^/" + "/".join(parts) + "$")
    return CompiledRoute(route_key, method, pattern, (literal, -params, -greedy), function, auth)


def match(routes: list[CompiledRoute], method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
    best: tuple[tuple, CompiledRoute, dict[str, str]] | None = None
    for route in routes:
        if route.pattern is None or route.method not in (method, "ANY"):
            continue
        found = route.pattern.match(path)
        if found:
            rank = (route.specificity, route.method != "ANY")
            if best is None or rank > best[0]:
                best = (rank, route, found.groupdict())
    if best:
        return best[1], best[2]
    default = next((r for r in routes if r.pattern is None), None)
    return (default, {}) if default else None


AccessLog = Callable[[dict[str, Any]], None]


class HttpApiGateway:
    def __init__(self, routes: list[tuple[str, str, str]], runner: FunctionRunner, clock: PlatformClock, *,
                 api_id: str, account: str, domain: str, access_log: AccessLog | None = None,
                 traces: TraceStore | None = None, authorizer: JwtAuthorizer | None = None,
                 hosts: tuple[str, ...] = ()) -> None:
        self._traces = traces
        # The API's own host names: like API Gateway, a request for another host reaches no route,
        # and the one it used becomes the event's domainName (what the MCP server's checks compare with).
        self._hosts = hosts
        self._authorizer = authorizer
        self._routes = [compile_route(key, fn, auth) for key, fn, auth in routes]
        self._runner = runner
        self._clock = clock
        self._api_id, self._account, self._domain = api_id, account, domain
        self._access_log = access_log

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        method, path = request.method, request.url.path
        host = request.headers.get("host", "")
        if self._hosts and host not in self._hosts:
            return _gateway_error(404, "Not Found")
        found = match(self._routes, method, path)
        if found is None:
            return _gateway_error(404, "Not Found")
        route, params = found
        body = await request.body()
        event = http_api_event(
            method=method, path=path, raw_query=request.url.query, headers=request.headers.items(), body=body,
            route_key=route.route_key, path_parameters=params,
            source_ip=request.client.host if request.client else "127.0.0.1",
            api_id=self._api_id, domain=host if self._hosts else self._domain, account=self._account,
            now=self._clock.now())
        if route.auth == "jwt" and self._authorizer is not None:
            try:
                claims = await run_in_threadpool(self._authorizer.authorize, request.headers.get("authorization"))
            except Unauthorized as exc:
                return Response(json.dumps({"message": "Unauthorized", "reason": str(exc)}), status_code=401,
                                media_type="application/json", headers={"www-authenticate": "Bearer"})
            event["requestContext"]["authorizer"] = {"jwt": {
                "claims": {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()},
                "scopes": str(claims.get("scope", "")).split() or None}}
        incoming = root_of(request.headers.get("x-amzn-trace-id"))
        # A call made by a function of this stack (the agent calling the MCP server) continues its trace.
        nested = bool(incoming and self._traces and self._traces.known(incoming))
        trace_id = incoming or new_trace_id()
        if self._traces and not nested:
            self._traces.open(trace_id)
        event["headers"]["x-amzn-trace-id"] = trace_id
        invocation = await run_in_threadpool(self._runner.invoke, route.function, event, trace_id=trace_id)
        if invocation.error:
            timed_out = invocation.error.get("errorType") == "Sandbox.Timedout"
            response = _gateway_error(503, "Service Unavailable") if timed_out else \
                _gateway_error(500, "Internal Server Error")
        else:
            response = to_http_response(invocation.result)
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        response.headers["x-amzn-trace-id"] = trace_id
        if self._traces:
            at, fn = self._clock.now().isoformat(), function_participant(route.function)
            begun = invocation.started_at
            if not nested:
                self._traces.add(trace_id, "Client", "API Gateway", f"{method} {path}", "http", at, ts=begun - 1e-6)
                self._traces.add(trace_id, "API Gateway", fn, "Invoke", "invoke", at, ts=begun,
                                 request_id=invocation.request_id)
            self._traces.record_calls(trace_id, route.function, invocation.calls, at)
            if not nested:
                self._traces.add(trace_id, fn, "API Gateway", str(response.status_code), "response", at)
                self._traces.add(trace_id, "API Gateway", "Client", str(response.status_code), "response", at)
        if self._access_log:
            self._access_log({
                "requestId": event["requestContext"]["requestId"], "ip": event["requestContext"]["http"]["sourceIp"],
                "requestTime": event["requestContext"]["time"], "httpMethod": method, "routeKey": route.route_key,
                "status": response.status_code, "protocol": "HTTP/1.1",
                "responseLength": int(response.headers.get("content-length", 0)),
                "latencyMs": round((time.perf_counter() - started) * 1000, 1), "function": route.function,
            })
        return response


def to_http_response(result: Any) -> Response:
    """Map a payload-2.0 handler result to HTTP, as API Gateway does."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway treats anything else as a 200 JSON body.
        return Response(json.dumps(result), status_code=200, media_type="application/json")
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    if not any(name.lower() == "content-type" for name in headers):  # header names are case-insensitive
        headers["content-type"] = "application/json"
    response = Response(raw, status_code=int(result["statusCode"]), headers=headers)
    for cookie in result.get("cookies") or []:
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response


def _gateway_error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status_code=status, media_type="application/json")
