"""Calibration on recorded provider traffic: OpenAI's own streamed tool calls pass the
fragment checks, and the known offenders in the corpus are caught for the reason claimed."""

from __future__ import annotations

import pytest

from llmconform.model import BodyChunk, Capture, Request

from capture_kit import reqs, run
from support import CORPUS

STREAMS = CORPUS / "chat-stream"


def _stream(name: str) -> Capture:
    raw = (STREAMS / name).read_bytes()
    request = Request("POST", "/chat/completions", json={"stream": True}, stream=True)
    return Capture(request, 200, (("content-type", "text/event-stream"),), (BodyChunk(0, raw),), 0)


def _openai_tool_streams() -> list[str]:
    return sorted(
        p.name
        for p in STREAMS.glob("openai__*.sse")
        if '"tool_calls"' in p.read_text(encoding="utf-8", errors="replace")
    )


@pytest.mark.parametrize("name", _openai_tool_streams())
def test_openai_streamed_tool_calls_pass(name: str) -> None:
    assert run("tools.stream_fragments", _stream(name)) == []


@pytest.mark.parametrize(
    ("name", "requirement"),
    [
        # Gemini's OpenAI layer sends tool-call fragments without index (and without id).
        (
            "gemini-openai__test-openai-chat-model-gemini-acomplete-return-true-output-types1-bool.sse",
            "TOOLS-STREAM-001",
        ),
        # vLLM-based hosts repeat the call id on later fragments.
        (
            "baseten__openai-gpt-oss-120b-thinking-genstream-tools-squareroot-1.sse",
            "TOOLS-STREAM-002",
        ),
    ],
)
def test_known_offenders_are_flagged(name: str, requirement: str) -> None:
    if not (STREAMS / name).is_file():
        pytest.skip(f"{name} is not in this corpus")
    assert requirement in reqs(run("tools.stream_fragments", _stream(name)))
