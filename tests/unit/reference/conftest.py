"""Shared fixtures for the reference server tests: in-process calls and served instances.

Helpers are handed out as fixtures (`kit`, `ref`, `served`…) rather than imported, so the
tests do not depend on how the test tree is laid out as packages; test modules import the
class names only for type checking.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from llmconform.reference import RunningServer, create_app, serve_in_thread
from llmconform.reference.asgi import ASGIApp, Message

MODEL = "llmconform-reference"
API_KEY = "sk-test-0123456789abcdef"
CHAT = "/v1/chat/completions"
T = TypeVar("T")


def user(text: str) -> list[dict[str, Any]]:
    """A one-message conversation."""
    return [{"role": "user", "content": text}]


@dataclass
class Caller:
    """Sends requests to an app in process through httpx's ASGI transport."""

    app: ASGIApp

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as c:
                return await c.request(method, path, json=json, content=content, headers=headers)

        return asyncio.run(go())

    def chat(self, text: str = "Hello big world", **body: Any) -> httpx.Response:
        """POST a chat completion for one user message, with extra body fields."""
        return self.request("POST", CHAT, json={"model": MODEL, "messages": user(text), **body})


def sse_payloads(body: str) -> list[str]:
    """The `data:` payloads of a stream, asserting the exact `data: <x>\\n\\n` framing."""
    assert body.endswith("\n\n")
    events = body[:-2].split("\n\n")
    payloads = []
    for event in events:
        assert event.startswith("data: "), event
        assert "\n" not in event
        payloads.append(event[len("data: ") :])
    return payloads


def sse_chunks(body: str) -> list[dict[str, Any]]:
    """The JSON chunks of a stream, asserting it ends with exactly one `[DONE]`."""
    payloads = sse_payloads(body)
    assert payloads[-1] == "[DONE]"
    assert payloads.count("[DONE]") == 1
    return [json.loads(p) for p in payloads[:-1]]


@dataclass
class Sent:
    """One ASGI message the app sent, stamped with `perf_counter` when it was sent."""

    t: float
    message: Message


async def drive(
    app: ASGIApp, body: dict[str, Any], *, path: str = CHAT, disconnect_after: int | None = None
) -> list[Sent]:
    """Call the app at the raw ASGI level and record every message it sends.

    With `disconnect_after`, the client "disconnects" once that many body messages arrived.
    """
    sent: list[Sent] = []
    gone = asyncio.Event()
    request_done = False

    async def receive() -> Message:
        nonlocal request_done
        if not request_done:
            request_done = True
            return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(Sent(time.perf_counter(), message))
        bodies = sum(1 for s in sent if s.message["type"] == "http.response.body")
        if disconnect_after is not None and bodies >= disconnect_after:
            gone.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    await app(scope, receive, send)
    gone.set()
    return sent


class Kit:
    """Constants and helpers shared by the reference server tests."""

    MODEL = MODEL
    API_KEY = API_KEY
    CHAT = CHAT
    Caller = Caller
    user = staticmethod(user)
    sse_payloads = staticmethod(sse_payloads)
    sse_chunks = staticmethod(sse_chunks)
    drive = staticmethod(drive)

    @staticmethod
    def run(coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine to completion in a fresh event loop."""
        return asyncio.run(coro)


@pytest.fixture
def kit() -> type[Kit]:
    """The shared test helpers."""
    return Kit


@pytest.fixture
def ref() -> Caller:
    """An in-process caller for a default reference app (no API key)."""
    return Caller(create_app())


@pytest.fixture
def ref_auth() -> Caller:
    """An in-process caller for a reference app that requires `API_KEY`."""
    return Caller(create_app(API_KEY))


@pytest.fixture(scope="module")
def served() -> Iterator[RunningServer]:
    """A reference server on 127.0.0.1 requiring `API_KEY`, stopped after the module."""
    server = serve_in_thread(create_app(API_KEY, models=(MODEL, "other-model")))
    yield server
    server.stop()
    assert not server.running


@pytest.fixture(autouse=True, scope="module")
def _no_leaked_server_threads() -> Iterator[None]:
    """Fail a module that leaves a reference server thread running."""
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("llmconform-reference")]
    assert not leaked, f"leaked server threads: {leaked}"
