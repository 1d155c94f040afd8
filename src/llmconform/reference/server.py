"""Serving the reference app over real HTTP with uvicorn: in a thread, or blocking.

`serve_in_thread` binds the listening socket itself before uvicorn starts, so the ephemeral
port is known at once and there is no window in which the URL points at nothing.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn

from llmconform.reference.asgi import ASGIApp

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_GRACEFUL_SHUTDOWN_S = 1


@dataclass
class RunningServer:
    """A reference server running in a daemon thread; `url` has no `/v1` suffix."""

    url: str
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Shut the server down and join its thread; calling it again does nothing."""
        # Requests still in flight (an interrupted run's hanging streams) are cancelled by
        # the shutdown, and uvicorn logs each as "Exception in ASGI application" with a
        # traceback: expected here, so not shown.
        errors = logging.getLogger("uvicorn.error")
        level = errors.level
        errors.setLevel(logging.CRITICAL)
        try:
            self._server.should_exit = True
            self._thread.join(_STOP_TIMEOUT_S)
            if self._thread.is_alive():
                # Connections that will not close (a stuck client) must not hold the thread.
                self._server.force_exit = True
                self._thread.join(_STOP_TIMEOUT_S)
        finally:
            errors.setLevel(level)
        if self._thread.is_alive():
            raise RuntimeError("the reference server thread did not stop")

    @property
    def running(self) -> bool:
        """Whether the server thread is still alive."""
        return self._thread.is_alive()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _config(app: ASGIApp, host: str, port: int, *, quiet: bool) -> uvicorn.Config:
    options: dict[str, Any] = {}
    if quiet:
        # Embedded: leave the host program's logging configuration alone.
        options = {"log_config": None, "log_level": None}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        interface="asgi3",
        lifespan="on",
        http="h11",  # the same wire behaviour on every machine, whatever is installed
        ws="none",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
        **options,
    )


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve `app` in a daemon thread and return once it accepts connections.

    `port=0` picks a free ephemeral port; the returned `url` names the real one.
    """
    sock = _bind(host, port)
    bound_port = int(sock.getsockname()[1])
    server = uvicorn.Server(_config(app, host, bound_port, quiet=True))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit included: uvicorn exits on startup failure
            failure.append(exc)
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"llmconform-reference-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(_STOP_TIMEOUT_S)
            sock.close()
            reason = f": {type(failure[0]).__name__}" if failure else ""
            raise RuntimeError(f"the reference server failed to start{reason}")
        time.sleep(0.01)
    return RunningServer(_url(host, bound_port), server, thread)


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve `app` in the foreground until interrupted (for `llmconform serve-reference`)."""
    uvicorn.Server(_config(app, host, port, quiet=False)).run()
