"""STREAM-USAGE-003: no usage-only chunk unless the request set include_usage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request

BASE = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
CHOICE = {"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
USAGE = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}


def run(request: dict[str, Any], *chunks: dict[str, Any]) -> list[str]:
    raw = "".join(f"data: {json.dumps({**BASE, **c})}\n\n" for c in chunks) + "data: [DONE]\n\n"
    req = Request("POST", "/chat/completions", json={"stream": True, **request}, stream=True)
    cap = Capture(
        req, 200, (("content-type", "text/event-stream"),), (BodyChunk(0, raw.encode()),), 0
    )
    ctx = CheckContext(Case("t", "t", "openai-chat", (), ()), (Exchange(0, cap),), {})
    return [i.requirement for i in CHECKS["stream.no_unrequested_usage"].fn(ctx)]


def test_a_stream_without_a_usage_chunk_passes() -> None:
    assert run({}, {"choices": [CHOICE]}) == []


def test_an_azure_style_empty_first_chunk_without_usage_passes() -> None:
    assert run({}, {"choices": [], "prompt_filter_results": []}, {"choices": [CHOICE]}) == []


@pytest.mark.parametrize(
    "options", [{}, {"stream_options": {}}, {"stream_options": {"include_usage": False}}]
)
def test_an_unrequested_usage_chunk_fails(options: dict[str, Any]) -> None:
    assert run(options, {"choices": [CHOICE]}, {"choices": [], "usage": USAGE}) == [
        "STREAM-USAGE-003"
    ]


def test_a_requested_usage_chunk_is_judged_elsewhere() -> None:
    with pytest.raises(Unverifiable):
        run({"stream_options": {"include_usage": True}}, {"choices": [], "usage": USAGE})
