"""OpenAI Chat Completions: fold a stream of `chat.completion.chunk` objects into a completion.

The reducer is lenient on purpose: it builds the best completion it can from whatever arrived,
so the same pure checks judge streamed and non-streamed answers. The stream-specific checks
report what was malformed on the way.
"""

from __future__ import annotations

from typing import Any


def _choice_state() -> dict[str, Any]:
    return {
        "role": None,
        "content": [],
        "finish_reason": None,
        "tool_calls": {},
        "refusal": [],
        "audio": None,
        "function_call": None,  # the deprecated single call, folded like a tool call
    }


def fold_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold chunks into a `chat.completion`-shaped dict (first id/created/model, last usage)."""
    first = chunks[0]
    states: dict[int, dict[str, Any]] = {}
    usage: Any = None
    for chunk in chunks:
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            continue
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            index = index if isinstance(index, int) else 0
            state = states.setdefault(index, _choice_state())
            delta = choice.get("delta")
            if isinstance(delta, dict):
                _apply_delta(state, delta)
            if choice.get("finish_reason") is not None:
                state["finish_reason"] = choice["finish_reason"]
    return {
        "id": first.get("id"),
        "object": "chat.completion",
        "created": first.get("created"),
        "model": first.get("model"),
        "choices": [_finish(i, states[i]) for i in sorted(states)],
        "usage": usage,
    }


def _apply_delta(state: dict[str, Any], delta: dict[str, Any]) -> None:
    if isinstance(delta.get("role"), str) and state["role"] is None:
        state["role"] = delta["role"]
    if isinstance(delta.get("content"), str):
        state["content"].append(delta["content"])
    if isinstance(delta.get("refusal"), str):
        state["refusal"].append(delta["refusal"])
    audio = delta.get("audio")
    if isinstance(audio, dict):  # audio output: the text comes as audio.transcript pieces
        state["audio"] = state["audio"] or {"transcript": ""}
        if isinstance(audio.get("transcript"), str):
            state["audio"]["transcript"] += audio["transcript"]
        if isinstance(audio.get("id"), str):
            state["audio"].setdefault("id", audio["id"])
    legacy = delta.get("function_call")
    if isinstance(legacy, dict):
        folded: dict[str, str] = state["function_call"] or {"name": "", "arguments": ""}
        for part in ("name", "arguments"):
            if isinstance(legacy.get(part), str):
                folded[part] += legacy[part]
        state["function_call"] = folded
    for pos, call in enumerate(delta.get("tool_calls") or []):
        if not isinstance(call, dict):
            continue
        # A missing index is a protocol violation reported elsewhere; fall back to position.
        key = call["index"] if isinstance(call.get("index"), int) else pos
        slot = state["tool_calls"].setdefault(
            key, {"id": None, "type": None, "function": {"name": "", "arguments": ""}}
        )
        slot["id"] = slot["id"] or call.get("id")
        slot["type"] = slot["type"] or call.get("type")
        fn = call.get("function")
        if isinstance(fn, dict):
            if isinstance(fn.get("name"), str):
                slot["function"]["name"] += fn["name"]
            if isinstance(fn.get("arguments"), str):
                slot["function"]["arguments"] += fn["arguments"]


def _finish(index: int, state: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": state["role"],
        "content": "".join(state["content"]) if state["content"] else None,
    }
    if state["refusal"]:
        message["refusal"] = "".join(state["refusal"])
    if state["audio"] is not None:
        message["audio"] = state["audio"]
    if state["function_call"] is not None:
        message["function_call"] = state["function_call"]
    if state["tool_calls"]:
        message["tool_calls"] = [state["tool_calls"][k] for k in sorted(state["tool_calls"])]
    return {"index": index, "message": message, "finish_reason": state["finish_reason"]}
