"""`POST /v1/chat/completions`: the OpenAI Chat Completions API, streamed or not.

The reply echoes the last user message (see `generation`), so every field a client reads —
content, finish_reason, usage, the chunk sequence of a stream — is known in advance. Tool
calls follow the rules in `tools` (arguments are minimal schema instances), and
`response_format` shapes the reply as described in `structured`.

Usage is counted with the reference tokenizer: prompt_tokens = the tokens of every message's
text + 3 per message + 3 (a nod to the per-message framing real chat templates add);
completion_tokens = the tokens emitted, summed over the `n` choices.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from llmconform.reference import params
from llmconform.reference.asgi import HttpRequest, JsonResponse, Response, StreamResponse, sse_event
from llmconform.reference.chat_request import ChatRequest, parse_chat_request
from llmconform.reference.errors import model_not_found
from llmconform.reference.generation import (
    Generation,
    ToolGeneration,
    generate,
    generate_calls,
    reply_source,
)
from llmconform.reference.instances import minimal_instance
from llmconform.reference.settings import SYSTEM_FINGERPRINT, Settings
from llmconform.reference.structured import formatted_reply
from llmconform.reference.tokenizer import count_tokens
from llmconform.reference.tools import planned_calls

DONE = b"data: [DONE]\n\n"
PER_MESSAGE_TOKENS = 3
REPLY_PRIMING_TOKENS = 3


async def create_chat_completion(request: HttpRequest) -> Response:
    """Handle one chat completion request."""
    chat = parse_chat_request(params.parse_object(request.body))
    if chat.model not in request.settings.models:
        raise model_not_found(chat.model)
    calls = planned_calls(chat.tools, chat.last_user_text, chat.tool_answered)
    gen: Generation | ToolGeneration
    if calls:
        planned = [(f.name, json.dumps(minimal_instance(f.parameters))) for f in calls]
        gen = generate_calls(planned, max_tokens=chat.max_tokens)
        spent = gen.token_count
    else:
        source = formatted_reply(chat.response_format, reply_source(chat.last_user_text))
        gen = generate(source, stop=chat.stop, max_tokens=chat.max_tokens)
        spent = len(gen.tokens)
    usage = usage_object(prompt_tokens(chat.message_texts), spent * chat.n)
    head: dict[str, Any] = {
        "id": "chatcmpl-" + uuid.uuid4().hex,
        "object": "chat.completion.chunk" if chat.stream else "chat.completion",
        "created": int(time.time()),
        "model": chat.model,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if isinstance(gen, ToolGeneration):
        if chat.stream:
            return StreamResponse(_tool_events(chat, gen, usage, head, request.settings))
        return JsonResponse({**head, "choices": _tool_choices(chat, gen), "usage": usage})
    if chat.stream:
        return StreamResponse(_events(chat, gen, usage, head, request.settings))
    choices: list[dict[str, Any]] = [
        {
            "index": i,
            "message": {
                "role": "assistant",
                "content": gen.text,
                "refusal": None,
                "annotations": [],
            },
            "logprobs": _logprobs(gen.tokens, chat) if chat.logprobs else None,
            "finish_reason": gen.finish_reason,
        }
        for i in range(chat.n)
    ]
    return JsonResponse({**head, "choices": choices, "usage": usage})


def _call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def _tool_choices(chat: ChatRequest, gen: ToolGeneration) -> list[dict[str, Any]]:
    """Non-streamed choices that call tools; every choice gets its own call ids."""
    return [
        {
            "index": i,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "annotations": [],
                "tool_calls": [
                    {
                        "id": _call_id(),
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    }
                    for c in gen.calls
                ],
            },
            "logprobs": _logprobs((), chat) if chat.logprobs else None,
            "finish_reason": gen.finish_reason,
        }
        for i in range(chat.n)
    ]


def _tool_fragments(gen: ToolGeneration) -> list[dict[str, Any]]:
    """One choice's deltas: each call opens with id, type and name (arguments ""), then
    one fragment per argument token, all carrying the call's `index`."""
    deltas: list[dict[str, Any]] = []
    for k, c in enumerate(gen.calls):
        head = {"index": k, "id": _call_id(), "type": "function"}
        deltas.append({"tool_calls": [{**head, "function": {"name": c.name, "arguments": ""}}]})
        deltas.extend(
            {"tool_calls": [{"index": k, "function": {"arguments": token}}]}
            for token in c.argument_tokens
        )
    return deltas


