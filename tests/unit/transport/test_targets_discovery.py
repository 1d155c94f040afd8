"""targets.discover_model: what a run without --model says when GET /models does not help."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from llmconform.errors import Misconfigured
from llmconform.model.work import Connection, Limits
from llmconform.reference.asgi import ASGIApp, Receive, Scope, Send
from llmconform.reference.server import serve_in_thread
from llmconform.transport.targets import TargetError, TargetUnreachable, discover_model

KEY = "sk-discovery-test-0123456789"
FAST = Limits(timeout_s=5, connect_timeout_s=2, idle_timeout_s=5)


def discover(base_url: str, key: str | None = KEY, limits: Limits = FAST) -> str:
    return discover_model(Connection(base_url, key), limits, "the target", "MY_KEY_VAR")


def _app(status: int, body: bytes) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan: nothing to set up
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("status", "body", "needle"),
    [
        (500, b'{"error": {"message": "boom"}}', "answered with status 500"),
        (200, b'{"data": []}', "listed no model"),
        (200, b"not json", "listed no model"),
    ],
)
def test_an_unhelpful_model_list_asks_for_model(status: int, body: bytes, needle: str) -> None:
    server = serve_in_thread(_app(status, body))
    try:
        with pytest.raises(TargetError, match=needle) as caught:
            discover(server.url + "/v1")
    finally:
        server.stop()
    assert "--model" in str(caught.value) and KEY not in str(caught.value)


@pytest.fixture
def cut_off() -> Iterator[str]:
    """A server that reads the request, starts a response and closes mid-headers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        for _ in range(50):  # bounded: the test needs one or two connections
            if stop.is_set():
                return
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"data"')

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_reply_that_breaks_off_is_not_called_unreachable(cut_off: str) -> None:
    with pytest.raises(TargetUnreachable) as caught:
        discover(cut_off)
    message = str(caught.value)
    assert "accepted the connection" in message and "cannot reach" not in message
    assert "--model" in message


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TargetUnreachable, match="cannot reach the target: could not connect"):
        discover(f"http://127.0.0.1:{port}/v1")


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        (KEY, "the key in MY_KEY_VAR is not accepted"),
        (None, "no key is set: set MY_KEY_VAR"),
    ],
)
def test_a_refused_key_says_whether_one_was_set(key: str | None, needle: str) -> None:
    server = serve_in_thread(_app(401, b'{"error": {"message": "no"}}'))
    try:
        with pytest.raises(Misconfigured, match=needle) as caught:
            discover(server.url + "/v1", key)
    finally:
        server.stop()
    assert caught.value.exit_code == 2 and KEY not in str(caught.value)


def test_a_404_model_list_asks_whether_the_base_url_ends_in_v1() -> None:
    server = serve_in_thread(_app(404, b"not found"))
    try:
        with pytest.raises(Misconfigured) as caught:
            discover(server.url)  # the /v1 left out
    finally:
        server.stop()
    message = str(caught.value)
    assert "does the base URL end in /v1?" in message
    assert f"did you mean --target {server.url}/v1?" in message
