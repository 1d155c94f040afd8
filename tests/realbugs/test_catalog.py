"""The real-bug catalog stays what it claims: linked public reports, in the spread promised."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

CATALOG = Path(__file__).with_name("catalog.yaml")
KEYS = ("id", "api", "project", "link", "title", "server_did", "breaks", "layer", "mutant", "spec")
APIS = {"chat", "completions", "embeddings", "models", "responses", "anthropic"}
LAYERS = {"request", "response-body", "stream-events", "stream-bytes", "error", "headers"}
LINK = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/(issues|pull|discussions)/\d+(#[\w-]+)?$")


def _entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


ENTRIES = _entries()


def test_the_catalog_has_the_promised_spread() -> None:
    by_api = collections.Counter(e["api"] for e in ENTRIES)
    assert len(ENTRIES) >= 150
    assert by_api["anthropic"] >= 40
    assert by_api["responses"] >= 30


def test_ids_are_unique() -> None:
    ids = collections.Counter(e["id"] for e in ENTRIES)
    assert [i for i, n in ids.items() if n > 1] == []


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_each_entry_is_complete_and_linked(entry: dict[str, Any]) -> None:
    assert tuple(entry) == KEYS
    assert entry["api"] in APIS
    assert entry["layer"] in LAYERS
    assert LINK.match(entry["link"]), entry["link"]
    for key in ("title", "server_did", "breaks", "mutant", "spec"):
        assert isinstance(entry[key], str) and len(entry[key]) >= 10, key
