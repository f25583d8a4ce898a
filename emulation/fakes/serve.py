"""Serve a fake on a real 127.0.0.1 port with uvicorn, in a background thread.

The socket is bound before the app is built, so a fake that reports its own public origin (the
identity server's ``iss``) can be given the real ``http://127.0.0.1:<port>`` even for port 0::

    with serve_app(lambda origin: create_course_origin_app(BIRDSFOOT, public_origin=origin)) as served:
        httpx.get(f"{served.origin}/identityapi/.well-known/openid-configuration")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class ServedApp:
    origin: str
    port: int
    app: Any
    server: uvicorn.Server


@contextmanager
def serve_app(
    make_app: Callable[[str], Any], *, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0
) -> Iterator[ServedApp]:
    """Bind ``host:port``, build the app with its origin, serve it until the block exits."""
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections (else +40 ms per response).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    origin = f"http://{host}:{bound_port}"
    app = make_app(origin)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"fake:{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"fake server on {origin} did not start")
        time.sleep(0.005)
    try:
        yield ServedApp(origin=origin, port=bound_port, app=app, server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        sock.close()
