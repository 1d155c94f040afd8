"""Helpers for the SDK-profile tests."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.engine.plan import ALL_CAPABILITIES
from llmconform.engine.sdk_cases import load_sdk
from llmconform.model import RunReport

from support import run_against

PROFILE = "sdk-compatibility"
OPENAI_CHAT = {
    "sdk.openai.chat.create",
    "sdk.openai.chat.stream",
    "sdk.openai.chat.stream_helper",
    "sdk.openai.tools.round_trip",
    "sdk.openai.tools.stream_helper",
    "sdk.openai.chat.parse",
}
OPENAI_OTHER = {"sdk.openai.embeddings.float", "sdk.openai.embeddings.default", "sdk.openai.models"}
RESPONSES = {"sdk.openai.responses.create", "sdk.openai.responses.stream"}
ANTHROPIC = {"sdk.anthropic.create", "sdk.anthropic.stream", "sdk.anthropic.tools"}
ALL_SDK_CASES = OPENAI_CHAT | OPENAI_OTHER | RESPONSES | ANTHROPIC

needs_sdks = pytest.mark.skipif(
    load_sdk("openai") is None or load_sdk("anthropic") is None,
    reason="the openai and anthropic SDKs are not both installed",
)


def run_sdk_profile(app: Any, apis: frozenset[str] | None = None, **options: Any) -> RunReport:
    """Run only the SDK cases (the profile is claimed, so only its cases run) against `app`."""
    return run_against(
        app,
        include_sdk=True,
        profiles=(PROFILE,),
        capabilities=frozenset(ALL_CAPABILITIES),
        apis=apis or frozenset({"openai", "responses", "anthropic"}),
        **options,
    )
