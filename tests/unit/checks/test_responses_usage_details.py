"""RESP-USAGE-003: usage carries both token-details objects with integer counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange
from llmconform.model import BodyChunk, Capture, Case, Request

USAGE = {
    "input_tokens": 5,
    "output_tokens": 3,
    "total_tokens": 8,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens_details": {"reasoning_tokens": 0},
}


def capture(usage: dict[str, Any], stream: bool = False) -> Capture:
    response = {"id": "resp_1", "object": "response", "status": "completed", "usage": usage}
    if stream:
        event = {"type": "response.completed", "sequence_number": 0, "response": response}
        raw = f"event: response.completed\ndata: {json.dumps(event)}\n\n".encode()
    else:
        raw = json.dumps(response).encode()
    ctype = "text/event-stream" if stream else "application/json"
    req = Request("POST", "/responses", json={"stream": stream}, stream=stream)
    return Capture(req, 200, (("content-type", ctype),), (BodyChunk(0, raw),), 0, sent_at=1e9)


def run(cap: Capture) -> list[str]:
    case = Case("t", "t", "open-responses", (), ())
    return [
        i.requirement
        for i in CHECKS["responses.usage"].fn(CheckContext(case, (Exchange(0, cap),), {}))
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_usage_with_both_details_passes(stream: bool) -> None:
    assert run(capture(USAGE, stream)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"output_tokens_details": None},  # CLIProxyAPI
        {"input_tokens_details": None},
        {"input_tokens_details": {}},  # the count itself missing
        {"output_tokens_details": {"reasoning_tokens": "0"}},
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_missing_or_null_details_object_fails(change: dict[str, Any], stream: bool) -> None:
    assert run(capture({**USAGE, **change}, stream)) == ["RESP-USAGE-003"]


def test_details_left_out_altogether_fail_once_each() -> None:
    bare = {k: v for k, v in USAGE.items() if not k.endswith("_details")}
    assert run(capture(bare)) == ["RESP-USAGE-003", "RESP-USAGE-003"]
