"""The SDK features the `sdk-compatibility` profile exercises, one async function each.

Each receives the SDK's async client (built by `sdk_runner`, so every request goes through the
executor) and the case variables, makes the SDK calls a user would make, and returns a JSON
summary of what the SDK handed back. The summary records what was there, never judges it:
the checks in `checks/sdk.py` do that. SDK objects are built without validation, so a field
the target left out is read with `getattr(..., None)` and summarized as null.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any

from llmconform.checks.sdk import TOOL
from llmconform.engine.sdk_cases import sdk_feature
from llmconform.model import JSON

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
OPENAI_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": TOOL,
        "description": "Current weather for a city.",
        "parameters": _SCHEMA,
        "strict": True,  # the stream helper parses only strict tools' arguments
    },
}
ANTHROPIC_TOOL: dict[str, Any] = {
    "name": TOOL,
    "description": "Current weather for a city.",
    "input_schema": _SCHEMA,
}
HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]
WEATHER = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]
TOOL_RESULT = '{"temperature_c": 21, "sky": "clear"}'
EMBED_INPUT = ["The quick brown fox.", "Jumps over the lazy dog."]
MAX_TOKENS = 32


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        obj = getattr(obj, name, None)
    return obj


def _call(call: Any) -> dict[str, JSON]:
    function = _get(call, "function")
    return {
        "id": _get(call, "id"),
        "type": _get(call, "type"),
        "name": _get(function, "name"),
        "arguments": _get(function, "arguments"),
        "parsed_arguments": _get(function, "parsed_arguments"),
    }


def _completion(completion: Any) -> dict[str, JSON]:
    choices = _get(completion, "choices")
    summary: dict[str, JSON] = {
        "id": _get(completion, "id"),
        "choices": len(choices) if isinstance(choices, list) else None,
    }
    if isinstance(choices, list) and choices:
        message = _get(choices[0], "message")
        calls = _get(message, "tool_calls")
        summary |= {
            "content": _get(message, "content"),
            "finish_reason": _get(choices[0], "finish_reason"),
            "tool_calls": [_call(c) for c in calls] if isinstance(calls, list) else [],
        }
    return summary


def _length_cut(exc: Exception) -> Any:
    """The completion a `LengthFinishReasonError` carries, or None for any other exception.

    The openai SDK's stream helper and `parse()` raise it for *any* finish_reason "length",
    a correct answer to a request with a token limit: the SDK's choice, not the server's fault,
    so the feature reads the completion the exception holds instead of failing."""
    if type(exc).__name__ != "LengthFinishReasonError":
        return None
    return getattr(exc, "completion", None)


async def _helper_final(stream_manager: Any, kinds: list[str]) -> tuple[Any, bool]:
    """Run a chat stream helper to its end: (final completion, whether the SDK raised on
    finish_reason "length" and the completion came from the exception)."""
    try:
        async with stream_manager as stream:
            kinds.extend([str(_get(event, "type")) async for event in stream])
            return await stream.get_final_completion(), False
    except Exception as exc:
        cut = _length_cut(exc)
        if cut is None:
            raise
        return cut, True


def _count(kinds: list[str]) -> dict[str, int]:
    return {k: kinds.count(k) for k in dict.fromkeys(kinds)}


# -- openai: Chat Completions -----------------------------------------------------------------
@sdk_feature("sdk.openai.chat.create", "openai", "client.chat.completions.create()")
async def chat_create(client: Any, v: Mapping[str, str]) -> JSON:
    """A plain completion."""
    completion = await client.chat.completions.create(
        model=v["model"], messages=HELLO, max_tokens=MAX_TOKENS
    )
    return _completion(completion)


@sdk_feature("sdk.openai.chat.stream", "openai", "client.chat.completions.create(stream=True)")
async def chat_stream(client: Any, v: Mapping[str, str]) -> JSON:
    """Iterate a raw stream to its end, folding text and the finish reason as users do."""
    stream = await client.chat.completions.create(
        model=v["model"], messages=HELLO, max_tokens=MAX_TOKENS, stream=True
    )
    chunks, text, finish = 0, "", None
    async for chunk in stream:
        chunks += 1
        for choice in _get(chunk, "choices") or []:
            text += _get(choice, "delta", "content") or ""
            finish = _get(choice, "finish_reason") or finish
    return {"chunks": chunks, "content": text, "finish_reason": finish}


@sdk_feature(
    "sdk.openai.chat.stream_helper",
    "openai",
    "client.chat.completions.stream() + get_final_completion()",
)
async def chat_stream_helper(client: Any, v: Mapping[str, str]) -> JSON:
    """The stream helper's events and accumulated final completion."""
    kinds: list[str] = []
    final, cut = await _helper_final(
        client.chat.completions.stream(model=v["model"], messages=HELLO, max_tokens=MAX_TOKENS),
        kinds,
    )
    return {"events": _count(kinds), **_completion(final), "sdk_raised_length": cut}


