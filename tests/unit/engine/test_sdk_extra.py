"""Skipped SDK cases say how to add the SDKs: the `sdk` install extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

from llmconform.engine.sdk_cases import absent_reason

ROOT = Path(__file__).resolve().parents[3]


def test_the_reason_says_the_sdk_is_missing_and_names_the_extra() -> None:
    reason = absent_reason("openai")
    assert "openai Python SDK is not installed" in reason
    assert 'pip install "llmconform[sdk]"' in reason


def test_the_sdk_extra_exists_and_the_test_extra_keeps_its_pins() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    sdk = set(extras["sdk"])
    assert {pin.split(">=")[0] for pin in sdk} == {"openai", "anthropic"}
    assert sdk <= set(extras["test"])
