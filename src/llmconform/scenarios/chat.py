"""Chat Completions scenarios: multi-step cases whose later requests use earlier answers.

`chat_tool_round_trip` is the function-calling loop every agent runs:

1. send the case's first step (tools declared, a call forced or invited);
2. append the assistant message as received (its `tool_calls`) and one `role: "tool"`
   message per call, carrying that call's `tool_call_id` and a small JSON result;
3. send that conversation, with the fields of the case's second step (if any) laid over the
   first step's body (e.g. `tool_choice: none` to ask for the answer in text).

When the first answer calls no tool there is nothing to round-trip: the scenario stops and
the round-trip check reports the case as unverifiable.
"""

from __future__ import annotations

import json
from typing import Any

from llmconform.catalog.steps import build_request
from llmconform.model import Capture, Case
from llmconform.protocol.openai_chat import fold_chunks
from llmconform.protocol.sse import decode_sse
from llmconform.scenarios.registry import ScenarioFlow, scenario

TOOL_RESULT = {"ok": True, "result": "42"}


def completion_of(capture: Capture) -> dict[str, Any] | None:
    """The chat completion a capture carries (a stream is folded), or None."""
    if capture.status != 200:
        return None
    if capture.request.stream:
        chunks = []
        for ev in decode_sse(capture.chunks)[0]:
            try:
                value = json.loads(ev.data)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                chunks.append(value)
        return fold_chunks(chunks) if chunks else None
    try:
        body = json.loads(capture.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def assistant_turn(completion: dict[str, Any]) -> dict[str, Any] | None:
    """The first choice's message as a client would append it, or None without tool calls."""
    choices = completion.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    msg = first.get("message") if isinstance(first, dict) else None
    calls = msg.get("tool_calls") if isinstance(msg, dict) else None
    if not isinstance(msg, dict) or not isinstance(calls, list) or not calls:
        return None
    # Echo only what the request schema allows on an assistant message: a client that
    # forwarded unknown response fields would be testing something else.
    content = msg.get("content")
    return {
        "role": "assistant",
        "content": content if isinstance(content, str) else None,
        "tool_calls": [_call(c) for c in calls if isinstance(c, dict)],
    }


def _call(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("function")
    fn: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "id": call.get("id"),
        "type": call.get("type", "function"),
        "function": {"name": fn.get("name"), "arguments": fn.get("arguments")},
    }


def tool_results(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """One `role: "tool"` message per call of the assistant turn."""
    return [
        {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(TOOL_RESULT)}
        for call in turn["tool_calls"]
    ]


@scenario("chat_tool_round_trip")
def tool_round_trip(case: Case, variables: dict[str, str]) -> ScenarioFlow:
    """Tool call, then the tool result, then (expected) a text answer."""
    if not case.steps:
        raise ValueError(f"{case.id}: chat_tool_round_trip needs at least one step")
    first = build_request(case.steps[0], variables, f"{case.id} step 0", case.api)
    capture = yield first
    completion = completion_of(capture)
    turn = assistant_turn(completion) if completion else None
    if turn is None or not isinstance(first.json, dict):
        return
    overlay: dict[str, Any] = {}
    path = first.path
    if len(case.steps) > 1 and isinstance(case.steps[1], dict):
        second = build_request(case.steps[1], variables, f"{case.id} step 1", case.api)
        overlay = second.json if isinstance(second.json, dict) else {}
        path = second.path
    body = {**first.json, **overlay}
    body["messages"] = [*first.json.get("messages", []), turn, *tool_results(turn)]
    yield build_request({"path": path, "json": body}, variables, f"{case.id} step 1", case.api)
