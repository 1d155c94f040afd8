"""Loopback targets with known costs, each served by uvicorn in a child process.

A child process rather than a thread: a real target's CPU never competes with llmconform's
for the GIL, and tracemalloc in the benchmark process then sees llmconform's memory only.
The child serves with `llmconform.reference.server.serve_in_thread` and is driven over a pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from llmconform.reference.asgi import ASGIApp, Message, Receive, Scope, Send

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
MODEL = "llmconform-reference"


@dataclass(frozen=True)
class ServerSpec:
    """What the child serves.

    kind: "reference" (the reference app with `ttft_delay_s`/`token_delay_s`), "stream"
    (a chat stream of exactly `events` content chunks, whatever the request), "timed" (a
    stream of `events` tokens sent on an exact schedule of `ttft_delay_s`/`token_delay_s`) or
    "fixed" (a canned chat completion: a target that costs no CPU to speak of).
    `request_delay_s` is slept before every request is handled (a non-stream cost);
    `record` keeps every request (to replay it with a hand-written client) and stamps its
    arrival and each body message sent, with `perf_counter_ns` (CLOCK_MONOTONIC on Linux:
    one clock for every process, so comparable with the client's stamps).
    """

    kind: str = "reference"
    api_key: str | None = None
    ttft_delay_s: float = 0.0
    token_delay_s: float = 0.0
    request_delay_s: float = 0.0
    events: int = 0
    record: bool = False


@dataclass(frozen=True)
class Recorded:
    """One request as the target received it."""

    method: str
    path: str  # with the query string
    headers: tuple[tuple[str, str], ...]
    body: bytes
    t_arrival_ns: int = 0
    t_sends_ns: list[int] = field(default_factory=list)  # one per non-empty body message


_HOP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


def _middleware(app: ASGIApp, spec: ServerSpec, log: list[Recorded]) -> ASGIApp:
    """Sleep `request_delay_s` before each request; record it when asked."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        inner, outer = receive, send
        if spec.record:
            arrived = time.perf_counter_ns()
            body = bytearray()
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            query = scope.get("query_string", b"").decode("latin-1")
            headers = tuple(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in scope.get("headers", [])
                if k.decode("latin-1").lower() not in _HOP_HEADERS
            )
            path = scope["path"] + (f"?{query}" if query else "")
            entry = Recorded(scope["method"], path, headers, bytes(body), arrived)
            log.append(entry)

            async def stamped(message: Message) -> None:
                if message.get("type") == "http.response.body" and message.get("body"):
                    entry.t_sends_ns.append(time.perf_counter_ns())
                await send(message)

            outer = stamped
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()  # http.disconnect, when it comes
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}

            inner = replay
        if spec.request_delay_s > 0:
            await asyncio.sleep(spec.request_delay_s)
        await app(scope, inner, outer)

    return wrapped


def _chunk(content: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench0123456789",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": content, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


async def _lifespan(receive: Receive, send: Send) -> None:
    """The ASGI lifespan protocol for the bare benchmark apps: nothing to set up."""
    while (await receive())["type"] != "lifespan.shutdown":
        await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})


