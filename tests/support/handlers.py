"""Tiny Lambda handlers for testing the function runner itself."""

from __future__ import annotations

import json
import os
import time


def echo(event, context):
    from services.core import clock

    return {"event": event, "function_name": context.function_name, "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id, "remaining_ms": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb, "greeting": os.environ.get("GREETING"),
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"), "now": clock.now().isoformat(), "pid": os.getpid()}


def boom(event, context):
    print("about to fail")
    raise RuntimeError("kaboom")


def slow(event, context):
    time.sleep(event.get("seconds", 10))
    return "done"


def die(event, context):
    """The runtime killed mid-invocation (as by the OOM killer): SIGKILL to itself."""
    import signal

    print("about to be killed")
    os.kill(os.getpid(), signal.SIGKILL)


def exits(event, context):
    os._exit(event.get("status", 1))


def slow_echo(event, context):
    """Sleeps, then answers the HTTP request; the duration is in the path (``/slow/<seconds>``)."""
    seconds = float(event.get("pathParameters", {}).get("seconds", 0))
    time.sleep(seconds)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"slept": seconds, "event": event})}


def html(event, context):
    """A page whose handler spells Content-Type its own way (as services/agent does)."""
    return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": "<p>hi</p>"}


def gated(event, context):
    """Holds the invocation until the test's gate (a loopback TCP server, port in the path) opens."""
    import socket

    port = int(event["pathParameters"]["port"])
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.recv(1)
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "released"}
