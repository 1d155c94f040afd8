"""Faults for the function-calling, structured-output, logprobs and parameter cases.

Each rewrites the reference server's traffic so that it breaks exactly one thing a client
relies on; `UnknownFieldRejecter` is a middleware of its own because it answers requests the
reference would accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llmconform.reference.app import create_app
from llmconform.reference.asgi import ASGIApp, Message

from broken_servers import DONE, Fault, invalid_utf8_comment

Rewrite = Callable[[Any], Any]


def _each_call(fn: Callable[[dict[str, Any]], None], *, stream: bool) -> Rewrite:
    """Apply `fn` to every tool call (non-streamed) or tool-call fragment (streamed)."""

    def rewrite(value: Any) -> Any:
        for choice in value.get("choices") or [] if isinstance(value, dict) else []:
            holder = choice.get("delta" if stream else "message")
            for call in (holder or {}).get("tool_calls") or []:
                fn(call)
        return value

    return rewrite


def _drop_index(fragment: dict[str, Any]) -> None:
    fragment.pop("index", None)


def _repeat_id(fragment: dict[str, Any]) -> None:
    # vLLM-style: every fragment carries the call id again.
    fragment.setdefault("id", "call_repeated")


def _arguments_as_object(call: dict[str, Any]) -> None:
    call["function"]["arguments"] = json.loads(call["function"]["arguments"])


def _tool_calls_to_stop(value: Any) -> Any:
    for choice in value.get("choices") or [] if isinstance(value, dict) else []:
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return value


def _choice(old: Any, new: Any) -> Rewrite:
    def rewrite(request: Any) -> Any:
        if isinstance(request, dict) and request.get("tool_choice") == old:
            request["tool_choice"] = new
        return request

    return rewrite


def _named_to_required(request: Any) -> Any:
    if isinstance(request, dict) and isinstance(request.get("tool_choice"), dict):
        request["tool_choice"] = "required"
    return request


def _drop_json_object(request: Any) -> Any:
    fmt = request.get("response_format") if isinstance(request, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        del request["response_format"]
    return request


def _break_person(body: Any) -> Any:
    """Give the json_schema answer a mistyped field (the person schema's `age`)."""
    for choice in body.get("choices") or [] if isinstance(body, dict) else []:
        msg = choice.get("message") or {}
        try:
            value = json.loads(msg.get("content") or "")
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "age" in value:
            msg["content"] = json.dumps({**value, "age": "forty"})
    return body


def _logprob_contents(value: Any) -> list[list[Any]]:
    out = []
    for choice in value.get("choices") or [] if isinstance(value, dict) else []:
        lp = choice.get("logprobs")
        if isinstance(lp, dict) and isinstance(lp.get("content"), list):
            out.append(lp["content"])
    return out


def _one_alternative(value: Any) -> Any:
    for content in _logprob_contents(value):
        for entry in content:
            entry["top_logprobs"] = entry["top_logprobs"][:1]
    return value


def _special_token(body: Any) -> Any:
    for content in _logprob_contents(body):
        if content:
            eot = {"token": "<|eot_id|>", "logprob": 0.0, "bytes": list(b"<|eot_id|>")}
            content.append({**eot, "top_logprobs": [eot, {**eot, "token": "."}]})
    return body


def calls(fn: Callable[[dict[str, Any]], None]) -> Rewrite:
    """Rewrite non-streamed tool calls."""
    return _each_call(fn, stream=False)


def fragments(fn: Callable[[dict[str, Any]], None]) -> Rewrite:
    """Rewrite streamed tool-call fragments."""
    return _each_call(fn, stream=True)


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault("tool_fragment_without_index", chunk=fragments(_drop_index)),
        Fault("tool_fragment_repeats_id", chunk=fragments(_repeat_id)),
        Fault("arguments_as_object", body=calls(_arguments_as_object)),
        Fault("finish_stop_with_tool_calls", body=_tool_calls_to_stop, chunk=_tool_calls_to_stop),
        Fault("tool_choice_none_ignored", request=_choice("none", "required")),
        Fault("tool_choice_required_ignored", request=_choice("required", "auto")),
        Fault("named_tool_ignored", request=_named_to_required),
        Fault("json_schema_output_invalid", body=_break_person),
        Fault("json_object_ignored", request=_drop_json_object),
        Fault("top_logprobs_count_wrong", body=_one_alternative, chunk=_one_alternative),
        Fault("logprobs_tokens_not_concatenating", body=_special_token),
        # Framing faults: every streamed tools, structured-output and logprobs case judges
        # the stream it receives, not only the core stream cases.
        Fault("invalid_utf8_in_streams", events=invalid_utf8_comment),
        Fault("no_done", events=lambda evs: [e for e in evs if e != DONE]),
    ]
}

# What OpenAI's CreateChatCompletionRequest declares (openapi.json); anything else is unknown.
KNOWN_FIELDS = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "metadata",
        "modalities",
        "model",
        "moderation",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)


class UnknownFieldRejecter:
    """The reference, except that a chat request with an unknown top-level field is a 400."""

    def __init__(self, api_key: str | None) -> None:
        self.inner: ASGIApp = create_app(api_key=api_key)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            await self.inner(scope, receive, send)
            return
        chunks = []
        while True:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        unknown = sorted(set(body) - KNOWN_FIELDS) if isinstance(body, dict) else []
        if unknown:
            error = {"message": f"Unrecognized request argument supplied: {unknown[0]}"}
            payload = json.dumps({"error": {**error, "type": "invalid_request_error"}}).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # type: ignore[no-any-return]
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.inner(scope, replay, send)
