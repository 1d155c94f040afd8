"""A YAML bomb in llmconform.yaml (or a baseline) is refused at once, and messages quoting
a setting's value stay short however long the value."""

from __future__ import annotations

import time

import pytest

from llmconform.engine.waivers import load_baseline
from llmconform.errors import ConfigError
from llmconform.settings.config_file import parse_config

# Anchors inside a real setting's value: its type check fails and the message quoted it.
LAUGHS = (
    "apis: [&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], "
    + ", ".join(f"&{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8))
    + "]"
)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match="aliases"):
        parse_config(LAUGHS, "llmconform.yaml")
    assert time.monotonic() - started < 1.0


def test_billion_laughs_baseline_is_refused() -> None:
    with pytest.raises(ValueError, match="aliases"):
        load_baseline("known_failures: &x [a]\nmore: *x\n")


def test_a_huge_value_is_clipped_in_the_message() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config("concurrency: " + "x" * 3_000_000)
    assert len(str(raised.value)) < 400
    with pytest.raises(ConfigError) as raised:
        parse_config("k" * 100_000 + ": 1")
    assert len(str(raised.value)) < 1000


def test_plain_settings_still_parse() -> None:
    assert parse_config("concurrency: 4\ntimeout: 30\n") == {"concurrency": 4, "timeout": 30}
