"""The Anthropic schemas and stream reducer against real recorded Anthropic responses.

What Anthropic's own API sent (shared/corpus/anthropic*, errors/anthropic__*) must validate
with zero errors and fold with zero order violations; otherwise the suite would fail
Anthropic itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmconform.model import BodyChunk
from llmconform.protocol.anthropic_messages import fold_stream
from llmconform.protocol.sse import decode_sse
from llmconform.schema.validation import validate

from support import CORPUS

SCHEMA = "urn:llmconform:schema:anthropic/"


def files(folder: str, pattern: str) -> list[Path]:
    return sorted((CORPUS / folder).glob(pattern))


def test_the_corpus_has_anthropic_samples() -> None:
    assert len(files("anthropic", "*.json")) >= 10
    assert len(files("anthropic-stream", "*.sse")) >= 10
    assert len(files("errors", "anthropic__*.json")) >= 5


@pytest.mark.parametrize("path", files("anthropic", "*.json"), ids=lambda p: p.stem)
def test_recorded_messages_validate(path: Path) -> None:
    assert validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA + "message") == []


@pytest.mark.parametrize("path", files("anthropic-stream", "*.sse"), ids=lambda p: p.stem)
def test_recorded_streams_validate_and_fold_cleanly(path: Path) -> None:
    events, _ = decode_sse([BodyChunk(0, path.read_bytes())])
    assert events
    for event in events:
        assert validate(json.loads(event.data), SCHEMA + "stream.event") == [], event.data[:200]
    folded = fold_stream((e.event, e.data) for e in events)
    assert folded.violations == ()
    assert folded.message is not None
    assert validate(folded.message, SCHEMA + "message") == []
    assert folded.message["stop_reason"] in {"end_turn", "tool_use"}


@pytest.mark.parametrize("path", files("errors", "anthropic__*.json"), ids=lambda p: p.stem)
def test_recorded_errors_validate(path: Path) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert validate(body, SCHEMA + "error") == []


def test_an_openai_error_envelope_is_not_the_anthropic_shape() -> None:
    body = {"error": {"message": "x", "type": "invalid_request_error", "param": None, "code": None}}
    assert [e.path for e in validate(body, SCHEMA + "error")] == ["$.type"]


def test_a_text_delta_without_text_is_rejected() -> None:
    event = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}
    assert [e.path for e in validate(event, SCHEMA + "stream.event")] == ["$.delta.text"]
