"""Unit tests of the structured-output, logprobs and accepted-parameter checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from capture_kit import capture, chunk, completion, reqs, run

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def schema_request(**extra: Any) -> dict[str, Any]:
    fmt = {"type": "json_schema", "json_schema": {"name": "p", "strict": True, "schema": SCHEMA}}
    return {"model": "m", "messages": [], "response_format": fmt, **extra}


OBJECT_REQUEST = {"model": "m", "messages": [], "response_format": {"type": "json_object"}}


@pytest.mark.parametrize(
    ("content", "ok"),
    [('{"a": 1}', True), ("[1, 2]", False), ("```json\n{}\n```", False), (None, False)],
)
def test_json_object(content: str | None, ok: bool) -> None:
    issues = run(
        "structured.json_object", capture(OBJECT_REQUEST, completion({"content": content}))
    )
    assert (issues == []) is ok
    assert all(i.requirement == "JSON-001" for i in issues)


def test_json_object_skips_truncated_and_notes_refusals() -> None:
    # A truncated or refused choice is not judged; with nothing else, nothing was verified.
    cut = completion({"content": '{"a": '}, finish="length")
    [undecided] = run("structured.json_object", capture(OBJECT_REQUEST, cut))
    assert undecided.kind == "inconclusive"
    refusal = completion({"content": None, "refusal": "I can't."})
    issues = run("structured.json_object", capture(OBJECT_REQUEST, refusal))
    assert sorted(i.kind for i in issues) == ["inconclusive", "info"]
    # Beside a judged choice, a refusal is only a note.
    mixed = completion({"content": '{"a": 1}'}, {"content": None, "refusal": "I can't."})
    [note] = run("structured.json_object", capture(OBJECT_REQUEST, mixed))
    assert note.kind == "info"


def test_json_schema_with_every_choice_refused_is_inconclusive() -> None:
    refusal = completion({"content": None, "refusal": "I can't."})
    issues = run("structured.json_schema", capture(schema_request(), refusal))
    assert "inconclusive" in [i.kind for i in issues]


def test_json_schema_validates_content() -> None:
    good = completion({"content": json.dumps({"name": "Ada", "age": 36})})
    assert run("structured.json_schema", capture(schema_request(), good)) == []
    for bad in ({"name": "Ada"}, {"name": "Ada", "age": "36"}, {"name": "Ada", "age": 1, "x": 1}):
        body = completion({"content": json.dumps(bad)})
        assert reqs(run("structured.json_schema", capture(schema_request(), body))) == ["JSON-002"]


def test_json_schema_stream_is_judged_on_the_folded_text() -> None:
    req = schema_request(stream=True)
    parts = ['{"name": ', '"Ada", ', '"age": 36}']
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": p}) for p in parts] + [chunk({}, "stop")]
    assert run("structured.json_schema", capture(req, chunks=chunks)) == []
    chunks[-2] = chunk({"content": '"age": "x"}'})
    assert reqs(run("structured.json_schema", capture(req, chunks=chunks))) == ["JSON-002"]


def entry(token: str, logprob: float = -0.1, top: int = 2, **extra: Any) -> dict[str, Any]:
    alts = [{"token": t, "logprob": -1.0, "bytes": list(t.encode())} for t in "xyz"[:top]]
    return {"token": token, "logprob": logprob, "bytes": list(token.encode()), "top_logprobs": alts,
            **extra}  # fmt: skip


LP_REQUEST = {"model": "m", "messages": [], "logprobs": True, "top_logprobs": 2}


def lp_body(content: str, entries: list[Any] | None) -> dict[str, Any]:
    logprobs = None if entries is None else {"content": entries, "refusal": None}
    return completion({"content": content}, logprobs=logprobs)


def test_logprobs_good() -> None:
    cap = capture(LP_REQUEST, lp_body("Hi there", [entry("Hi"), entry(" there")]))
    for name in ("logprobs.entries", "logprobs.top", "logprobs.concat"):
        assert run(name, cap) == [], name


@pytest.mark.parametrize(
    ("entries", "requirement"),
    [
        (None, "LOGPROBS-001"),
        ([entry("Hi", logprob=0.5)], "LOGPROBS-001"),
        ([{**entry("Hi"), "top_logprobs": None}], "LOGPROBS-001"),
        ([{k: v for k, v in entry("Hi").items() if k != "bytes"}], "LOGPROBS-002"),
        ([entry("Hi", bytes="Hi")], "LOGPROBS-002"),
    ],
)
def test_logprobs_entry_problems(entries: list[Any] | None, requirement: str) -> None:
    issues = run("logprobs.entries", capture(LP_REQUEST, lp_body("Hi", entries)))
    assert reqs(issues) == [requirement]


def test_top_logprobs_count() -> None:
    ignored = lp_body("Hi there", [entry("Hi", top=1), entry(" there", top=1)])
    assert reqs(run("logprobs.top", capture(LP_REQUEST, ignored))) == ["LOGPROBS-005"]
    too_many = lp_body("Hi there", [entry("Hi", top=3), entry(" there")])
    assert reqs(run("logprobs.top", capture(LP_REQUEST, too_many))) == ["LOGPROBS-003"]
    # The spec allows fewer at some positions.
    some_fewer = lp_body("Hi there", [entry("Hi", top=1), entry(" there")])
    assert run("logprobs.top", capture(LP_REQUEST, some_fewer)) == []


def test_tokens_must_join_to_the_content() -> None:
    extra = lp_body("Hi", [entry("Hi"), entry("<|eot_id|>")])
    [issue] = run("logprobs.concat", capture(LP_REQUEST, extra))
    assert issue.requirement == "LOGPROBS-004" and "offset 2" in issue.message


def test_streamed_logprobs_are_joined_per_choice() -> None:
    req = {**LP_REQUEST, "stream": True}
    lp = [{"content": [entry("Hi")]}, {"content": [entry(" there")]}]
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": e["content"][0]["token"]}, logprobs=e) for e in lp]
    chunks.append(chunk({}, "stop"))
    cap = capture(req, chunks=chunks)
    for name in ("logprobs.entries", "logprobs.top", "logprobs.concat"):
        assert run(name, cap) == [], name
    for c in chunks:
        c["choices"][0].pop("logprobs", None)
    assert reqs(run("logprobs.entries", capture(req, chunks=chunks))) == ["LOGPROBS-001"]


@pytest.mark.parametrize(
    ("name", "requirement"),
    [
        ("params.sampling_accepted", "PARAM-001"),
        ("params.message_forms_accepted", "PARAM-002"),
        ("params.tagging_accepted", "PARAM-003"),
        ("params.unknown_ignored", "PARAM-004"),
        ("params.null_as_absent", "PARAM-005"),
    ],
)
def test_accepted_parameter_checks(name: str, requirement: str) -> None:
    req = {"model": "m", "messages": []}
    assert run(name, capture(req, completion({"content": "ok"}))) == []
    error = {"error": {"message": "Unrecognized request argument supplied: foo"}}
    [issue] = run(name, capture(req, error, status=400), param="foo")
    assert issue.requirement == requirement
    assert "foo" in issue.message and "400" in issue.message
    [empty] = run(name, capture(req, {"choices": []}))
    assert empty.requirement == requirement
