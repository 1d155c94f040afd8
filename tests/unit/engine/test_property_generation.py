"""The request generators: deterministic per seed, valid examples valid, invalid ones not."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmconform.catalog.loader import load_catalog
from llmconform.catalog.steps import PlanError, Variables
from llmconform.checks import known_checks
from llmconform.checks.properties import EXTENSION, RANGE, STRUCTURAL, VALID, expectation
from llmconform.engine.expand import ExpandOptions, expand, is_expanded, split_sample_id
from llmconform.engine.invalid_requests import EXTENSION as JSON_EXTENSION
from llmconform.engine.invalid_requests import INVALID_KINDS
from llmconform.engine.properties import (
    DEFAULT_EXAMPLES,
    INVALID,
    example_count,
    generate,
    to_request,
)
from llmconform.engine.properties import VALID as VALID_SPACE
from llmconform.engine.valid_requests import Example
from llmconform.model import Request
from llmconform.schema.validation import validate

SCHEMA = "urn:llmconform:schema:openai/chat.request"
TEMPLATE = Request("POST", "/chat/completions")
seeds = st.integers(min_value=0, max_value=2**32)
# Derandomised and without a database: the test suite itself is reproducible.
few = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity are not JSON (RFC 8259)


def wire(example: Example) -> bytes:
    """The bytes a request puts on the wire (httpx's JSON encoding for JSON bodies)."""
    if example.content is not None:
        return example.content
    return json.dumps(example.json, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("space", [VALID_SPACE, INVALID])
def test_the_same_seed_gives_the_same_bytes(space: str) -> None:
    first = [wire(e) for e in generate(space, 7, 30, "m")]
    again = [wire(e) for e in generate(space, 7, 30, "m")]
    assert first == again
    assert len(set(first)) > 20  # and the examples differ from each other


@pytest.mark.parametrize("space", [VALID_SPACE, INVALID])
def test_another_seed_gives_other_requests(space: str) -> None:
    a = [wire(e) for e in generate(space, 1, 25, "m")]
    b = [wire(e) for e in generate(space, 2, 25, "m")]
    assert sum(x != y for x, y in zip(a, b, strict=True)) >= 20


def test_more_examples_only_append() -> None:
    short = generate(INVALID, 3, 10, "m")
    assert [wire(e) for e in short] == [wire(e) for e in generate(INVALID, 3, 40, "m")[:10]]


def test_generation_does_not_depend_on_global_random_state() -> None:
    import random

    random.seed(1)
    a = [wire(e) for e in generate(VALID_SPACE, 0, 10, "m")]
    random.seed(2)
    assert a == [wire(e) for e in generate(VALID_SPACE, 0, 10, "m")]


@few
@given(seed=seeds)
def test_every_valid_example_is_a_valid_cheap_request(seed: int) -> None:
    for ex in generate(VALID_SPACE, seed, 9, "gpt-x"):
        body = ex.json
        assert ex.content is None
        assert validate(body, SCHEMA) == [], body
        assert 1 <= body["max_tokens"] <= 16
        assert body.get("n") in (None, 1)
        assert body["model"] == "gpt-x"
        assert body["messages"][-1]["role"] == "user"
        wire(ex).decode("utf-8")  # encodable: no lone surrogates


@few
@given(seed=seeds)
def test_every_invalid_example_breaks_the_schema_or_is_not_json(seed: int) -> None:
    for ex in generate(INVALID, seed, len(INVALID_KINDS), "gpt-x"):
        if ex.content is None:
            assert validate(ex.json, SCHEMA) != [], ex
            continue
        try:
            value = json.loads(ex.content.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue  # malformed bytes
        assert validate(value, SCHEMA) != [], ex.label


def test_the_checks_classify_every_generated_example_as_the_generator_meant() -> None:
    for seed in range(20):
        for ex in generate(VALID_SPACE, seed, 9, "m"):
            assert expectation(to_request(TEMPLATE, ex))[0] == VALID
        for ex in generate(INVALID, seed, len(INVALID_KINDS), "m"):
            kind, _, detail = ex.label.partition(": ")
            name = detail.split("=", 1)[0] if "=" in detail else ""
            optional = kind == "wrong type" and name not in ("", "model", "messages")
            want = RANGE if kind in ("out of range", "huge number") or optional else STRUCTURAL
            if detail.endswith(JSON_EXTENSION):  # NaN / Infinity: SHOULD, not MUST
                want = EXTENSION
            assert expectation(to_request(TEMPLATE, ex))[0] == want, ex.label


def test_each_invalid_kind_is_sent_in_the_default_count() -> None:
    labels = {e.label.split(":")[0] for e in generate(INVALID, 0, DEFAULT_EXAMPLES, "m")}
    assert labels == set(INVALID_KINDS)


def test_valid_examples_cover_the_unicode_edge_cases() -> None:
    text = "".join(wire(e).decode() for e in generate(VALID_SPACE, 0, DEFAULT_EXAMPLES, "m"))
    for needle in ("\u200d", "\u2028", "\u0301", "שלום", "\U0001d518", "日本語"):
        assert needle in text
    streams = [e.json.get("stream") for e in generate(VALID_SPACE, 0, DEFAULT_EXAMPLES, "m")]
    assert True in streams and False in streams and None in streams
    bodies = [e.json for e in generate(VALID_SPACE, 0, DEFAULT_EXAMPLES, "m")]
    assert any(None in b.values() for b in bodies)  # explicit nulls
    assert any(isinstance(b["messages"][-1]["content"], list) for b in bodies)  # text parts


def _case(case_id: str) -> Any:
    return load_catalog(known_checks=known_checks()).cases[case_id]


def test_the_expander_sends_one_sample_per_example() -> None:
    case = _case("prop.invalid_requests")
    assert is_expanded(case)
    work = expand(case, Variables("the-model"), ExpandOptions())
    assert [split_sample_id(w.case_id) for w in work] == [
        ("prop.invalid_requests", k) for k in range(DEFAULT_EXAMPLES)
    ]
    requests = [w.requests[0] for w in work]
    assert all(r.path == "/chat/completions" and r.method == "POST" for r in requests)
    assert any(r.content is not None for r in requests)
    expected = generate(INVALID, 0, DEFAULT_EXAMPLES, "the-model")
    assert [wire(e) for e in expected] == [
        r.content if r.content is not None else wire(Example("", json=r.json)) for r in requests
    ]


def test_stream_examples_become_stream_requests() -> None:
    work = expand(_case("prop.valid_requests"), Variables("m"), ExpandOptions())
    for w in work:
        (request,) = w.requests
        assert request.stream is (request.json.get("stream") is True)


def test_run_settings_override_the_example_count() -> None:
    options: Any = SimpleNamespace(settings={"properties": {"examples": 3}})
    assert len(expand(_case("prop.valid_requests"), Variables("m"), options)) == 3
    assert example_count({"examples": 5}, None) == 5
    assert example_count({}, {}) == DEFAULT_EXAMPLES
    for bad in (0, -1, True, "5", 10**9):
        with pytest.raises(PlanError):
            example_count({"examples": bad}, None)
