"""`POST /v1/messages`: the Anthropic Messages API, streamed or not.

Like the chat endpoint, the reply echoes the last user turn (see `generation`) under the
same stop-sequence and token-budget rules, so every field is known in advance:
`stop_reason` is `max_tokens` when the budget bit, `stop_sequence` (with the matched string
in `stop_sequence`) when a stop sequence did, `end_turn` otherwise. When `tool_choice` is
`any` or `tool`, the answer is one `tool_use` block whose input is the minimal instance of
the tool's `input_schema` and `stop_reason` is `tool_use`; with `auto` or `none` the
reference answers in text. With `thinking` enabled a short fixed thinking block comes first.

Usage: input_tokens = tokens of the system prompt and every message's text, + 3 per message,
+ 3, + the tokens of the tool definitions' JSON; output_tokens = the tokens emitted (a
tool_use counts the tokens of its name and compact input JSON).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.anthropic_errors import check_version
from llmconform.reference.anthropic_request import MessagesRequest, parse_messages_request
from llmconform.reference.anthropic_tools import example_instance
from llmconform.reference.asgi import (
    HttpRequest,
    JsonResponse,
    Response,
    StreamResponse,
    dump_json,
)
from llmconform.reference.errors import ApiError, echo
from llmconform.reference.generation import generate, reply_source
from llmconform.reference.settings import Settings
from llmconform.reference.tokenizer import count_tokens, tokenize

PER_MESSAGE_TOKENS = 3
REPLY_PRIMING_TOKENS = 3
THINKING_TEXT = "The reference server echoes the last user turn."
JSON_FRAGMENT_CHARS = 12  # tool input is streamed in fragments of this many characters


@dataclass(frozen=True)
class Reply:
    """A generated answer: content blocks (complete), stop reason and output token count."""

    content: tuple[dict[str, Any], ...]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int


async def create_message(request: HttpRequest) -> Response:
    """Handle one Messages API request."""
    check_version(request.header("anthropic-version"))
    req = parse_messages_request(params.parse_object(request.body))
    if req.model not in request.settings.models:
        raise ApiError(404, f"model: {echo(req.model)}")
    reply = answer(req)
    usage = {
        "input_tokens": input_tokens(req, request.body),
        "output_tokens": reply.output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    message: dict[str, Any] = {
        "id": "msg_" + uuid.uuid4().hex,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": list(reply.content),
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": usage,
    }
    headers = (("request-id", "req_" + uuid.uuid4().hex),)
    if req.stream:
        return StreamResponse(_events(message, reply, request.settings), headers=headers)
    return JsonResponse(message, headers=headers)


def input_tokens(req: MessagesRequest, raw_body: bytes) -> int:
    """Prompt token count (see the module docstring)."""
    tools = 0
    if req.tools:
        body = json.loads(raw_body)
        tools = count_tokens(json.dumps(body.get("tools"), separators=(",", ":")))
    texts = sum(count_tokens(t) + PER_MESSAGE_TOKENS for t in req.prompt_texts)
    return texts + REPLY_PRIMING_TOKENS + tools


def answer(req: MessagesRequest) -> Reply:
    """The deterministic answer to a valid request."""
    if req.tool_choice in ("any", "tool"):
        return _tool_answer(req)
    blocks: list[dict[str, Any]] = []
    budget = req.max_tokens
    used = 0
    if req.thinking:
        used = count_tokens(THINKING_TEXT)
        blocks.append({"type": "thinking", "thinking": THINKING_TEXT, "signature": _sign()})
        budget = max(budget - used, 0)
    source = reply_source(req.reply_text)
    gen = generate(source, stop=req.stop_sequences, max_tokens=budget)
    if gen.text:
        blocks.append({"type": "text", "text": gen.text})
    matched = _matched_stop(source, req.stop_sequences)
    if gen.finish_reason == "length":
        reason, sequence = "max_tokens", None
    elif matched is not None:
        reason, sequence = "stop_sequence", matched
    else:
        reason, sequence = "end_turn", None
    return Reply(tuple(blocks), reason, sequence, used + len(gen.tokens))


def _tool_answer(req: MessagesRequest) -> Reply:
    tool = next((t for t in req.tools if t.name == req.tool_name), req.tools[0])
    arguments = example_instance(tool.input_schema)
    cost = count_tokens(tool.name) + count_tokens(json.dumps(arguments, separators=(",", ":")))
    if cost > req.max_tokens:
        # The budget runs out before the call is complete: nothing usable was produced.
        return Reply((), "max_tokens", None, req.max_tokens)
    block = {
        "type": "tool_use",
        "id": "toolu_" + uuid.uuid4().hex[:24],
        "name": tool.name,
        "input": arguments,
    }
    return Reply((block,), "tool_use", None, cost)


def _matched_stop(source: str, stops: tuple[str, ...]) -> str | None:
    """The stop sequence `generate` cut at: the earliest match, the first listed on ties."""
    best: tuple[int, str] | None = None
    for seq in stops:
        pos = source.find(seq)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, seq)
    return None if best is None else best[1]


def _sign() -> str:
    # An opaque, deterministic stand-in for Anthropic's thinking signature.
    return base64.b64encode(hashlib.sha256(THINKING_TEXT.encode()).digest()).decode()


def sse(event: dict[str, Any]) -> bytes:
    """One named event: Anthropic names every event after its data's `type`."""
    name = str(event["type"]).encode()
    return b"event: " + name + b"\ndata: " + dump_json(event) + b"\n\n"


async def _events(
    message: dict[str, Any], reply: Reply, settings: Settings
) -> AsyncIterator[bytes]:
    """The documented event flow: message_start, per block start/deltas/stop, message_delta,
    message_stop, with a ping after message_start as Anthropic sends one."""
    head = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**message["usage"], "output_tokens": 0},
    }
    yield sse({"type": "message_start", "message": head})
    yield sse({"type": "ping"})
    first = True
    for index, block in enumerate(reply.content):
        yield sse({"type": "content_block_start", "index": index, "content_block": _empty(block)})
        for delta in _deltas(block):
            delay = settings.ttft_delay_s if first else settings.token_delay_s
            first = False
            if delay > 0:
                await asyncio.sleep(delay)
            yield sse({"type": "content_block_delta", "index": index, "delta": delta})
        yield sse({"type": "content_block_stop", "index": index})
    usage = message["usage"]
    yield sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
            "usage": {
                "input_tokens": usage["input_tokens"],
                "output_tokens": usage["output_tokens"],
            },
        }
    )
    yield sse({"type": "message_stop"})


def _empty(block: dict[str, Any]) -> dict[str, Any]:
    """A block as content_block_start announces it, before any delta."""
    if block["type"] == "text":
        return {"type": "text", "text": ""}
    if block["type"] == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {**block, "input": {}}


def _deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "text":
        return [{"type": "text_delta", "text": t} for t in tokenize(block["text"])]
    if block["type"] == "thinking":
        return [
            *({"type": "thinking_delta", "thinking": t} for t in tokenize(block["thinking"])),
            {"type": "signature_delta", "signature": block["signature"]},
        ]
    text = json.dumps(block["input"], ensure_ascii=False)
    pieces = [text[i : i + JSON_FRAGMENT_CHARS] for i in range(0, len(text), JSON_FRAGMENT_CHARS)]
    # Anthropic opens with an empty fragment; clients must cope with it.
    return [{"type": "input_json_delta", "partial_json": p} for p in ["", *pieces]]
