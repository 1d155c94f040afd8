"""Serving the reference app with uvicorn in a thread, over real loopback HTTP."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from llmconform.reference import create_app, serve_in_thread

if TYPE_CHECKING:
    from llmconform.reference import RunningServer
    from unit.reference.conftest import Kit


def _port(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_url_names_the_resolved_port() -> None:
    with serve_in_thread(create_app()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert not server.url.endswith("/v1")
        assert _port(server) > 0
        response = httpx.get(f"{server.url}/v1/models", timeout=5)
        assert response.status_code == 200


def test_stop_frees_the_thread_and_the_port() -> None:
    threads_before = threading.active_count()
    server = serve_in_thread(create_app())
    assert server.running
    port = _port(server)
    server.stop()
    assert not server.running
    assert threading.active_count() == threads_before
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    server.stop()  # idempotent


def test_stop_with_an_open_keep_alive_connection() -> None:
    server = serve_in_thread(create_app())
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/v1/models").status_code == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
    assert not server.running


def test_stop_during_a_slow_stream() -> None:
    server = serve_in_thread(create_app(token_delay_s=0.2))
    body = {
        "model": "llmconform-reference",
        "messages": [{"role": "user", "content": " ".join(["w"] * 100)}],
        "stream": True,
    }
    with (
        httpx.Client(base_url=server.url, timeout=5) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        events = response.iter_bytes()  # kept open: the stream would last 20 s
        next(events)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 4
        # The cut stream must not look complete: no [DONE], a broken chunked body.
        with pytest.raises(httpx.RemoteProtocolError):
            assert b"[DONE]" not in b"".join(events)
    assert not server.running


def test_port_in_use_fails_cleanly() -> None:
    with serve_in_thread(create_app()) as server, pytest.raises(OSError):
        serve_in_thread(create_app(), port=_port(server))


def test_streamed_events_arrive_separately_over_http(kit: type[Kit]) -> None:
    app = create_app(ttft_delay_s=0.1, token_delay_s=0.05)
    body = {"model": kit.MODEL, "messages": kit.user("a b c"), "stream": True}
    with (
        serve_in_thread(app) as server,
        httpx.Client(base_url=server.url, timeout=5) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        reads = [(time.perf_counter(), chunk) for chunk in response.iter_raw()]
    data = b"".join(chunk for _, chunk in reads)
    assert data.endswith(b"data: [DONE]\n\n")
    assert len(reads) >= 4  # not buffered into one write
    first_token = next(t for t, chunk in reads if b'"content":"a"' in chunk)
    assert first_token - reads[0][0] >= 0.08


def test_auth_over_http(served: RunningServer, kit: type[Kit]) -> None:
    url = f"{served.url}/v1/models"
    assert httpx.get(url, timeout=5).status_code == 401
    ok = httpx.get(url, headers={"authorization": f"Bearer {kit.API_KEY}"}, timeout=5)
    assert ok.status_code == 200
