"""The small slice of ASGI the reference server needs: types, requests, responses, I/O.

No web framework on purpose: the server's job is to put exact bytes on the wire, and every
event of a stream must leave as its own ASGI body message so that clients can time them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from llmconform.reference.errors import ApiError
from llmconform.reference.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class HttpRequest:
    """A fully read HTTP request, as handlers see it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    settings: Settings
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """First value of a request header, case-insensitive."""
        lname = name.lower()
        for key, value in self.headers:
            if key == lname:
                return value
        return None


@dataclass(frozen=True)
class JsonResponse:
    """A complete JSON body, sent in one message with a Content-Length."""

    body: Any
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StreamResponse:
    """Server-sent events: each item of `events` is sent as its own body message."""

    events: AsyncIterator[bytes]
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


Response = JsonResponse | StreamResponse
Handler = Callable[[HttpRequest], Awaitable[Response]]


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way OpenAI's stream chunks are encoded."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sse_event(value: Any) -> bytes:
    """One `data:` event; `value` is JSON-encoded unless it is already a string."""
    payload = value if isinstance(value, str) else dump_json(value).decode("utf-8")
    return f"data: {payload}\n\n".encode()


def request_id() -> str:
    """A fresh id for the `x-request-id` header."""
    return "req_" + uuid.uuid4().hex


def decode_headers(scope: Scope) -> tuple[tuple[str, str], ...]:
    """ASGI headers as lower-case (name, value) strings; latin-1 keeps every byte."""
    raw = scope.get("headers") or []
    return tuple((bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1")) for k, v in raw)


async def read_body(receive: Receive, headers: tuple[tuple[str, str], ...], limit: int) -> bytes:
    """Read the whole request body, refusing (413) anything larger than `limit` bytes."""
    for key, value in headers:
        if key == "content-length" and value.strip().isdigit() and int(value) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class ClientGone(Exception):
    """The client disconnected before the request was read: there is no one to answer."""


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"Request body too large: the limit is {limit} bytes.",
        code="request_too_large",
    )


async def send_json(send: Send, response: JsonResponse, req_id: str) -> None:
    """Send a complete JSON response."""
    body = dump_json(response.body)
    headers = [
        (b"content-type", JSON_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", req_id.encode()),
        *_encode(response.headers),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_stream(
    send: Send, response: StreamResponse, req_id: str, gone: Callable[[], bool]
) -> None:
    """Send an event stream, one body message per event, stopping early if the client left."""
    headers = [
        (b"content-type", SSE_TYPE.encode()),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),  # ask reverse proxies not to batch our events
        (b"x-request-id", req_id.encode()),
        *_encode(response.headers),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    events = response.events
    try:
        async for event in events:
            if gone():
                break
            await send({"type": "http.response.body", "body": event, "more_body": True})
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _encode(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
