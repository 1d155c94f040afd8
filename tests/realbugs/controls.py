"""Negative controls: spec-legal variations of the reference that must produce no finding.

Each control changes the wire in a way the SSE and JSON specs (or the API itself) allow: SSE
comments and keep-alives, unknown extra fields, key order, whitespace, chunk boundaries
anywhere (inside a UTF-8 character or an event), an Azure-style empty first chunk, fields the
APIs added recently. A finding against any of them is a false failure of the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from broken_servers import BrokenApp, Fault
from mutant_kit import AppFactory

ALL = ("openai", "responses", "anthropic")


@dataclass(frozen=True)
class Control:
    """One spec-legal variation and the API families it applies to."""

    name: str
    app: AppFactory
    families: tuple[str, ...] = ALL


def _fault(fault: Fault) -> AppFactory:
    return lambda api_key: BrokenApp(fault, api_key)


def _events_json(fn: Callable[[Any], Any], dumps: Callable[[Any], str] = json.dumps) -> Any:
    """A whole-stream rewrite of every event's JSON data (other lines kept)."""

    def rewrite(texts: list[str]) -> list[str]:
        out = []
        for text in texts:
            lines = []
            for line in text.rstrip("\n").split("\n"):
                if line.startswith("data: {"):
                    line = "data: " + dumps(fn(json.loads(line[len("data: ") :])))
                lines.append(line)
            out.append("\n".join(lines) + "\n\n")
        return out

    return rewrite


def _extra(value: Any) -> Any:
    """Unknown fields on every typed object (an API may add a field to any of them); maps of
    arbitrary keys (top_logprobs of completions) are left alone."""
    if isinstance(value, dict):
        inner = {k: _extra(v) for k, v in value.items()}
        typed = "type" in value or "object" in value
        return {**inner, "x_vendor_note": "héllo ✓"} if typed else inner
    if isinstance(value, list):
        return [_extra(v) for v in value]
    return value


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def _keepalives(texts: list[str]) -> list[str]:
    out = [": keep-alive\n\n"]
    for text in texts:
        out += [text, ":\n\n", ": ping from the proxy\n\n"]
    return out


def _spacey(value: Any) -> str:
    return json.dumps(value, indent=None, separators=(" ,  ", " :  "))


def _no_space_after_colon(texts: list[str]) -> list[str]:
    # `data:{...}` and `event:x`: the space after the colon is optional in SSE.
    return [t.replace("data: ", "data:").replace("event: ", "event:") for t in texts]


def _crlf(texts: list[str]) -> list[str]:
    return [t.replace("\n", "\r\n") for t in texts]


def _azure_first_chunk(texts: list[str]) -> list[str]:
    if not texts or not texts[0].startswith("data: {") or '"chat.completion.chunk"' not in texts[0]:
        return texts
    empty = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    return [f"data: {json.dumps(empty)}\n\n", *texts]


def _recent(value: Any) -> Any:
    """Fields each API added recently, on the objects that carry them."""
    if not isinstance(value, dict):
        return value
    kind = value.get("type") or value.get("object")
    if kind == "message" and "usage" in value:  # Anthropic Message
        value["usage"].update(
            {"service_tier": "standard", "cache_creation": {"ephemeral_5m_input_tokens": 0}}
        )
        value.setdefault("container", None)
    if kind == "message_start":
        _recent(value["message"])
    if kind in ("chat.completion", "chat.completion.chunk"):
        value.setdefault("service_tier", "default")
        for choice in value.get("choices", []):
            if isinstance(choice.get("delta"), dict):
                choice["delta"].setdefault("obfuscation", "x1y2")
    if kind == "response":
        value.setdefault("safety_identifier", None)
        value.setdefault("prompt_cache_key", None)
    if isinstance(value.get("response"), dict):
        _recent(value["response"])
    return value


class Rechunk:
    """Sends every body in pieces of `size` bytes: boundaries fall inside UTF-8 characters,
    lines and events."""

    def __init__(self, inner: Any, size: int) -> None:
        self.inner, self.size = inner, size

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def out(message: Any) -> None:
            body = message.get("body", b"")
            if message["type"] != "http.response.body" or len(body) <= self.size:
                await send(message)
                return
            more = message.get("more_body", False)
            for i in range(0, len(body), self.size):
                last = i + self.size >= len(body)
                piece = body[i : i + self.size]
                await send({**message, "body": piece, "more_body": more or not last})

        await self.inner(scope, receive, out)


def _rechunked(fault: Fault, size: int) -> AppFactory:
    return lambda api_key: Rechunk(BrokenApp(fault, api_key), size)


def _non_ascii(value: Any) -> str:
    return json.dumps(_extra(value), ensure_ascii=False)


CONTROLS = [
    Control("sse_comments_and_keepalives", _fault(Fault("c", events=_keepalives))),
    Control("unknown_extra_fields", _fault(Fault("c", body=_extra, events=_events_json(_extra)))),
    Control("key_order", _fault(Fault("c", body=_reversed, events=_events_json(_reversed)))),
    Control("whitespace_in_json", _fault(Fault("c", events=_events_json(lambda v: v, _spacey)))),
    Control("no_space_after_field_colon", _fault(Fault("c", events=_no_space_after_colon))),
    Control("crlf_line_ends", _fault(Fault("c", events=_crlf))),
    Control(
        "chunks_split_inside_utf8_and_events",
        _rechunked(Fault("c", events=_events_json(lambda v: v, _non_ascii)), 7),
    ),
    Control("azure_empty_first_chunk", _fault(Fault("c", events=_azure_first_chunk)), ("openai",)),
    Control(
        "recently_added_fields", _fault(Fault("c", body=_recent, events=_events_json(_recent)))
    ),
]