async def _tool_events(
    chat: ChatRequest,
    gen: ToolGeneration,
    usage: dict[str, Any],
    head: dict[str, Any],
    settings: Settings,
) -> AsyncIterator[bytes]:
    """The SSE events of a streamed tool-calling answer (same order as `_events`)."""

    def chunk(i: int, delta: dict[str, Any], finish: str | None) -> bytes:
        body: dict[str, Any] = {
            **head,
            "choices": [{"index": i, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if chat.include_usage:
            body["usage"] = None
        return sse_event(body)

    for i in range(chat.n):
        yield chunk(i, {"role": "assistant", "content": None}, None)
    per_choice = [_tool_fragments(gen) for _ in range(chat.n)]
    for pos in range(len(per_choice[0])):
        delay = settings.ttft_delay_s if pos == 0 else settings.token_delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        for i in range(chat.n):
            yield chunk(i, per_choice[i][pos], None)
    for i in range(chat.n):
        yield chunk(i, {}, gen.finish_reason)
    if chat.include_usage:
        yield sse_event({**head, "choices": [], "usage": usage})
    yield DONE


def prompt_tokens(message_texts: tuple[str, ...]) -> int:
    """Prompt token count for messages with these texts."""
    return sum(count_tokens(t) + PER_MESSAGE_TOKENS for t in message_texts) + REPLY_PRIMING_TOKENS


def usage_object(prompt: int, completion: int) -> dict[str, Any]:
    """A usage object with the detail breakdowns OpenAI sends (all zero here)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


async def _events(
    chat: ChatRequest,
    gen: Generation,
    usage: dict[str, Any],
    head: dict[str, Any],
    settings: Settings,
) -> AsyncIterator[bytes]:
    """The SSE events of a streamed completion, `data: [DONE]` last.

    Order per OpenAI: a role-only chunk per choice, one content chunk per token and choice,
    a final empty-delta chunk per choice carrying finish_reason, then (if asked) a usage
    chunk with no choices. The role chunk goes out before the time-to-first-token delay, so
    a client that counts it as "first token" measures the wrong thing.
    """

    def chunk(choices: list[dict[str, Any]]) -> bytes:
        body = {**head, "choices": choices}
        if chat.include_usage:
            body["usage"] = None
        return sse_event(body)

    def choice(i: int, delta: dict[str, Any], finish: str | None, lp: Any = None) -> dict[str, Any]:
        return {"index": i, "delta": delta, "logprobs": lp, "finish_reason": finish}

    for i in range(chat.n):
        yield chunk([choice(i, {"role": "assistant", "content": ""}, None)])
    for pos, token in enumerate(gen.tokens):
        delay = settings.ttft_delay_s if pos == 0 else settings.token_delay_s
        if delay > 0:
            await asyncio.sleep(delay)
        lp = _logprobs((token,), chat) if chat.logprobs else None
        for i in range(chat.n):
            yield chunk([choice(i, {"content": token}, None, lp)])
    for i in range(chat.n):
        yield chunk([choice(i, {}, gen.finish_reason)])
    if chat.include_usage:
        yield sse_event({**head, "choices": [], "usage": usage})
    yield DONE


# Alternatives listed after the chosen token in `top_logprobs`. A deterministic model gives
# them probability 0; OpenAI writes "very unlikely" as -9999.0 (JSON has no -Infinity).
_ALTERNATIVES = (
    " the", " a", " and", " of", " to", " in", " is", " that", " it", " for", " on",
    " with", " as", " be", " at", " by", " this", " an", " or", ",", ".",
)  # fmt: skip
UNLIKELY = -9999.0


def _logprobs(tokens: tuple[str, ...], chat: ChatRequest) -> dict[str, Any]:
    """Log probabilities of a deterministic model: every emitted token had probability 1,
    followed by `top_logprobs - 1` alternatives that it never picks."""

    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}

    def top(token: str) -> list[dict[str, Any]]:
        if chat.top_logprobs <= 0:
            return []
        others = [a for a in _ALTERNATIVES if a != token][: chat.top_logprobs - 1]
        return [entry(token, 0.0), *(entry(a, UNLIKELY) for a in others)]

    content = [{**entry(t, 0.0), "top_logprobs": top(t)} for t in tokens]
    return {"content": content, "refusal": None}