@sdk_feature(
    "sdk.openai.tools.round_trip",
    "openai",
    'client.chat.completions.create(tools, tool_choice="required") + the tool result',
    exchanges=2,
)
async def tools_round_trip(client: Any, v: Mapping[str, str]) -> JSON:
    """Force a call, then send its result back as an agent loop does."""
    first = await client.chat.completions.create(
        model=v["model"], messages=WEATHER, tools=[OPENAI_TOOL], tool_choice="required"
    )
    summary = _completion(first)
    calls = summary.get("tool_calls") or []
    if not calls:
        return {"first": summary, "second": None}
    message = first.choices[0].message
    history: list[Any] = [*WEATHER, message.model_dump(exclude_none=True, warnings=False)]
    history += [
        {"role": "tool", "tool_call_id": c.id, "content": TOOL_RESULT} for c in message.tool_calls
    ]
    second = await client.chat.completions.create(
        model=v["model"], messages=history, tools=[OPENAI_TOOL], max_tokens=MAX_TOKENS
    )
    return {"first": summary, "second": _completion(second)}


@sdk_feature(
    "sdk.openai.tools.stream_helper",
    "openai",
    'client.chat.completions.stream(tools, tool_choice="required") + get_final_completion()',
)
async def tools_stream_helper(client: Any, v: Mapping[str, str]) -> JSON:
    """A streamed forced call, accumulated (and its arguments parsed) by the stream helper."""
    kinds: list[str] = []
    final, cut = await _helper_final(
        client.chat.completions.stream(
            model=v["model"], messages=WEATHER, tools=[OPENAI_TOOL], tool_choice="required"
        ),
        kinds,
    )
    return {"events": _count(kinds), **_completion(final), "sdk_raised_length": cut}


@sdk_feature(
    "sdk.openai.chat.parse", "openai", "client.chat.completions.parse(response_format=Model)"
)
async def chat_parse(client: Any, v: Mapping[str, str]) -> JSON:
    """Structured output parsed into a pydantic model (json_schema, strict)."""
    pydantic = importlib.import_module("pydantic")  # an openai dependency, present with it
    capital = pydantic.create_model("Capital", city=(str, ...), country=(str, ...))
    completions = client.chat.completions
    parse = getattr(completions, "parse", None) or client.beta.chat.completions.parse
    try:
        completion = await parse(
            model=v["model"],
            messages=[{"role": "user", "content": "Name the capital of France and its country."}],
            response_format=capital,
        )
    except Exception as exc:
        if _length_cut(exc) is None:
            raise
        return {"parsed": None, "parsed_type": None, "refusal": None, "sdk_raised_length": True}
    message = _get(completion, "choices")[0].message
    parsed = _get(message, "parsed")
    return {
        "parsed": parsed.model_dump() if parsed is not None else None,
        "parsed_type": type(parsed).__name__,
        "refusal": _get(message, "refusal"),
    }


# -- openai: embeddings, models ----------------------------------------------------------------
async def _embed(client: Any, model: str, **extra: Any) -> JSON:
    response = await client.embeddings.create(model=model, input=EMBED_INPUT, **extra)
    vectors = []
    for item in _get(response, "data") or []:
        vector = _get(item, "embedding")
        numeric = isinstance(vector, list) and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in vector
        )
        vectors.append(
            {
                "index": _get(item, "index"),
                "type": type(vector).__name__,
                "length": len(vector) if isinstance(vector, list | str) else None,
                "numeric": numeric,
            }
        )
    return {"inputs": len(EMBED_INPUT), "vectors": vectors}


@sdk_feature(
    "sdk.openai.embeddings.float", "openai", 'client.embeddings.create(encoding_format="float")'
)
async def embeddings_float(client: Any, v: Mapping[str, str]) -> JSON:
    """Embeddings asked for as float lists."""
    return await _embed(client, v["embedding_model"], encoding_format="float")


@sdk_feature(
    "sdk.openai.embeddings.default",
    "openai",
    "client.embeddings.create() (the SDK asks for base64 and decodes it)",
)
async def embeddings_default(client: Any, v: Mapping[str, str]) -> JSON:
    """Embeddings with the SDK's default, which requests base64 and decodes it to floats."""
    return await _embed(client, v["embedding_model"])


