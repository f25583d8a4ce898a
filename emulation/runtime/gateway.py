"""The HTTP API: requests in, API Gateway v2 events to the routed function, its response out.

Routes come from the manifest (``infra.manifest.ROUTES``) and match like API Gateway HTTP APIs:
the most specific path wins (literal segments over ``{param}`` over ``{proxy+}``), a method over
``ANY``, and ``$default`` catches the rest. Routes declared ``auth="jwt"`` go through the JWT
authorizer (``authorizer.py``) first. The event is built by ``http_event.py``.

Answers of the gateway itself, with API Gateway's bodies:

* 401 ``{"message":"Unauthorized"}`` and ``www-authenticate`` for a refused token (the reason is in
  the access log's ``authorizerError``); 503 when the identity provider cannot give its keys;
* 429 ``{"message":"Too Many Requests"}`` when the function's concurrency is used up (Lambda's
  ``TooManyRequestsException``): the request is answered at once, holding no thread;
* 500 ``{"message":"Internal Server Error"}`` for a function error (an unhandled exception, a
  function timeout, a runtime that exited) or a response that is not a valid payload-2.0 result;
* 503 ``{"message":"Service Unavailable"}`` when the integration takes longer than
  ``integration_timeout`` (30 s, API Gateway's limit for HTTP APIs); the function keeps running
  to its own timeout, as on AWS;
* 413 ``{"message":"Request Entity Too Large"}`` over 10 MB; 404 ``{"message":"Not Found"}``.

Invocations run on the gateway's own threads, one per concurrency slot of all functions: an
invocation never waits for a thread, and the agent's calls back through the gateway (to the MCP
server) cannot be starved by the requests waiting on them.

Every request is in the access log (``access_log``), with the fields of the deployed stage's log
format plus ``authorizerError``/``integrationError`` for refusals and failures.

LIMITATIONS: no Lambda authorizers, no CORS preflight handling at the gateway (the function answers
OPTIONS), no payload format 1.0, no stage throttling (only the functions' concurrency), no custom
domains or stages other than ``$default``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from emulation.runtime.authorizer import IdentityProviderUnavailable, JwtAuthorizer, Unauthorized
from emulation.runtime.clock import PlatformClock
from emulation.runtime.functions import FunctionRunner, Invocation
from emulation.runtime.http_event import authorizer_context, http_api_event, new_request_id
from emulation.runtime.traces import TraceStore, function_participant, new_trace_id, root_of

logger = logging.getLogger(__name__)

INTEGRATION_TIMEOUT = 30.0  # seconds: API Gateway's maximum for HTTP API integrations
MAX_PAYLOAD = 10 * 1024 * 1024  # HTTP API request payload quota
_HOP_BY_HOP = ("content-length", "transfer-encoding", "connection", "keep-alive")


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
                 hosts: tuple[str, ...] = (), integration_timeout: float = INTEGRATION_TIMEOUT) -> None:
        self._traces = traces
        # The API's own host names: like API Gateway, a request for another host reaches no route,
        # and the one it used becomes the event's domainName (what the MCP server's checks compare with).
        self._hosts = tuple(h.lower() for h in hosts)
        self._authorizer = authorizer
        self._routes = [compile_route(key, fn, auth) for key, fn, auth in routes]
        self._runner = runner
        self._clock = clock
        self._api_id, self._account, self._domain = api_id, account, domain
        self._access_log = access_log
        self.integration_timeout = integration_timeout
        # Each running invocation holds one of its function's slots, so this many threads are never short.
        self._invokers = ThreadPoolExecutor(max_workers=max(1, runner.capacity), thread_name_prefix="gateway-invoke")

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    def close(self) -> None:
        self._invokers.shutdown(wait=False, cancel_futures=True)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = new_request_id()
        now = self._clock.now()
        record: dict[str, Any] = {
            "requestId": request_id, "ip": request.client.host if request.client else "127.0.0.1",
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "httpMethod": request.method,
            "routeKey": "-", "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}"}
        response = await self._respond(request, request_id, now, record)
        response.headers["apigw-requestid"] = request_id
        if self._access_log:
            latency = (time.perf_counter() - started) * 1000
            # The deployed stage's log format (infra/pulumi/api.py), "-" for an empty value as AWS writes it.
            self._access_log({"integrationError": "-", "authorizerError": "-", **record,
                              "status": response.status_code,
                              "responseLength": int(response.headers.get("content-length", 0)),
                              "latency": int(latency), "latencyMs": round(latency, 1)})
        return response

    async def _respond(self, request: Request, request_id: str, now: Any, record: dict[str, Any]) -> Response:
        method, path = request.method, request.url.path
        host = request.headers.get("host", "").lower()
        if self._hosts and host not in self._hosts:
            return _gateway_error(404, "Not Found")
        found = match(self._routes, method, path)
        if found is None:
            return _gateway_error(404, "Not Found")
        route, params = found
        record.update(routeKey=route.route_key, function=route.function)
        body = await request.body()
        if len(body) > MAX_PAYLOAD:
            return _gateway_error(413, "Request Entity Too Large")
        claims = None
        if route.auth == "jwt" and self._authorizer is not None:
            claims, refusal = await self._authorize(request, record)
            if refusal is not None:
                return refusal
        server = request.scope.get("server") or ("127.0.0.1", None)
        event = http_api_event(
            method=method, path=path, raw_query=request.url.query, headers=request.headers.items(), body=body,
            route_key=route.route_key, path_parameters=params, source_ip=record["ip"], api_id=self._api_id,
            domain=host if self._hosts else self._domain, account=self._account, now=now,
            scheme=request.url.scheme, port=server[1], request_id=request_id)
        if claims is not None:
            event["requestContext"]["authorizer"] = authorizer_context(claims)
        incoming = root_of(request.headers.get("x-amzn-trace-id"))
        # A call made by a function of this stack (the agent calling the MCP server) continues its trace.
        nested = bool(incoming and self._traces and self._traces.known(incoming))
        trace_id = incoming or new_trace_id()
        event["headers"]["x-amzn-trace-id"] = trace_id
        if self._traces and not nested:
            self._traces.open(trace_id)
        response, invocation = await self._integrate(route.function, event, trace_id, record)
        response.headers["x-amzn-trace-id"] = trace_id
        if self._traces and invocation is not None:
            self._trace(trace_id, nested, method, path, route.function, invocation, response.status_code)
        return response

    async def _authorize(self, request: Request, record: dict[str, Any]) -> tuple[Any, Response | None]:
        assert self._authorizer is not None
        try:
            return await run_in_threadpool(self._authorizer.authorize, request.headers.get("authorization")), None
        except Unauthorized as exc:
            record["authorizerError"] = str(exc)
            return None, _gateway_error(401, "Unauthorized", {"www-authenticate": exc.www_authenticate})
        except IdentityProviderUnavailable as exc:
            record["authorizerError"] = str(exc)
            return None, _gateway_error(503, "Service Unavailable")
        except Exception as exc:  # a token must never make the gateway fail
            logger.exception("the JWT authorizer failed")
            record["authorizerError"] = f"authorizer error ({type(exc).__name__})"
            return None, _gateway_error(401, "Unauthorized", {"www-authenticate": Unauthorized(
                "the token could not be validated").www_authenticate})

    async def _integrate(self, function: str, event: dict[str, Any], trace_id: str,
                         record: dict[str, Any]) -> tuple[Response, Invocation | None]:
        try:
            slot = self._runner.claim(function)
        except RuntimeError:  # the runner is stopping
            return _gateway_error(503, "Service Unavailable"), None
        if slot is None:
            record["integrationError"] = "TooManyRequestsException: Rate Exceeded."
            return _gateway_error(429, "Too Many Requests"), None
        loop = asyncio.get_running_loop()
        running = loop.run_in_executor(self._invokers, partial(
            self._runner.invoke, function, event, trace_id=trace_id, slot=slot))
        try:
            # Shielded: at the integration timeout the caller gets its 503, the function runs on.
            invocation = await asyncio.wait_for(asyncio.shield(running), self.integration_timeout)
        except TimeoutError:
            record["integrationError"] = f"the integration did not answer within {self.integration_timeout:g} s"
            return _gateway_error(503, "Service Unavailable"), None
        if invocation.error:
            record["integrationError"] = f"{invocation.error.get('errorType')}: {invocation.error.get('errorMessage')}"
            return _gateway_error(500, "Internal Server Error"), invocation
        try:
            return to_http_response(invocation.result), invocation
        except (ValueError, TypeError, binascii.Error) as exc:
            record["integrationError"] = f"malformed Lambda proxy response ({exc})"
            return _gateway_error(500, "Internal Server Error"), invocation

    def _trace(self, trace_id: str, nested: bool, method: str, path: str, function: str,
               invocation: Invocation, status: int) -> None:
        assert self._traces is not None
        at, fn = self._clock.now().isoformat(), function_participant(function)
        begun = invocation.started_at
        if not nested:
            self._traces.add(trace_id, "Client", "API Gateway", f"{method} {path}", "http", at, ts=begun - 1e-6)
            self._traces.add(trace_id, "API Gateway", fn, "Invoke", "invoke", at, ts=begun,
                             request_id=invocation.request_id)
        self._traces.record_calls(trace_id, function, invocation.calls, at)
        if not nested:
            self._traces.add(trace_id, fn, "API Gateway", str(status), "response", at)
            self._traces.add(trace_id, "API Gateway", "Client", str(status), "response", at)


def to_http_response(result: Any) -> Response:
    """Map a payload-2.0 handler result to HTTP, as API Gateway does (header names in any case)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway treats anything else as a 200 JSON body.
        return Response(json.dumps(result), status_code=200, media_type="application/json")
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"statusCode {status} is not an HTTP status")
    body = result.get("body")
    if body is None or status in (204, 304):  # no content, whatever the function sent
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(str(body), validate=True)
    else:
        raw = str(body).encode()
    headers: dict[str, str] = {}
    for name, value in (result.get("headers") or {}).items():
        name = str(name).lower()
        if name not in _HOP_BY_HOP:
            headers[name] = str(value)
    headers.setdefault("content-type", "application/json")
    response = Response(raw, status_code=status, headers=headers)
    for cookie in result.get("cookies") or []:
        response.raw_headers.append((b"set-cookie", str(cookie).encode("latin-1")))
    return response


def _gateway_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps({"message": message}, separators=(",", ":")), status_code=status,
                    media_type="application/json", headers=headers)
