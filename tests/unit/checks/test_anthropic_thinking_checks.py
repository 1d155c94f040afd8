"""Extended-thinking checks (ANT-THINK-001..003) on hand-made Anthropic exchanges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request

CASE = Case("t", "t", "anthropic-messages", (), ())
ON = {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048}
THOUGHT = {"type": "thinking", "thinking": "17 has no divisor.", "signature": "c2ln"}
TEXT = {"type": "text", "text": "Yes."}


def body(*content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": list(content),
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }


def capture(request: dict[str, Any], raw: str, sse: bool = False) -> Capture:
    return Capture(
        request=Request("POST", "/messages", json={**request, "stream": sse}, stream=sse),
        status=200,
        headers=(("content-type", "text/event-stream" if sse else "application/json"),),
        chunks=(BodyChunk(0, raw.encode()),),
        t_sent_ns=0,
    )


def streamed(signature: bool) -> str:
    """A stream of one thinking block (signed by a signature_delta or not) and a text block."""
    start = {**body(), "stop_reason": None}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": start},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "17 has no divisor."},
        },
    ]
    if signature:
        events.append(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "c2ln"},
            }
        )
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Y"}},
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def run(name: str, cap: Capture) -> list[str]:
    ctx = CheckContext(CASE, (Exchange(0, cap),), {})
    return [i.requirement for i in CHECKS[name].fn(ctx)]


def test_a_signed_thinking_block_passes_and_an_unsigned_one_fails() -> None:
    assert run("ant.thinking_signed", capture(ON, json.dumps(body(THOUGHT, TEXT)))) == []
    unsigned = {k: v for k, v in THOUGHT.items() if k != "signature"}
    assert run("ant.thinking_signed", capture(ON, json.dumps(body(unsigned, TEXT)))) == [
        "ANT-THINK-001"
    ]


def test_a_stream_signs_its_thinking_block_with_a_signature_delta() -> None:
    assert run("ant.thinking_signed", capture(ON, streamed(True), sse=True)) == []
    assert run("ant.thinking_signed", capture(ON, streamed(False), sse=True)) == ["ANT-THINK-001"]


def test_thinking_on_needs_a_thinking_block_first() -> None:
    assert run("ant.thinking_present", capture(ON, json.dumps(body(THOUGHT, TEXT)))) == []
    redacted = {"type": "redacted_thinking", "data": "x"}
    assert run("ant.thinking_present", capture(ON, json.dumps(body(redacted, TEXT)))) == []
    assert run("ant.thinking_present", capture(ON, json.dumps(body(TEXT)))) == ["ANT-THINK-002"]
    late = json.dumps(body(TEXT, THOUGHT))
    assert run("ant.thinking_present", capture(ON, late)) == ["ANT-THINK-002"]


def test_thinking_present_does_not_judge_a_request_without_thinking() -> None:
    with pytest.raises(Unverifiable):
        run("ant.thinking_present", capture({}, json.dumps(body(TEXT))))


def test_no_thinking_block_unless_asked() -> None:
    assert run("ant.no_unasked_thinking", capture({}, json.dumps(body(TEXT)))) == []
    off = {"thinking": {"type": "disabled"}}
    assert run("ant.no_unasked_thinking", capture(off, json.dumps(body(TEXT)))) == []
    assert run("ant.no_unasked_thinking", capture({}, json.dumps(body(THOUGHT, TEXT)))) == [
        "ANT-THINK-003"
    ]
