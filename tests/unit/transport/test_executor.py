"""The executor: concurrency, limits, failures captured (never raised), secrets kept out."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from llmconform.model import CaseWork, Connection, Limits, Request
from llmconform.reference.app import create_app
from llmconform.reference.server import RunningServer, serve_in_thread
from llmconform.transport.executor import TargetDown, execute

from support import RecordPaths

CHAT = {"model": "llmconform-reference", "messages": [{"role": "user", "content": "a b c d"}]}


class InFlight:
    """ASGI middleware that records the largest number of requests in flight at once.

    A request stops counting when its last body message is handed over, not when the app
    returns: the client may see the end and start its next request before the app's task
    finishes, which under load counted one request too many.
    """

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.peak = app, 0, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        counted = True

        async def sending(message: Any) -> None:
            nonlocal counted
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last and counted:
                counted = False
                self.now -= 1
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if counted:
                self.now -= 1


class Endless:
    """Streams one event every 10 ms forever (until the client leaves)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        for _ in range(100_000):
            await send({"type": "http.response.body", "body": b"data: {}\n\n", "more_body": True})
            await asyncio.sleep(0.01)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[RunningServer] = []

    def start(app: Any) -> str:
        servers.append(serve_in_thread(app))
        return servers[-1].url + "/v1"

    yield start
    for s in servers:
        s.stop()


def work(n: int, **body: Any) -> list[CaseWork]:
    req = Request("POST", "/chat/completions", json={**CHAT, **body}, stream=bool(body))
    return [CaseWork(f"c{i}", (req,)) for i in range(n)]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_cases_run_concurrently_up_to_the_limit(serve: Any, concurrency: int) -> None:
    app = InFlight(create_app(ttft_delay_s=0.05))
    url = serve(app)
    done: list[str] = []
    results = execute(
        work(8, stream=True),
        Connection(url),
        Limits(),
        concurrency,
        lambda cid, _: done.append(cid),
    )
    assert app.peak == concurrency
    assert sorted(done) == sorted(results) == [f"c{i}" for i in range(8)]
    assert all(c[0].status == 200 for c in results.values())


def test_chunks_are_timestamped_in_order(serve: Any) -> None:
    url = serve(create_app(token_delay_s=0.01))
    capture = execute(work(1, stream=True), Connection(url), Limits(), 1)["c0"][0]
    stamps = [c.t_ns for c in capture.chunks]
    assert len(stamps) > 3 and stamps == sorted(stamps)
    assert capture.t_sent_ns < capture.t_headers_ns <= stamps[0]  # type: ignore[operator]
    assert capture.sent_at > 0


def test_connection_refused_is_captured_not_raised() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    capture = execute(work(1), Connection(f"http://127.0.0.1:{port}/v1"), Limits(), 1)["c0"][0]
    assert capture.status is None and capture.error and "Connect" in capture.error


def test_endless_stream_is_cut_by_the_exchange_timeout(serve: Any) -> None:
    url = serve(Endless())
    limits = Limits(timeout_s=0.5)
    capture = execute(work(1, stream=True), Connection(url), limits, 1)["c0"][0]
    assert capture.status == 200
    assert capture.error and "0.5 s" in capture.error
    assert capture.chunks  # what arrived before the deadline is kept


def test_body_size_cap_truncates(serve: Any) -> None:
    url = serve(Endless())
    capture = execute(work(1, stream=True), Connection(url), Limits(max_body_bytes=200), 1)
    assert capture["c0"][0].truncated
    assert len(capture["c0"][0].body) < 400


def test_key_is_sent_as_bearer_and_never_in_errors(serve: Any) -> None:
    key = "sk-secret-for-executor-test"
    url = serve(create_app(api_key=key))
    ok = execute(work(1), Connection(url, key), Limits(), 1)["c0"][0]
    assert ok.status == 200
    assert key not in repr(Connection(url, key))
    bad = Request("POST", "/chat/completions", json=CHAT, auth="invalid")
    res = execute([CaseWork("x", (bad,))], Connection(url, key), Limits(), 1)["x"][0]
    assert res.status == 401 and key.encode() not in res.body


def test_a_probe_that_gets_an_answer_costs_one_request_and_no_wait(serve: Any) -> None:
    app = RecordPaths(create_app(ttft_delay_s=0.05))
    url = serve(app)
    results = execute(work(4), Connection(url), Limits(), 4, probe=Request("GET", "/models"))
    assert all(c[0].status == 200 for c in results.values())
    assert sorted(app.paths) == ["/v1/chat/completions"] * 4 + ["/v1/models"]
    assert app.paths[0] == "/v1/models"  # sent first, alongside the cases


def test_a_probe_without_any_answer_stops_the_run() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done: list[str] = []
    with pytest.raises(TargetDown, match="could not connect"):
        execute(
            work(50),
            Connection(f"http://127.0.0.1:{port}/v1"),
            Limits(),
            1,
            lambda cid, _: done.append(cid),
            probe=Request("GET", "/models"),
        )
    assert len(done) < 50  # the cases still waiting were cancelled
