"""What a Responses request produces (pure): output items, the response object, stream events.

The reply is decided from the context (previous response + new input) alone:
- a function call when tools are forced (tool_choice "required", a named function, or
  allowed_tools in mode "required"), or when tool_choice is "auto" and the last item is a
  user message (the conversation is waiting for the model to act); the call goes to the
  first allowed tool, with arguments built from its parameters schema, cut mid-JSON at
  max_output_tokens like text (the name costs one token; the call and the response are then
  incomplete);
- otherwise text: the echo of the last user message, or of the last function output when the
  conversation ends with one, cut at max_output_tokens (then the response is incomplete).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmconform.reference.generation import generate, generate_calls, reply_source
from llmconform.reference.responses_request import Item, ResponsesRequest
from llmconform.reference.tokenizer import count_tokens

PER_ITEM_TOKENS = 3
PRIMING_TOKENS = 3
_MAX_DEPTH = 8
ARGUMENT_PIECE = 8  # characters per function_call_arguments.delta


def new_id(prefix: str) -> str:
    """A fresh opaque id such as `resp_…`, `msg_…`, `fc_…`."""
    return f"{prefix}_{uuid.uuid4().hex}"


def item_text(item: Item) -> str:
    """The text an item contributes to the context (for echoing and token counts)."""
    kind = item.get("type")
    if kind == "function_call":
        return f"{item.get('name', '')}({item.get('arguments', '')})"
    if kind == "function_call_output":
        output = item.get("output")
        if isinstance(output, str):
            return output
        return "".join(p.get("text", "") for p in output or [] if isinstance(p, dict))
    content = item.get("content")
    parts = content if isinstance(content, list) else []
    return "".join(
        str(p.get("text") or p.get("refusal") or "") for p in parts if isinstance(p, dict)
    )


@dataclass(frozen=True)
class Planned:
    """One output item as it ends up, and the pieces a stream delivers it in."""

    item: Item
    pieces: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """The output of one request: items, status, and token counts."""

    items: tuple[Planned, ...]
    status: str  # "completed" or "incomplete"
    input_tokens: int
    output_tokens: int


def plan(req: ResponsesRequest, context: tuple[Item, ...]) -> Outcome:
    """Decide the output for a request over its full context."""
    prompt = sum(count_tokens(item_text(i)) + PER_ITEM_TOKENS for i in context) + PRIMING_TOKENS
    if req.instructions:
        prompt += count_tokens(req.instructions) + PER_ITEM_TOKENS
    tool = _tool_to_call(req, context)
    if tool is not None:
        whole = json.dumps(example_value(tool.get("parameters") or {}), ensure_ascii=False)
        # The same budget as text: a call that does not fit is cut mid-JSON, so a client (and
        # the suite) can see a truncated call for what it is instead of an over-long answer.
        calls = generate_calls([(tool["name"], whole)], max_tokens=req.max_output_tokens)
        status = "incomplete" if calls.finish_reason == "length" else "completed"
        planned: tuple[Planned, ...] = ()
        for gen_call in calls.calls:
            args = gen_call.arguments
            call: Item = {
                "type": "function_call",
                "id": new_id("fc"),
                "call_id": new_id("call"),
                "name": gen_call.name,
                "arguments": args,
                "status": status,
            }
            pieces = tuple(
                args[i : i + ARGUMENT_PIECE] for i in range(0, len(args), ARGUMENT_PIECE)
            )
            planned += (Planned(call, pieces),)
        return Outcome(planned, status, prompt, calls.token_count)
    gen = generate(reply_source(_source_text(context)), max_tokens=req.max_output_tokens)
    status = "incomplete" if gen.finish_reason == "length" else "completed"
    message: Item = {
        "type": "message",
        "id": new_id("msg"),
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": gen.text, "annotations": [], "logprobs": []}],
    }
    return Outcome((Planned(message, gen.tokens),), status, prompt, len(gen.tokens))


def _source_text(context: tuple[Item, ...]) -> str:
    if context and context[-1].get("type") == "function_call_output":
        return item_text(context[-1])
    for item in reversed(context):
        if item.get("type") == "message" and item.get("role") == "user":
            return item_text(item)
    return ""


def _tool_to_call(req: ResponsesRequest, context: tuple[Item, ...]) -> Item | None:
    choice = req.tool_choice
    allowed = {t["name"] for t in req.tools}
    mode = choice if isinstance(choice, str) else "required"
    if isinstance(choice, dict) and choice.get("type") == "function":
        allowed = {choice["name"]}
    elif isinstance(choice, dict):  # allowed_tools
        allowed = {t["name"] for t in choice["tools"]}
        mode = choice["mode"]
    if not req.tools or mode == "none":
        return None
    waiting = (
        bool(context)
        and context[-1].get("type") == "message"
        and (context[-1].get("role") == "user")
    )
    if mode == "auto" and not waiting:
        return None
    return next(t for t in req.tools if t["name"] in allowed)


def example_value(schema: Any, depth: int = 0) -> Any:
    """A deterministic value valid against common JSON Schemas (required members filled in)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return example_value(options[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        required = schema.get("required")
        names = [k for k in required if isinstance(k, str)] if isinstance(required, list) else []
        return {k: example_value(props.get(k, {}), depth + 1) for k in names}
    if kind == "array":
        count = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        return [example_value(schema.get("items", {}), depth + 1) for _ in range(min(count, 8))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        low = low if isinstance(low, int | float) and not isinstance(low, bool) else 0
        value = low + 1 if "exclusiveMinimum" in schema else low
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    size = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
    return "example".ljust(min(size, 256), "x")


def response_object(
    req: ResponsesRequest,
    *,
    response_id: str,
    created_at: int,
    status: str,
    output: list[Item],
    usage: dict[str, Any] | None,
    completed_at: int | None = None,
) -> dict[str, Any]:
    """The response object with every member the spec requires."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "completed_at": completed_at,
        "status": status,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "model": req.model,
        "previous_response_id": req.previous_response_id,
        "instructions": req.instructions,
        "output": output,
        "error": None,
        "tools": list(req.tools),
        "tool_choice": req.tool_choice,
        "max_output_tokens": req.max_output_tokens,
        "usage": usage,
        "reasoning": None,
        "store": req.store,
        "background": False,
        **req.echo,
    }


def usage_object(outcome: Outcome) -> dict[str, Any]:
    """Usage with the detail breakdowns the spec requires."""
    return {
        "input_tokens": outcome.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": outcome.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": outcome.input_tokens + outcome.output_tokens,
    }


def stream_events(
    outcome: Outcome, created: dict[str, Any], final: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Every event of a streamed response, without sequence numbers (the sender adds them)."""
    yield {"type": "response.created", "response": created}
    yield {"type": "response.in_progress", "response": created}
    for index, planned in enumerate(outcome.items):
        yield from _item_events(index, planned)
    kind = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    yield {"type": kind, "response": final}


def _item_events(index: int, planned: Planned) -> Iterator[dict[str, Any]]:
    item = planned.item
    loc = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        yield {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "arguments": "", "status": "in_progress"},
        }
        for piece in planned.pieces:
            yield {"type": "response.function_call_arguments.delta", **loc, "delta": piece}
        yield {
            "type": "response.function_call_arguments.done",
            **loc,
            "name": item["name"],
            "arguments": item["arguments"],
        }
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
        return
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": {**item, "status": "in_progress", "content": []},
    }
    for content_index, part in enumerate(item["content"]):
        at = {**loc, "content_index": content_index}
        yield {"type": "response.content_part.added", **at, "part": {**part, "text": ""}}
        for piece in planned.pieces:
            yield {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []}
        yield {"type": "response.content_part.done", **at, "part": part}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
