"""Servers broken in ways only generated requests find: each reacts to the raw request body.

`BodyFault` wraps the reference app and looks at the whole body before the app does: it may
answer on its own (a crash, a framework's default error) or pass a rewritten body on.
`BrokenApp`/`Fault` from tests/broken_servers.py cover rewrites of the parsed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from llmconform.reference.app import create_app

from broken_servers import BrokenApp, Fault

Message = MutableMapping[str, Any]
# What a fault does with a body: (status, JSON answer), a replacement body, or None (as is).
Reaction = tuple[int, Any] | bytes | None

ZWJ = "\u200d".encode()


@dataclass(frozen=True)
class BodyFaultSpec:
    """A named reaction to request bodies."""

    name: str
    react: Callable[[bytes], Reaction]


class BodyFault:
    """ASGI middleware applying a `BodyFaultSpec` to POST bodies of the reference app."""

    def __init__(self, spec: BodyFaultSpec, api_key: str | None) -> None:
        self.spec = spec
        self.inner = create_app(api_key=api_key)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.inner(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        reaction = self.spec.react(body)
        if isinstance(reaction, tuple):
            status, payload = reaction
            raw = json.dumps(payload).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(raw)),
            ]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": raw, "more_body": False})
            return
        if reaction is not None:
            body = reaction
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"],
            }
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # type: ignore[no-any-return]
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.inner(scope, replay, send)


def _server_error(message: str) -> tuple[int, Any]:
    return 500, {"error": {"message": message, "type": "server_error", "param": None, "code": None}}


def _crash_on_zwj(body: bytes) -> Reaction:
    # A tokenizer that splits grapheme clusters badly: emoji ZWJ sequences crash it.
    return _server_error("internal error") if ZWJ in body else None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _crash_on_bad_utf8(body: bytes) -> Reaction:
    return None if _is_utf8(body) else _server_error("'utf-8' codec can't decode byte")


def _lossy_decoding(body: bytes) -> Reaction:
    # Decodes with replacement characters and carries on, answering 200 to unreadable bytes.
    return None if _is_utf8(body) else body.decode("utf-8", "replace").encode()


def _detail_on_bad_utf8(body: bytes) -> Reaction:
    # A web framework's default error for a body it cannot decode, not OpenAI's envelope.
    return None if _is_utf8(body) else (400, {"detail": "There was an error parsing the body"})


def _crash_on_depth(body: bytes) -> Reaction:
    # A recursive parser without a depth limit overflows its stack.
    deep = b"[" * 1000 in body or b'{"a":' * 1000 in body
    return _server_error("maximum recursion depth exceeded") if deep else None


_NUMERIC = ("temperature", "top_p", "presence_penalty", "frequency_penalty")


def _drop_mistyped_options(request: Any) -> Any:
    """A lenient server: optional fields of the wrong type are ignored instead of refused."""
    if not isinstance(request, dict):
        return request
    for key in _NUMERIC:
        value = request.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            request.pop(key)
    kinds: dict[str, type | tuple[type, ...]] = {
        "user": str,
        "seed": int,
        "logit_bias": dict,
        "metadata": dict,
        "store": bool,
    }
    for key, kind in kinds.items():
        value = request.get(key)
        if value is not None and (
            not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
        ):
            request.pop(key)
    return request


BODY_FAULTS = {
    spec.name: spec
    for spec in (
        BodyFaultSpec("crash_on_emoji_zwj", _crash_on_zwj),
        BodyFaultSpec("crash_on_invalid_utf8", _crash_on_bad_utf8),
        BodyFaultSpec("lossy_utf8_decoding", _lossy_decoding),
        BodyFaultSpec("detail_body_on_invalid_utf8", _detail_on_bad_utf8),
        BodyFaultSpec("crash_on_deep_nesting", _crash_on_depth),
    )
}
MISTYPED_OPTIONS_IGNORED = Fault("mistyped_options_ignored", request=_drop_mistyped_options)


def broken_app(name: str, api_key: str | None) -> Any:
    """The app for a fault name (a body fault, or the JSON-level lenient server)."""
    if name == MISTYPED_OPTIONS_IGNORED.name:
        return BrokenApp(MISTYPED_OPTIONS_IGNORED, api_key)
    return BodyFault(BODY_FAULTS[name], api_key)
