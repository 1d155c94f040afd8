"""ant.stream_input_usage (ANT-STREAM-012): message_start reports the prompt's input tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request

CASE = Case("t", "t", "anthropic-messages", (), ())


def stream(usage: dict[str, Any] | None) -> Capture:
    message: dict[str, Any] = {"id": "msg_1", "type": "message", "role": "assistant"}
    if usage is not None:
        message["usage"] = usage
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 1},
        },
        {"type": "message_stop"},
    ]
    raw = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return Capture(
        request=Request("POST", "/messages", json={"stream": True}, stream=True),
        status=200,
        headers=(("content-type", "text/event-stream"),),
        chunks=(BodyChunk(0, raw.encode()),),
        t_sent_ns=0,
    )


def run(capture: Capture) -> list[str]:
    ctx = CheckContext(CASE, (Exchange(0, capture),), {})
    return [i.requirement for i in CHECKS["ant.stream_input_usage"].fn(ctx)]


def test_a_prompt_counted_in_message_start_passes() -> None:
    assert run(stream({"input_tokens": 12, "output_tokens": 1})) == []


def test_a_prompt_served_from_the_cache_passes() -> None:
    usage = {"input_tokens": 0, "cache_read_input_tokens": 900, "output_tokens": 1}
    assert run(stream(usage)) == []


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": 0, "output_tokens": 1},  # zeroed (mlx-node)
        {"input_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
    ],
)
def test_zero_input_tokens_in_message_start_fails(usage: dict[str, Any]) -> None:
    assert run(stream(usage)) == ["ANT-STREAM-012"]


def test_no_usage_at_all_is_unverifiable_not_a_pass() -> None:
    with pytest.raises(Unverifiable):
        run(stream(None))
