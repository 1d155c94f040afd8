"""Deliberately broken Anthropic servers: the reference wrapped so that it breaks one rule.

Most faults reuse `broken_servers.BrokenApp` (request, JSON body and whole-stream rewrites);
an event here is the raw text `event: NAME\\ndata: {...}\\n\\n`. `BearerOnly` is its own
middleware: it ignores `x-api-key` and demands `Authorization: Bearer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llmconform.reference.app import create_app

from broken_servers import BrokenApp, Fault, invalid_utf8_comment

Event = tuple[str | None, dict[str, Any]]


def parse(event: str) -> Event:
    """(SSE event name or None, data) of one raw event text."""
    name = None
    data: dict[str, Any] = {}
    for line in event.strip("\n").split("\n"):
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
    return name, data


def render(name: str | None, data: dict[str, Any]) -> str:
    """The raw text of an event (no `event:` line when `name` is None)."""
    head = f"event: {name}\n" if name is not None else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def on_events(fn: Callable[[list[Event]], list[Event]]) -> Callable[[list[str]], list[str]]:
    """A whole-stream fault from a function over parsed events."""

    def rewrite(texts: list[str]) -> list[str]:
        return [render(n, d) for n, d in fn([parse(t) for t in texts])]

    return rewrite


def drop_type(kind: str) -> Callable[[list[str]], list[str]]:
    """Remove every event of one type."""
    return on_events(lambda evs: [(n, d) for n, d in evs if d.get("type") != kind])


def _text_as_thinking(evs: list[Event]) -> list[Event]:
    out = []
    for n, d in evs:
        delta = d.get("delta") if d.get("type") == "content_block_delta" else None
        if isinstance(delta, dict) and delta.get("type") == "text_delta":
            d = {**d, "delta": {"type": "thinking_delta", "thinking": delta["text"]}}
        out.append((n, d))
    return out


def _shift_indices(evs: list[Event]) -> list[Event]:
    return [(n, {**d, "index": d["index"] + 1} if "index" in d else d) for n, d in evs]


def _unnamed(evs: list[Event]) -> list[Event]:
    return [(None, d) for _, d in evs]


def _drop_last_fragment(evs: list[Event]) -> list[Event]:
    last = max(
        (
            i
            for i, (_, d) in enumerate(evs)
            if isinstance(d.get("delta"), dict) and d["delta"].get("type") == "input_json_delta"
        ),
        default=None,
    )
    return [e for i, e in enumerate(evs) if i != last]


def _max_tokens_as_end_turn(value: Any) -> Any:
    if isinstance(value, dict):
        for holder in (value, value.get("delta")):
            if isinstance(holder, dict) and holder.get("stop_reason") == "max_tokens":
                holder["stop_reason"] = "end_turn"
    return value


def _openai_error(body: Any) -> Any:
    if isinstance(body, dict) and body.get("type") == "error":
        message = body["error"]["message"]
        return {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    return body


def _pop_stop_sequences(request: Any) -> Any:
    if isinstance(request, dict):
        request.pop("stop_sequences", None)
    return request


FAULTS: dict[str, Fault] = {
    "no_message_stop": Fault("no_message_stop", events=drop_type("message_stop")),
    "no_block_stop": Fault("no_block_stop", events=drop_type("content_block_stop")),
    "wrong_delta_type": Fault("wrong_delta_type", events=on_events(_text_as_thinking)),
    "indices_from_one": Fault("indices_from_one", events=on_events(_shift_indices)),
    "unnamed_events": Fault("unnamed_events", events=on_events(_unnamed)),
    "tool_json_broken": Fault("tool_json_broken", events=on_events(_drop_last_fragment)),
    "max_tokens_as_end_turn": Fault(
        "max_tokens_as_end_turn",
        body=_max_tokens_as_end_turn,
        events=on_events(lambda evs: [(n, _max_tokens_as_end_turn(d)) for n, d in evs]),
    ),
    "stop_sequences_ignored": Fault("stop_sequences_ignored", request=_pop_stop_sequences),
    "openai_errors": Fault("openai_errors", body=_openai_error),
    "invalid_utf8_in_streams": Fault("invalid_utf8_in_streams", events=invalid_utf8_comment),
}


def broken(name: str, api_key: str | None) -> BrokenApp:
    """The reference with fault `name` applied."""
    return BrokenApp(FAULTS[name], api_key)


class BearerOnly:
    """Checks `Authorization: Bearer <key>` (OpenAI style) and ignores `x-api-key`."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.inner = create_app(api_key=None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            if headers.get(b"authorization") != f"Bearer {self.api_key}".encode():
                body = json.dumps(
                    {"type": "error", "error": {"type": "authentication_error", "message": "no"}}
                ).encode()
                start = {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json")],
                }
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await self.inner(scope, receive, send)
