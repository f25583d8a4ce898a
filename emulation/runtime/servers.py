"""Run ASGI apps on 127.0.0.1 ports, each in its own thread; a taken port is a clear error."""

from __future__ import annotations

import errno
import socket


class PortInUseError(RuntimeError):
    def __init__(self, port: int, what: str, env_var: str) -> None:
        super().__init__(f"port {port} ({what}) is already in use on 127.0.0.1. Stop whatever uses it, "
                         f"or choose another port: {env_var}=<port> (0 picks a free one).")
        self.port = port


def reserve(port: int, what: str, env_var: str) -> socket.socket:
    """Bind 127.0.0.1:port now (0 = any free port) and hand back the socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: without it, a response written in two parts waits for the
    # client's delayed ACK (Nagle), and every request to a local server costs ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(port, what, env_var) from None
        raise
    return sock


class ServerThread:
    """A uvicorn server for one app on an already-bound socket, in a daemon thread."""

    def __init__(self, app, sock: socket.socket, name: str) -> None:
        import threading

        import uvicorn

        self.port = sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._sock = sock
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"server:{name}", daemon=True)

    def start(self, timeout: float = 10.0) -> ServerThread:
        import time

        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.origin} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()
