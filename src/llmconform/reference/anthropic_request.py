"""Validation of a `POST /v1/messages` body into a `MessagesRequest` (Anthropic Messages API).

Required: `model`, `max_tokens` (≥ 1) and a non-empty `messages` list whose roles are `user`,
`assistant` or `system`. A `system` entry inside `messages` is accepted the way the Messages API
has accepted it since 2026-05 (mid-conversation system messages, sent by Claude Code): its text
joins the system prompt, and it takes no part in the user/assistant turn rules. Tool use is
checked the way Anthropic checks it: every `tool_result` must answer a `tool_use` of the
assistant message just before it, and every such `tool_use` must be answered. Sampling
parameters are validated for type and range and then have no effect on the deterministic output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.errors import ApiError, bad_request, echo, invalid_type

ROLES = ("user", "assistant", "system")
TOOL_CHOICES = ("auto", "any", "tool", "none")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
MIN_THINKING_BUDGET = 1024


@dataclass(frozen=True)
class Tool:
    """A client tool the model may call."""

    name: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class MessagesRequest:
    """What the messages handler needs from a valid request."""

    model: str
    max_tokens: int
    prompt_texts: tuple[str, ...]  # system prompt and each message's text, for usage
    reply_text: str  # the text of the last user turn, which the reference echoes
    stop_sequences: tuple[str, ...] = ()
    stream: bool = False
    tools: tuple[Tool, ...] = ()
    tool_choice: str = "auto"
    tool_name: str | None = None
    thinking: bool = False


def field_required(name: str) -> ApiError:
    """A required parameter is absent (Anthropic words it `<name>: Field required`)."""
    return bad_request(f"{name}: Field required", param=name)


def parse_messages_request(body: params.Body) -> MessagesRequest:
    """Validate a decoded body; raise a 400 `ApiError` naming the first bad parameter."""
    model = params.string(body, "model")
    if not model:
        raise field_required("model")
    max_tokens = params.integer(body, "max_tokens", low=1)
    if max_tokens is None:
        raise field_required("max_tokens")
    system = _system(body)
    texts, reply = _messages(body)
    params.number(body, "temperature", low=0, high=1)
    params.number(body, "top_p", low=0, high=1)
    params.integer(body, "top_k", low=0)
    metadata = params.obj(body, "metadata") or {}
    params.string(metadata, "user_id", param="metadata.user_id")
    tools = _tools(body)
    choice, name = _tool_choice(body, tools)
    thinking = _thinking(body, max_tokens)
    if thinking and choice in ("any", "tool"):
        raise bad_request(
            "Thinking may not be enabled when tool_choice forces tool use.", param="thinking"
        )
    return MessagesRequest(
        model=model,
        max_tokens=max_tokens,
        prompt_texts=(system, *texts) if system else texts,
        reply_text=reply,
        stop_sequences=_stop_sequences(body),
        stream=params.boolean(body, "stream") or False,
        tools=tools,
        tool_choice=choice,
        tool_name=name,
        thinking=thinking,
    )


def _system(body: params.Body) -> str:
    system = body.get("system")
    if system is None or isinstance(system, str):
        return system or ""
    if not isinstance(system, list):
        raise invalid_type("system", "a string or an array of text blocks", system)
    return "".join(_text_block(b, f"system.{i}") for i, b in enumerate(system))


def _text_block(block: Any, where: str) -> str:
    if not isinstance(block, dict) or block.get("type") != "text":
        raise bad_request(f"{where}: Input should be a text block", param=where)
    text = block.get("text")
    if not isinstance(text, str):
        raise invalid_type(f"{where}.text", "a string", text)
    return text


def _messages(body: params.Body) -> tuple[tuple[str, ...], str]:
    messages = params.array(body, "messages")
    if messages is None:
        raise field_required("messages")
    if not messages:
        raise bad_request("messages: at least one message is required", param="messages")
    texts: list[str] = []
    reply = ""
    pending: list[str] = []  # tool_use ids of the previous assistant message
    for i, message in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(message, dict):
            raise invalid_type(where, "an object", message)
        role = message.get("role")
        if role not in ROLES:
            raise bad_request(
                f"{where}.role: Input should be 'user', 'assistant' or 'system', "
                f"got {echo(role)!r}",
                param=f"{where}.role",
            )
        if role == "system":  # system text: no turn of its own, no tool_use/tool_result pairing
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts.append(
                    "".join(_text_block(b, f"{where}.content.{j}") for j, b in enumerate(content))
                )
            else:
                raise invalid_type(
                    f"{where}.content", "a string or an array of text blocks", content
                )
            continue
        blocks = _content(message, where)
        answered = [b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"]
        if pending and (role != "user" or set(pending) - set(answered)):
            raise bad_request(
                f"{where}: tool_use ids were found without tool_result blocks immediately "
                f"after: {', '.join(sorted(set(pending) - set(answered)))}",
                param=where,
            )
        stray = [a for a in answered if a not in pending]
        if stray:
            raise bad_request(
                f"{where}.content: unexpected tool_use_id found in tool_result blocks: "
                f"{echo(stray[0])}. Each tool_result block must have a corresponding "
                "tool_use block in the previous message.",
                param=f"{where}.content",
            )
        pending = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        text = "".join(_block_text(b) for b in blocks)
        texts.append(text)
        if role == "user":
            reply = text
    return tuple(texts), reply


def _content(message: dict[str, Any], where: str) -> list[dict[str, Any]]:
    content = message.get("content")
    if content is None:
        raise field_required(f"{where}.content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array of blocks", content)
    if not content and message.get("role") == "user":
        raise bad_request(f"{where}.content: user messages must not be empty", param=where)
    for j, block in enumerate(content):
        _check_block(block, f"{where}.content.{j}", str(message.get("role")))
    return list(content)


def _check_block(block: Any, where: str, role: str) -> None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        raise bad_request(f"{where}: Input should be a content block with a 'type'", param=where)
    kind = block["type"]
    if kind == "text":
        _text_block(block, where)
    elif kind == "tool_use":
        if role != "assistant":
            raise bad_request(f"{where}: tool_use blocks belong to assistant messages")
        for key, expected in (("id", str), ("name", str), ("input", dict)):
            if not isinstance(block.get(key), expected):
                raise invalid_type(f"{where}.{key}", expected.__name__, block.get(key))
    elif kind == "tool_result":
        if role != "user":
            raise bad_request(f"{where}: tool_result blocks belong to user messages")
        if not isinstance(block.get("tool_use_id"), str):
            raise field_required(f"{where}.tool_use_id")
        params.boolean(block, "is_error")
        inner = block.get("content")
        if inner is not None and not isinstance(inner, str | list):
            raise invalid_type(f"{where}.content", "a string or an array of blocks", inner)


def _block_text(block: dict[str, Any]) -> str:
    if block.get("type") == "text":
        return str(block.get("text", ""))
    if block.get("type") == "tool_result":
        inner = block.get("content")
        if isinstance(inner, str):
            return inner
        if isinstance(inner, list):
            return "".join(
                str(b.get("text", "")) for b in inner if isinstance(b, dict) and "text" in b
            )
    return ""


def _tools(body: params.Body) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for i, tool in enumerate(params.array(body, "tools") or []):
        where = f"tools.{i}"
        if not isinstance(tool, dict):
            raise invalid_type(where, "an object", tool)
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise bad_request(f"{where}.name: String should match pattern '{_TOOL_NAME.pattern}'")
        if tool.get("type") not in (None, "custom"):
            continue  # a server tool (web search…): accepted, never run here
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise field_required(f"{where}.input_schema")
        if schema.get("type") != "object":
            raise bad_request(f"{where}.input_schema.type: Input should be 'object'")
        if any(t.name == name for t in tools):
            raise bad_request(f"tools: Tool names must be unique, {echo(name)!r} is repeated")
        tools.append(Tool(name, schema))
    return tuple(tools)


def _tool_choice(body: params.Body, tools: tuple[Tool, ...]) -> tuple[str, str | None]:
    choice = params.obj(body, "tool_choice")
    if choice is None:
        return "auto", None
    kind = choice.get("type")
    if kind not in TOOL_CHOICES:
        raise bad_request(
            f"tool_choice.type: Input should be one of {', '.join(TOOL_CHOICES)}",
            param="tool_choice.type",
        )
    params.boolean(choice, "disable_parallel_tool_use")
    if kind in ("any", "tool") and not tools:
        raise bad_request(f"tool_choice: '{kind}' requires at least one tool in 'tools'")
    if kind != "tool":
        return str(kind), None
    name = choice.get("name")
    if not isinstance(name, str):
        raise field_required("tool_choice.name")
    if name not in {t.name for t in tools}:
        raise bad_request(f"tool_choice.name: tool {echo(name)!r} is not in 'tools'")
    return "tool", name


def _thinking(body: params.Body, max_tokens: int) -> bool:
    thinking = params.obj(body, "thinking")
    if thinking is None or thinking.get("type") == "disabled":
        return False
    if thinking.get("type") == "adaptive":
        return True
    if thinking.get("type") != "enabled":
        raise bad_request("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'")
    budget = params.integer(thinking, "budget_tokens", low=MIN_THINKING_BUDGET)
    if budget is None:
        raise field_required("thinking.budget_tokens")
    if budget >= max_tokens:
        raise bad_request("max_tokens must be greater than thinking.budget_tokens")
    return True


def _stop_sequences(body: params.Body) -> tuple[str, ...]:
    stops = params.array(body, "stop_sequences") or []
    for i, stop in enumerate(stops):
        if not isinstance(stop, str):
            raise invalid_type(f"stop_sequences.{i}", "a string", stop)
        if not stop.strip():
            raise bad_request("stop_sequences: each element must contain non-whitespace")
    return tuple(stops)
