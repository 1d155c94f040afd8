"""RESP-STREAM-011: a streamed text part is closed only after its output_text.done."""

from __future__ import annotations

import json
from typing import Any

from llmconform.checks import CHECKS, CheckContext, Exchange
from llmconform.model import BodyChunk, Capture, Case, Request

MSG = {
    "type": "message",
    "id": "msg_1",
    "status": "in_progress",
    "role": "assistant",
    "content": [],
}
PART = {"type": "output_text", "text": "", "annotations": []}
DONE_PART = {"type": "output_text", "text": "Hi", "annotations": []}
DONE_MSG = {**MSG, "status": "completed", "content": [DONE_PART]}
RESPONSE = {"id": "resp_1", "object": "response", "status": "completed", "output": [DONE_MSG]}
AT = {"item_id": "msg_1", "output_index": 0, "content_index": 0}


def events(text_done: bool) -> list[dict[str, Any]]:
    evs: list[dict[str, Any]] = [
        {
            "type": "response.created",
            "response": {**RESPONSE, "status": "in_progress", "output": []},
        },
        {
            "type": "response.in_progress",
            "response": {**RESPONSE, "status": "in_progress", "output": []},
        },
        {"type": "response.output_item.added", "output_index": 0, "item": MSG},
        {"type": "response.content_part.added", **AT, "part": PART},
        {"type": "response.output_text.delta", **AT, "delta": "Hi", "logprobs": []},
    ]
    if text_done:
        evs.append({"type": "response.output_text.done", **AT, "text": "Hi", "logprobs": []})
    evs += [
        {"type": "response.content_part.done", **AT, "part": DONE_PART},
        {"type": "response.output_item.done", "output_index": 0, "item": DONE_MSG},
        {"type": "response.completed", "response": RESPONSE},
    ]
    return [{**e, "sequence_number": i} for i, e in enumerate(evs)]


def run(text_done: bool) -> list[str]:
    raw = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events(text_done))
    raw += "data: [DONE]\n\n"
    req = Request("POST", "/responses", json={"stream": True}, stream=True)
    cap = Capture(
        req, 200, (("content-type", "text/event-stream"),), (BodyChunk(0, raw.encode()),), 0
    )
    ctx = CheckContext(Case("t", "t", "open-responses", (), ()), (Exchange(0, cap),), {})
    return [i.requirement for i in CHECKS["responses.stream_items"].fn(ctx)]


def test_a_part_closed_after_its_text_done_passes() -> None:
    assert run(text_done=True) == []


def test_a_part_closed_without_output_text_done_fails() -> None:
    assert run(text_done=False) == ["RESP-STREAM-011"]