def stream_app(events: int) -> ASGIApp:
    """A conforming chat stream of `events` one-word content chunks, then finish and [DONE]."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "lifespan":
            await _lifespan(receive, send)
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        send_body = {"type": "http.response.body", "more_body": True}
        await send({**send_body, "body": _chunk({"role": "assistant", "content": ""})})
        word = _chunk({"content": " word"})
        for _ in range(events):
            await send({**send_body, "body": word})
        await send({**send_body, "body": _chunk({}, "stop")})
        await send({**send_body, "body": b"data: [DONE]\n\n"})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


async def _until(deadline_ns: int) -> None:
    """Sleep until a perf_counter_ns deadline, to within ~0.1 ms.

    asyncio's timers fire up to a millisecond late (epoll's resolution) and drift when chained;
    a timed target that is itself late makes its "known" delay unknown. So: sleep to 2 ms
    short of the deadline, then yield to the loop until it passes (a little CPU, in the target).
    """
    remaining = (deadline_ns - time.perf_counter_ns()) / 1e9
    if remaining > 0.002:
        await asyncio.sleep(remaining - 0.002)
    while time.perf_counter_ns() < deadline_ns:
        await asyncio.sleep(0)


def timed_app(events: int, ttft_s: float, token_s: float) -> ASGIApp:
    """A chat stream whose content token k is sent at arrival + ttft + k x token delay.

    The schedule is absolute (from the moment the app sees the request), so delays do not
    accumulate; the role chunk goes out at once, usage and [DONE] after the last token.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "lifespan":
            await _lifespan(receive, send)
            return
        start = time.perf_counter_ns()
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        send_body = {"type": "http.response.body", "more_body": True}
        await send({**send_body, "body": _chunk({"role": "assistant", "content": ""})})
        for k in range(events):
            await _until(start + round((ttft_s + k * token_s) * 1e9))
            await send({**send_body, "body": _chunk({"content": f" w{k}"})})
        usage = {"prompt_tokens": 5, "completion_tokens": events, "total_tokens": 5 + events}
        last = json.loads(_chunk({}, "stop")[6:])
        await send({**send_body, "body": _chunk({}, "stop")})
        last["choices"], last["usage"] = [], usage
        await send({**send_body, "body": b"data: " + json.dumps(last).encode() + b"\n\n"})
        await send({**send_body, "body": b"data: [DONE]\n\n"})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench0123456789",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
).encode()


async def fixed_app(scope: Scope, receive: Receive, send: Send) -> None:
    """A canned chat completion for every request."""
    if scope.get("type") == "lifespan":
        await _lifespan(receive, send)
        return
    while (await receive()).get("more_body"):
        pass
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_COMPLETION)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _COMPLETION})


def _build(spec: ServerSpec, log: list[Recorded]) -> ASGIApp:
    if spec.kind == "stream":
        return _middleware(stream_app(spec.events), spec, log)
    if spec.kind == "fixed":
        return _middleware(fixed_app, spec, log)
    if spec.kind == "timed":
        return _middleware(timed_app(spec.events, spec.ttft_delay_s, spec.token_delay_s), spec, log)
    from llmconform.reference.app import create_app

    app = create_app(spec.api_key, ttft_delay_s=spec.ttft_delay_s, token_delay_s=spec.token_delay_s)
    return _middleware(app, spec, log)


def _child(spec: ServerSpec, pipe: Connection) -> None:
    from llmconform.reference.server import serve_in_thread

    log: list[Recorded] = []
    server = serve_in_thread(_build(spec, log))
    pipe.send(server.url)
    try:
        while True:
            command = pipe.recv()
            if command == "log":
                pipe.send(list(log))
            elif command == "clear":
                log.clear()
                pipe.send(None)
            else:
                break
    except EOFError:
        pass  # the parent is gone
    finally:
        server.stop()


class ServerProcess:
    """A target served in a child process; use as a context manager. `url` has no /v1."""

    def __init__(self, spec: ServerSpec) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_child, args=(spec, child_end), daemon=True)
        self._process.start()
        child_end.close()
        if not self._pipe.poll(_START_TIMEOUT_S):
            self._process.kill()
            raise RuntimeError("the benchmark server did not start")
        self.url: str = self._pipe.recv()

    def requests(self) -> list[Recorded]:
        """Every request received so far (needs `record=True`)."""
        self._pipe.send("log")
        log: list[Recorded] = self._pipe.recv()
        return log

    def clear(self) -> None:
        """Forget the recorded requests."""
        self._pipe.send("clear")
        self._pipe.recv()

    def stop(self) -> None:
        """Stop the child (politely, then by its own pid)."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self._pipe.send("stop")
        self._process.join(_STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(_STOP_TIMEOUT_S)
        self._pipe.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
