"""Validation of a `POST /v1/chat/completions` body into a `ChatRequest`.

Types and ranges follow OpenAI's published schema (CreateChatCompletionRequest). Parameters
that only steer sampling (temperature, penalties, seed, logit_bias…) are validated and then
have no effect, which is faithful: the reference server's output does not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmconform.reference import params
from llmconform.reference.errors import ApiError, bad_request, echo, invalid_type, missing
from llmconform.reference.settings import CONTEXT_WINDOW_TOKENS
from llmconform.reference.structured import ResponseFormat, parse_response_format
from llmconform.reference.tokenizer import count_tokens
from llmconform.reference.tools import ToolPlan, parse_tools

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_PART_KEYS = {  # content-part type -> the key holding its payload, per role family
    "user": {
        "text": "text",
        "image_url": "image_url",
        "input_audio": "input_audio",
        "file": "file",
    },
    "assistant": {"text": "text", "refusal": "refusal"},
    "tool": {"text": "text"},
    "system": {"text": "text"},
    "developer": {"text": "text"},
}
_MAX_STOP = 4
_MAX_N = 128
_MAX_METADATA = 16
_MAX_METADATA_KEY = 64
_MAX_METADATA_VALUE = 512


@dataclass(frozen=True)
class ChatRequest:
    """What the chat handler needs from a valid request."""

    model: str
    message_texts: tuple[str, ...]
    last_user_text: str
    n: int = 1
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    stream: bool = False
    include_usage: bool = False
    logprobs: bool = False
    top_logprobs: int = 0
    tools: ToolPlan = field(default_factory=ToolPlan)
    response_format: ResponseFormat = field(default_factory=ResponseFormat)
    tool_answered: bool = False  # a tool result follows the last user message


def parse_chat_request(body: params.Body) -> ChatRequest:
    """Validate a decoded body; raise a 400 `ApiError` naming the first bad parameter."""
    model = params.required_string(body, "model")
    texts, last_user, answered = _messages(body)
    _sampling(body)
    tools = parse_tools(body)
    response_format = parse_response_format(body)
    stream = params.boolean(body, "stream") or False
    stream_options = params.obj(body, "stream_options")
    include_usage = False
    if stream_options is not None:
        if not stream:
            raise bad_request(
                "'stream_options' is only allowed when 'stream' is true.",
                param="stream_options",
                code="invalid_value",
            )
        include_usage = bool(_option_bool(stream_options, "include_usage"))
        _option_bool(stream_options, "include_obfuscation")
    logprobs = params.boolean(body, "logprobs") or False
    top_logprobs = params.integer(body, "top_logprobs", low=0, high=20)
    if top_logprobs is not None and not logprobs:
        raise bad_request(
            "'top_logprobs' requires 'logprobs' to be true.",
            param="top_logprobs",
            code="invalid_value",
        )
    max_tokens = params.integer(body, "max_tokens", low=1)
    max_completion = params.integer(body, "max_completion_tokens", low=1)
    _fits_context(
        texts,
        max_completion if max_completion is not None else max_tokens,
        "max_completion_tokens" if max_completion is not None else "max_tokens",
    )
    return ChatRequest(
        model=model,
        message_texts=texts,
        last_user_text=last_user,
        n=params.integer(body, "n", low=1, high=_MAX_N) or 1,
        max_tokens=max_completion if max_completion is not None else max_tokens,
        stop=params.stop_sequences(body, _MAX_STOP),
        stream=stream,
        include_usage=include_usage,
        logprobs=logprobs,
        top_logprobs=top_logprobs or 0,
        tools=tools,
        response_format=response_format,
        tool_answered=answered,
    )


def _fits_context(texts: tuple[str, ...], limit: int | None, param: str) -> None:
    """Refuse a request whose prompt plus requested completion exceed the context window."""
    if limit is None:
        return
    prompt = sum(count_tokens(t) + 3 for t in texts) + 3
    if prompt + limit > CONTEXT_WINDOW_TOKENS:
        raise bad_request(
            f"This model's maximum context length is {CONTEXT_WINDOW_TOKENS} tokens. However, "
            f"you requested {prompt + limit} tokens ({prompt} in the messages, {limit} in the "
            "completion). Please reduce the length of the messages or completion.",
            param=param,
            code="context_length_exceeded",
        )


def _messages(body: params.Body) -> tuple[tuple[str, ...], str, bool]:
    messages = params.array(body, "messages")
    if not messages:
        if messages == []:
            raise bad_request(
                "'messages' must contain at least one message.",
                param="messages",
                code="empty_array",
            )
        raise missing("messages")
    texts: list[str] = []
    last_user = ""
    answered = False
    for i, message in enumerate(messages):
        text = _message_text(message, f"messages[{i}]")
        texts.append(text)
        if message["role"] == "user":
            last_user = text
            answered = False
        elif message["role"] in ("tool", "function"):
            answered = True
    return tuple(texts), last_user, answered


def _message_text(message: Any, where: str) -> str:
    if not isinstance(message, dict):
        raise invalid_type(where, "an object", message)
    role = message.get("role")
    if role is None:
        raise missing(f"{where}.role")
    if role not in ROLES:
        raise bad_request(
            f"Invalid value for '{where}.role': {echo(role)!r} is not one of {', '.join(ROLES)}.",
            param=f"{where}.role",
            code="invalid_value",
        )
    params.string(message, "name", param=f"{where}.name")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise _missing_or_type(message, "tool_call_id", where)
    if role == "function" and not isinstance(message.get("name"), str):
        raise missing(f"{where}.name")
    content = message.get("content")
    if content is None:
        # The assistant may answer with tool calls only; a function result may be null.
        if role == "assistant" or (role == "function" and "content" in message):
            return ""
        raise missing(f"{where}.content")
    if isinstance(content, str):
        return content
    if role == "function":
        raise invalid_type(f"{where}.content", "a string", content)
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array of content parts", content)
    if not content:
        raise bad_request(
            f"'{where}.content' must not be an empty array.",
            param=f"{where}.content",
            code="empty_array",
        )
    family = "system" if role == "developer" else role
    return "".join(
        _part_text(part, f"{where}.content[{j}]", _PART_KEYS[family])
        for j, part in enumerate(content)
    )


def _part_text(part: Any, where: str, allowed: dict[str, str]) -> str:
    if not isinstance(part, dict):
        raise invalid_type(where, "an object", part)
    kind = part.get("type")
    if kind is None:
        raise missing(f"{where}.type")
    if kind not in allowed:
        raise bad_request(
            f"Invalid value for '{where}.type': {echo(kind)!r} is not one of {', '.join(allowed)}.",
            param=f"{where}.type",
            code="invalid_value",
        )
    key = allowed[kind]
    payload = part.get(key)
    if payload is None:
        raise missing(f"{where}.{key}")
    expected = str if key in ("text", "refusal") else dict
    if not isinstance(payload, expected):
        raise invalid_type(
            f"{where}.{key}", "a string" if expected is str else "an object", payload
        )
    return payload if kind == "text" and isinstance(payload, str) else ""


def _missing_or_type(message: params.Body, key: str, where: str) -> ApiError:
    if message.get(key) is None:
        return missing(f"{where}.{key}")
    return invalid_type(f"{where}.{key}", "a string", message[key])


def _sampling(body: params.Body) -> None:
    params.number(body, "temperature", low=0, high=2)
    params.number(body, "top_p", low=0, high=1)
    params.number(body, "presence_penalty", low=-2, high=2)
    params.number(body, "frequency_penalty", low=-2, high=2)
    params.integer(body, "seed")
    params.string(body, "user")
    params.boolean(body, "store")
    _metadata(body)
    bias = params.obj(body, "logit_bias")
    for token, value in (bias or {}).items():
        if not params.is_number(value):
            raise invalid_type(f"logit_bias.{echo(token)}", "a number", value)
        if not -100 <= value <= 100:
            raise bad_request(
                f"Invalid 'logit_bias': the bias for token {echo(token)} must be in [-100, 100].",
                param="logit_bias",
                code="invalid_value",
            )


def _metadata(body: params.Body) -> None:
    # OpenAI: at most 16 pairs, keys up to 64 characters, string values up to 512.
    metadata = params.obj(body, "metadata")
    if metadata is None:
        return
    if len(metadata) > _MAX_METADATA:
        raise bad_request(
            f"Invalid 'metadata': at most {_MAX_METADATA} key-value pairs are allowed.",
            param="metadata",
            code="invalid_value",
        )
    for key, value in metadata.items():
        if len(key) > _MAX_METADATA_KEY:
            raise bad_request(
                f"Invalid 'metadata': key {echo(key)!r} is longer than {_MAX_METADATA_KEY}.",
                param="metadata",
                code="invalid_value",
            )
        if not isinstance(value, str):
            raise invalid_type(f"metadata.{echo(key)}", "a string", value)
        if len(value) > _MAX_METADATA_VALUE:
            raise bad_request(
                f"Invalid 'metadata': the value of {echo(key)!r} is longer than "
                f"{_MAX_METADATA_VALUE}.",
                param="metadata",
                code="invalid_value",
            )


def _option_bool(options: params.Body, key: str) -> bool | None:
    value = options.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid_type(f"stream_options.{key}", "a boolean", value)
    return value
