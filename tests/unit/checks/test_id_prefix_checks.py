"""Id prefixes: a MAY per API, reported and never failed (clients treat ids as opaque)."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.model import Level

from capture_kit import capture, run


@pytest.mark.parametrize(
    ("name", "requirement", "good", "other"),
    [
        ("id.chat_prefix", "CHAT-ID-001", "chatcmpl-1", "chatcmpl_1"),  # mock-ai-api
        ("id.completion_prefix", "CMPL-ID-001", "cmpl-1", "chatcmpl-1"),  # LiteLLM, llama-server
        ("id.message_prefix", "ANT-ID-001", "msg_1", "chatcmpl-1"),  # a bridged message
        ("id.response_prefix", "RESP-ID-001", "resp_1", "mock-1"),
    ],
)
def test_an_unfamiliar_id_prefix_is_only_reported(
    name: str, requirement: str, good: str, other: str
) -> None:
    def body(value: Any) -> dict[str, Any]:
        return {"id": value, "object": "x"}

    assert run(name, capture({"model": "m"}, body(good))) == []
    [issue] = run(name, capture({"model": "m"}, body(other)))
    assert issue.requirement == requirement and issue.path == "$.id"
    assert load_catalog().requirements[requirement].level is Level.MAY
