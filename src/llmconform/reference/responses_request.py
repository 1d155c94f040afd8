"""Validation of a `POST /v1/responses` body into a `ResponsesRequest`.

Types and ranges follow the Open Responses OpenAPI document (CreateResponseBody, 2026-04-24).
Input items are normalised into the shape items have in a response's `output` (content as a
list of parts), so that stored context, compaction and chaining all handle one shape. Sampling
parameters are validated and echoed; they do not change the deterministic output.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from llmconform.reference import params
from llmconform.reference.errors import ApiError, bad_request, echo, invalid_type, missing

ROLES = ("user", "assistant", "system", "developer")
TOOL_CHOICES = ("none", "auto", "required")
_PARTS = {  # allowed content-part types per role
    "user": ("input_text", "input_image", "input_file"),
    "system": ("input_text",),
    "developer": ("input_text",),
    "assistant": ("output_text", "refusal"),
}
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
COMPACTION_PREFIX = "llmconform-compaction-v1:"
Item = dict[str, Any]


@dataclass(frozen=True)
class ResponsesRequest:
    """What the Responses handler needs from a valid request."""

    model: str
    items: tuple[Item, ...]
    instructions: str | None = None
    tools: tuple[Item, ...] = ()
    tool_choice: Any = "auto"
    max_output_tokens: int | None = None
    stream: bool = False
    store: bool = True
    previous_response_id: str | None = None
    echo: dict[str, Any] = field(default_factory=dict)  # parameters repeated in the response


def invalid_value(param: str, message: str, code: str = "invalid_value") -> ApiError:
    """A 400 for a parameter whose value is not allowed."""
    return bad_request(f"Invalid value for '{param}': {message}", param=param, code=code)


def parse_responses_request(body: params.Body, *, compact: bool = False) -> ResponsesRequest:
    """Validate a decoded body; raise a 400 `ApiError` naming the first bad parameter."""
    model = params.required_string(body, "model")
    previous = params.string(body, "previous_response_id")
    items = parse_input(body.get("input"), required=previous is None)
    instructions = params.string(body, "instructions")
    if compact:
        return ResponsesRequest(model, items, instructions, previous_response_id=previous)
    tools = _tools(body)
    stream = params.boolean(body, "stream") or False
    if params.obj(body, "stream_options") is not None and not stream:
        raise invalid_value("stream_options", "only allowed when 'stream' is true.")
    if params.boolean(body, "background"):
        raise invalid_value("background", "background mode is not supported by this server.")
    return ResponsesRequest(
        model=model,
        items=items,
        instructions=instructions,
        tools=tools,
        tool_choice=_tool_choice(body.get("tool_choice"), tools),
        max_output_tokens=params.integer(body, "max_output_tokens", low=16),
        stream=stream,
        store=params.boolean(body, "store") is not False,
        previous_response_id=previous,
        echo=_echo(body),
    )


def parse_input(value: Any, *, required: bool) -> tuple[Item, ...]:
    """The `input` as normalised items: a string is one user message."""
    if value is None:
        if required:
            raise missing("input")
        return ()
    if isinstance(value, str):
        return ({"type": "message", "role": "user", "content": [_text("input_text", value)]},)
    if not isinstance(value, list):
        raise invalid_type("input", "a string or an array of input items", value)
    out: list[Item] = []
    for i, item in enumerate(value):
        out.extend(_item(item, f"input[{i}]"))
    return tuple(out)


def _text(kind: str, text: str) -> Item:
    return (
        {"type": kind, "text": text, "annotations": []}
        if kind == "output_text"
        else {
            "type": kind,
            "text": text,
        }
    )


def _item(item: Any, where: str) -> list[Item]:
    if not isinstance(item, dict):
        raise invalid_type(where, "an object", item)
    kind = item.get("type", "message" if "role" in item else None)
    if kind is None:
        raise missing(f"{where}.type")
    if kind == "message":
        return [_message(item, where)]
    if kind == "function_call":
        call = {k: _string(item, k, where) for k in ("call_id", "name", "arguments")}
        if not call["call_id"]:
            raise missing(f"{where}.call_id")
        return [{"type": "function_call", **call, "status": "completed"}]
    if kind == "function_call_output":
        call_id = _string(item, "call_id", where)
        output = item.get("output")
        if not isinstance(output, str | list):
            raise invalid_type(f"{where}.output", "a string or an array", output)
        return [{"type": "function_call_output", "call_id": call_id, "output": output}]
    if kind == "reasoning":
        summary = item.get("summary")
        return [{"type": "reasoning", "summary": summary if isinstance(summary, list) else []}]
    if kind == "item_reference":
        _string(item, "id", where)
        return []  # references resolve server-side state this reference does not keep per item
    if kind == "compaction":
        return decode_compaction(_string(item, "encrypted_content", where), where)
    raise invalid_value(f"{where}.type", f"{echo(kind)!r} is not a supported input item type.")


def _string(item: Item, key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        raise missing(f"{where}.{key}")
    if not isinstance(value, str):
        raise invalid_type(f"{where}.{key}", "a string", value)
    return value


def _message(item: Item, where: str) -> Item:
    role = item.get("role")
    if role is None:
        raise missing(f"{where}.role")
    if role not in ROLES:
        raise invalid_value(f"{where}.role", f"{echo(role)!r} is not one of {', '.join(ROLES)}.")
    content = item.get("content")
    if isinstance(content, str):
        parts = [_text("output_text" if role == "assistant" else "input_text", content)]
    elif isinstance(content, list):
        parts = [_part(p, f"{where}.content[{j}]", _PARTS[role]) for j, p in enumerate(content)]
    elif content is None:
        raise missing(f"{where}.content")
    else:
        raise invalid_type(f"{where}.content", "a string or an array of content parts", content)
    return {"type": "message", "role": role, "content": parts}


def _part(part: Any, where: str, allowed: tuple[str, ...]) -> Item:
    if not isinstance(part, dict):
        raise invalid_type(where, "an object", part)
    kind = part.get("type")
    if kind is None:
        raise missing(f"{where}.type")
    if kind not in allowed:
        raise invalid_value(f"{where}.type", f"{echo(kind)!r} is not one of {', '.join(allowed)}.")
    if kind in ("input_text", "output_text"):
        return _text(kind, _string(part, "text", where))
    if kind == "refusal":
        return {"type": "refusal", "refusal": _string(part, "refusal", where)}
    if kind == "input_image":
        if not isinstance(part.get("image_url"), str) and not isinstance(part.get("file_id"), str):
            raise missing(f"{where}.image_url")
        detail = part.get("detail")
        if detail is not None and detail not in ("low", "high", "auto"):
            raise invalid_value(f"{where}.detail", "expected low, high or auto.")
    return dict(part)


def decode_compaction(content: str, where: str) -> list[Item]:
    """The items a compaction item of this server stands for."""
    try:
        if not content.startswith(COMPACTION_PREFIX):
            raise ValueError("foreign compaction")
        raw = base64.urlsafe_b64decode(content[len(COMPACTION_PREFIX) :].encode("ascii"))
        items = json.loads(raw.decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad_request(
            f"Invalid '{where}.encrypted_content': not a compaction produced by this server.",
            param=f"{where}.encrypted_content",
            code="invalid_encrypted_content",
        ) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("Invalid compaction content.", code="invalid_encrypted_content")
    return items


def encode_compaction(items: list[Item]) -> str:
    """An opaque, round-trippable token for compacted items (encoded, not encrypted)."""
    raw = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return COMPACTION_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def _tools(body: params.Body) -> tuple[Item, ...]:
    tools: list[Item] = []
    names: set[str] = set()
    for i, tool in enumerate(params.array(body, "tools") or []):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise invalid_type(where, "an object", tool)
        if tool.get("type") != "function":
            raise invalid_value(
                f"{where}.type",
                f"{echo(tool.get('type'))!r} is not supported; "
                "this server offers function tools only.",
            )
        name = _string(tool, "name", where)
        if not _NAME.fullmatch(name):
            raise invalid_value(f"{where}.name", "must match ^[a-zA-Z0-9_-]{1,64}$.")
        if name in names:
            raise invalid_value(f"{where}.name", f"duplicate function name {name!r}.")
        names.add(name)
        parameters = params.obj(tool, "parameters", param=f"{where}.parameters")
        description = params.string(tool, "description", param=f"{where}.description")
        strict = tool.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise invalid_type(f"{where}.strict", "a boolean", strict)
        tools.append(
            {
                "type": "function",
                "name": name,
                "description": description,
                "parameters": parameters,
                "strict": strict,
            }
        )
    return tuple(tools)


def _tool_choice(choice: Any, tools: tuple[Item, ...]) -> Any:
    names = {t["name"] for t in tools}
    if choice is None:
        return "auto"
    if isinstance(choice, str):
        if choice not in TOOL_CHOICES:
            raise invalid_value("tool_choice", f"expected one of {', '.join(TOOL_CHOICES)}.")
        if choice == "required" and not tools:
            raise invalid_value("tool_choice", "'required' needs at least one tool.")
        return choice
    if not isinstance(choice, dict):
        raise invalid_type("tool_choice", "a string or an object", choice)
    if choice.get("type") == "function":
        if choice.get("name") not in names:
            raise invalid_value(
                "tool_choice",
                f"no function named {echo(choice.get('name'))!r} is declared in 'tools'.",
            )
        return {"type": "function", "name": choice["name"]}
    if choice.get("type") == "allowed_tools":
        allowed = choice.get("tools")
        if not isinstance(allowed, list) or not allowed:
            raise invalid_value("tool_choice.tools", "must be a non-empty array.")
        for t in allowed:
            if not isinstance(t, dict) or t.get("name") not in names:
                raise invalid_value(
                    "tool_choice.tools", "every allowed tool must be a declared function."
                )
        mode = choice.get("mode", "auto")
        if mode not in TOOL_CHOICES:
            raise invalid_value("tool_choice.mode", f"expected one of {', '.join(TOOL_CHOICES)}.")
        return {
            "type": "allowed_tools",
            "mode": mode,
            "tools": [{"type": "function", "name": t["name"]} for t in allowed],
        }
    raise invalid_value("tool_choice.type", "expected function or allowed_tools.")


def _echo(body: params.Body) -> dict[str, Any]:
    metadata = params.obj(body, "metadata") or {}
    if len(metadata) > 16 or not all(
        isinstance(v, str) and len(v) <= 512 and len(k) <= 64 for k, v in metadata.items()
    ):
        raise invalid_value("metadata", "at most 16 string pairs (keys ≤ 64, values ≤ 512).")
    truncation = body.get("truncation")
    if truncation is not None and truncation not in ("auto", "disabled"):
        raise invalid_value("truncation", "expected auto or disabled.")
    text = params.obj(body, "text") or {}
    fmt = text.get("format") or {"type": "text"}
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise invalid_value(
            "text.format", "expected a format of type text, json_object or json_schema."
        )
    parallel = params.boolean(body, "parallel_tool_calls")
    values = {
        "temperature": params.number(body, "temperature", low=0, high=2),
        "top_p": params.number(body, "top_p", low=0, high=1),
        "presence_penalty": params.number(body, "presence_penalty", low=-2, high=2),
        "frequency_penalty": params.number(body, "frequency_penalty", low=-2, high=2),
        "top_logprobs": params.integer(body, "top_logprobs", low=0, high=20),
    }
    defaults = {
        "temperature": 1.0,
        "top_p": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "top_logprobs": 0,
    }
    params.obj(body, "reasoning")
    params.array(body, "include")
    return {
        **{k: defaults[k] if v is None else v for k, v in values.items()},
        "parallel_tool_calls": True if parallel is None else parallel,
        "truncation": truncation or "disabled",
        "metadata": metadata,
        "text": {"format": fmt},
        "max_tool_calls": params.integer(body, "max_tool_calls", low=1),
        "service_tier": params.string(body, "service_tier") or "default",
        "safety_identifier": params.string(body, "safety_identifier"),
        "prompt_cache_key": params.string(body, "prompt_cache_key"),
    }
