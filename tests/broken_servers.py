"""Deliberately broken servers: the reference app wrapped so that it violates one requirement.

Each `Fault` rewrites the request on the way in or the response on the way out (status,
headers, the JSON body, or the SSE events one by one). The reference sends each event as
its own ASGI body message, so event-level rewriting needs no re-framing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from llmconform.reference.app import create_app

Message = MutableMapping[str, Any]
JsonFn = Callable[[Any], Any]
EventsFn = Callable[[list[str]], list[str]]
# (stream requested, status, content type, body) -> the same, for a non-streamed response
ResponseFn = Callable[[bool, int, str, bytes], tuple[int, str, bytes]]
DONE = "data: [DONE]\n\n"


@dataclass(frozen=True)
class Fault:
    """One way of breaking the reference server."""

    name: str
    request: JsonFn | None = None  # rewrites the request JSON
    status: Callable[[int], int] | None = None
    content_type: Callable[[str], str] | None = None
    body: JsonFn | None = None  # rewrites a non-streamed JSON body (any status)
    chunk: JsonFn | None = None  # rewrites each streamed JSON chunk (return None to drop it)
    events: EventsFn | None = None  # rewrites the raw event texts of a whole stream
    api_key: bool = True  # whether the wrapped reference checks the API key
    response: ResponseFn | None = None  # rewrites a whole non-streamed response, last


class BrokenApp:
    """ASGI middleware applying a `Fault` to the reference app."""

    def __init__(self, fault: Fault, api_key: str | None) -> None:
        self.fault = fault
        self.inner = create_app(api_key=api_key if fault.api_key else None)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        state: dict[str, Any] = {"start": None, "sse": False, "body": b"", "stream": False}
        if self.fault.request or self.fault.response:
            receive = await self._rewrite_request(receive, state)

        async def out(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["start"] = message
                ctype = _header(message, b"content-type")
                state["sse"] = ctype.startswith("text/event-stream")
                return
            state["body"] += message.get("body", b"")
            if message.get("more_body"):
                if state["sse"] and self.fault.events is None:
                    await self._flush_events(send, state, final=False)
                return
            await self._finish(send, state)

        await self.inner(scope, receive, out)

    async def _rewrite_request(
        self, receive: Callable[[], Awaitable[Message]], state: dict[str, Any]
    ) -> Callable[[], Awaitable[Message]]:
        chunks = []
        while True:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        raw = b"".join(chunks)
        # Not JSON, or too deeply nested to parse: forward as is.
        with contextlib.suppress(ValueError, RecursionError):
            sent = json.loads(raw)
            state["stream"] = isinstance(sent, dict) and sent.get("stream") is True
            if self.fault.request:
                raw = json.dumps(self.fault.request(sent)).encode()
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        return replay

    async def _start(self, send: Any, state: dict[str, Any], length: int | None) -> None:
        start = dict(state["start"])
        if state.get("started"):
            return
        state["started"] = True
        status = start["status"]
        if self.fault.status:
            status = self.fault.status(status)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if self.fault.content_type:
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            ctype = self.fault.content_type(_header(start, b"content-type"))
            headers.append((b"content-type", ctype.encode()))
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})

    async def _flush_events(self, send: Any, state: dict[str, Any], final: bool) -> None:
        text = state["body"].decode()
        *complete, rest = text.split("\n\n")
        state["body"] = rest.encode()
        events = [e + "\n\n" for e in complete]
        if self.fault.chunk:
            events = [e for e in (self._rewrite_event(e) for e in events) if e is not None]
        await self._start(send, state, None)
        for event in events:
            await send({"type": "http.response.body", "body": event.encode(), "more_body": True})
        if final:
            await send({"type": "http.response.body", "body": state["body"], "more_body": False})

    def _rewrite_event(self, event: str) -> str | None:
        if not event.startswith("data: {"):
            return event
        value = self.fault.chunk(json.loads(event[len("data: ") :]))  # type: ignore[misc]
        return None if value is None else f"data: {json.dumps(value)}\n\n"

    async def _finish(self, send: Any, state: dict[str, Any]) -> None:
        if state["sse"]:
            if self.fault.events is not None:
                text = state["body"].decode()
                events = [e + "\n\n" for e in text.split("\n\n") if e]
                # surrogateescape: a fault writes a raw byte that is not UTF-8 as U+DC80+byte.
                body = "".join(self.fault.events(events)).encode("utf-8", "surrogateescape")
                await self._start(send, state, None)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await self._flush_events(send, state, final=True)
            return
        body = state["body"]
        if self.fault.body and body:
            with contextlib.suppress(ValueError):  # not JSON: forward as is
                body = json.dumps(self.fault.body(json.loads(body))).encode()
        if self.fault.response:
            start = state["start"]
            status, ctype, body = self.fault.response(
                state["stream"], start["status"], _header(start, b"content-type"), body
            )
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-type"]
            headers.append((b"content-type", ctype.encode()))
            state["start"] = {**start, "status": status, "headers": headers}
        await self._start(send, state, len(body))
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _header(message: Message, name: bytes) -> str:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def invalid_utf8_comment(events: list[str]) -> list[str]:
    """The stream with a byte that is not UTF-8 (0xFF, in an SSE comment) before its events:
    the events themselves still decode, only the encoding is broken."""
    return [": \udcff\n\n", *events]


# Importable apps for `--target asgi:broken_servers:NAME` in CLI tests.
no_done_app = BrokenApp(Fault("no_done", events=lambda evs: [e for e in evs if e != DONE]), None)