@sdk_feature(
    "sdk.openai.models",
    "openai",
    "client.models.list() + client.models.retrieve()",
    exchanges=2,
)
async def models(client: Any, v: Mapping[str, str]) -> JSON:
    """List the models (iterating the page) and retrieve the model under test."""
    page = await client.models.list()
    ids = [_get(m, "id") async for m in page]
    retrieved = await client.models.retrieve(v["model"])
    return {
        "asked": v["model"],
        "ids": ids[:50],
        "count": len(ids),
        "retrieved": _get(retrieved, "id"),
    }


# -- openai: Responses -------------------------------------------------------------------------
def _response(response: Any) -> dict[str, JSON]:
    output = _get(response, "output")
    return {
        "id": _get(response, "id"),
        "status": _get(response, "status"),
        "output_types": [_get(i, "type") for i in output] if isinstance(output, list) else None,
        "output_text": _get(response, "output_text"),
    }


@sdk_feature("sdk.openai.responses.create", "openai", "client.responses.create()")
async def responses_create(client: Any, v: Mapping[str, str]) -> JSON:
    """A plain response and its `output_text`."""
    response = await client.responses.create(
        model=v["model"], input="Say hello in one short sentence.", max_output_tokens=64
    )
    return _response(response)


@sdk_feature(
    "sdk.openai.responses.stream", "openai", "client.responses.stream() + get_final_response()"
)
async def responses_stream(client: Any, v: Mapping[str, str]) -> JSON:
    """The Responses stream helper's events and accumulated final response."""
    async with client.responses.stream(
        model=v["model"], input="Say hello in one short sentence.", max_output_tokens=64
    ) as stream:
        events = [event async for event in stream]
        final = await stream.get_final_response()
    kinds = [str(_get(e, "type")) for e in events]
    deltas = [e for e, k in zip(events, kinds, strict=True) if k == "response.output_text.delta"]
    text = "".join(str(_get(e, "delta") or "") for e in deltas)
    return {"events": _count(kinds), "streamed_text": text, **_response(final)}


# -- anthropic: Messages -----------------------------------------------------------------------
def _message(message: Any) -> dict[str, JSON]:
    content = _get(message, "content")
    blocks = content if isinstance(content, list) else []
    return {
        "id": _get(message, "id"),
        "role": _get(message, "role"),
        "content_types": [_get(b, "type") for b in blocks] if isinstance(content, list) else None,
        "text": "".join(_get(b, "text") or "" for b in blocks if _get(b, "type") == "text"),
        "stop_reason": _get(message, "stop_reason"),
        "output_tokens": _get(message, "usage", "output_tokens"),
        "tool_uses": [
            {"id": _get(b, "id"), "name": _get(b, "name"), "input": _get(b, "input")}
            for b in blocks
            if _get(b, "type") == "tool_use"
        ],
    }


@sdk_feature("sdk.anthropic.create", "anthropic", "client.messages.create()")
async def anthropic_create(client: Any, v: Mapping[str, str]) -> JSON:
    """A plain message."""
    message = await client.messages.create(model=v["model"], max_tokens=MAX_TOKENS, messages=HELLO)
    return _message(message)


@sdk_feature(
    "sdk.anthropic.stream",
    "anthropic",
    "client.messages.stream() text_stream + get_final_message()",
)
async def anthropic_stream(client: Any, v: Mapping[str, str]) -> JSON:
    """The stream helper's text stream and accumulated final message."""
    async with client.messages.stream(
        model=v["model"], max_tokens=MAX_TOKENS, messages=HELLO
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    return {"streamed_text": text, **_message(final)}


@sdk_feature(
    "sdk.anthropic.tools",
    "anthropic",
    'client.messages.create(tools, tool_choice={"type": "any"}) + the tool_result',
    exchanges=2,
)
async def anthropic_tools(client: Any, v: Mapping[str, str]) -> JSON:
    """Force a tool use, then answer it with a tool_result."""
    first = await client.messages.create(
        model=v["model"],
        max_tokens=256,
        messages=WEATHER,
        tools=[ANTHROPIC_TOOL],
        tool_choice={"type": "any"},
    )
    summary = _message(first)
    uses = [b for b in first.content or [] if _get(b, "type") == "tool_use"]
    if not uses:
        return {"first": summary, "second": None}
    results = [
        {"type": "tool_result", "tool_use_id": b.id, "content": json.dumps({"temperature_c": 21})}
        for b in uses
    ]
    history: list[Any] = [
        *WEATHER,
        {
            "role": "assistant",
            "content": [b.model_dump(exclude_none=True, warnings=False) for b in first.content],
        },
        {"role": "user", "content": results},
    ]
    second = await client.messages.create(
        model=v["model"], max_tokens=MAX_TOKENS, messages=history, tools=[ANTHROPIC_TOOL]
    )
    return {"first": summary, "second": _message(second)}
