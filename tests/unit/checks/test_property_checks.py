"""The property checks over hand-made captures: one finding per failing sample, at sample[k]."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.checks import CHECKS, CheckContext, Exchange
from llmconform.checks.properties import (
    EXTENSION,
    KEPT,
    MAX_ISSUES,
    MAX_SAMPLES,
    RANGE,
    STRUCTURAL,
    VALID,
    body_text,
    expectation,
)
from llmconform.model import BodyChunk, Capture, Case, CheckRef, Level, Request

PATH = "/chat/completions"
BASE = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}
ENVELOPE = {
    "error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
}


def capture(request: Request, status: int, body: Any, ctype: str = "application/json") -> Capture:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Capture(
        request=request,
        status=status,
        headers=(("content-type", ctype),),
        chunks=(BodyChunk(1, raw),),
        t_sent_ns=0,
        sent_at=1_700_000_000.0,
        t_end_ns=2,
    )


def run(name: str, captures: list[Capture]) -> list[Any]:
    case = Case("prop.x", "t", "openai-chat", (), (CheckRef(name),), tags=("property",))
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    return list(CHECKS[name].fn(CheckContext(case, exchanges)))


def json_request(body: Any) -> Request:
    return Request(
        "POST", PATH, json=body, stream=isinstance(body, dict) and bool(body.get("stream"))
    )


def _extended(**literals: str) -> bytes:
    """BASE with extra members whose values are raw literals (NaN, Infinity, …)."""
    extra = "".join(f', "{k}": {v}' for k, v in literals.items())
    return (json.dumps(BASE)[:-1] + extra + "}").encode()


def raw_request(content: bytes) -> Request:
    return Request("POST", PATH, content=content)


def test_a_valid_sample_answered_correctly_passes() -> None:
    assert run("property.valid_requests", [capture(json_request(BASE), 200, COMPLETION)]) == []


def test_a_valid_sample_answered_with_an_error_names_the_sample_and_its_body() -> None:
    good = capture(json_request(BASE), 200, COMPLETION)
    emoji = {**BASE, "messages": [{"role": "user", "content": "hi \U0001f469\u200d\U0001f4bb"}]}
    bad = capture(json_request(emoji), 500, ENVELOPE)
    (issue,) = run("property.valid_requests", [good, bad])
    assert issue.requirement == "PROP-001"
    assert issue.path == "sample[1]" and issue.exchange == 1
    assert "status 500" in issue.message and "'bad'" in issue.message
    assert "emoji or astral" in issue.message
    # The exact body, ASCII-escaped: json.loads of it gives back what was sent.
    sent = issue.message.split("request: ", 1)[1]
    assert json.loads(sent) == emoji


def test_a_valid_sample_with_a_broken_answer_reports_the_reused_check() -> None:
    broken = {**COMPLETION, "created": 1_700_000_000_000}
    (issue,) = run("property.valid_requests", [capture(json_request(BASE), 200, broken)])
    assert issue.requirement == "PROP-001"
    assert "CHAT-002" in issue.message and issue.path == "sample[0].created"


def test_should_level_findings_of_reused_checks_are_left_to_their_own_cases() -> None:
    stale = {**COMPLETION, "created": 1_000_000_000}  # CHAT-003 (SHOULD): not about now
    assert run("property.valid_requests", [capture(json_request(BASE), 200, stale)]) == []


def test_only_must_requirements_are_reused() -> None:
    catalog = load_catalog()
    assert {catalog.requirements[r].level for r in KEPT} == {Level.MUST}


def test_a_valid_stream_sample_is_judged_as_a_stream() -> None:
    body = {**BASE, "stream": True}
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}}],
    }
    last = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(last)}\n\n".encode()
    ok = capture(json_request(body), 200, events + b"data: [DONE]\n\n", "text/event-stream")
    assert run("property.valid_requests", [ok]) == []
    cut = capture(json_request(body), 200, events, "text/event-stream")
    (issue,) = run("property.valid_requests", [cut])
    assert "STREAM-003" in issue.message and issue.path == "sample[0]"


@pytest.mark.parametrize(
    ("request_", "status", "body", "requirement"),
    [
        (raw_request(b'{"model": "m", "messages": [\xff]}'), 500, ENVELOPE, "PROP-003"),
        (raw_request(b'{"model": "m"'), 200, COMPLETION, "PROP-002"),
        (json_request({**BASE, "temperature": "hot"}), 200, COMPLETION, "PROP-004"),
        (json_request({**BASE, "messages": "hello"}), 200, COMPLETION, "PROP-002"),
        (json_request({**BASE, "temperature": 7}), 200, COMPLETION, "PROP-004"),
        (json_request({**BASE, "n": 0}), 400, {"detail": "n must be >= 1"}, "PROP-005"),
        (raw_request(b"[" * 3000 + b"]" * 3000), 502, b"Bad Gateway", "PROP-003"),
        # JSON extensions a lenient parser may accept (RFC 8259 §9): SHOULD, not MUST.
        (raw_request(_extended(temperature="NaN")), 200, COMPLETION, "PROP-006"),
        (raw_request(_extended(top_p="-Infinity")), 200, COMPLETION, "PROP-006"),
        (raw_request(b'{"model": "m", "temperature": NaN}'), 200, COMPLETION, "PROP-002"),
    ],
)
def test_an_invalid_sample_is_flagged_under_the_right_requirement(
    request_: Request, status: int, body: Any, requirement: str
) -> None:
    ok = capture(json_request({"messages": []}), 400, ENVELOPE)
    issues = run("property.invalid_requests", [ok, capture(request_, status, body)])
    assert [(i.requirement, i.path, i.exchange) for i in issues] == [(requirement, "sample[1]", 1)]
    assert "request: " in issues[0].message


def test_an_invalid_sample_rejected_with_the_envelope_passes() -> None:
    samples = [
        capture(raw_request(b"\xc0\xaf"), 400, ENVELOPE),
        capture(json_request({**BASE, "top_p": 9}), 422, ENVELOPE),
        capture(raw_request(b"{" * 10), 413, ENVELOPE),
    ]
    assert run("property.invalid_requests", samples) == []


def test_many_failing_samples_are_summarised() -> None:
    samples = [capture(raw_request(b"\xff"), 500, ENVELOPE) for _ in range(MAX_SAMPLES + 5)]
    issues = run("property.invalid_requests", samples)
    assert len(issues) == MAX_SAMPLES + 1
    assert issues[-1].message.startswith("5 more failing sample(s)")
    assert issues[-1].path == f"sample[{MAX_SAMPLES}]"
    assert MAX_ISSUES >= 1


def test_expectation_reads_the_request_alone() -> None:
    assert expectation(json_request(BASE)) == (VALID, "a valid request")
    assert expectation(raw_request(b"\x80"))[0] == STRUCTURAL
    assert expectation(raw_request(b'{"a": NaN}'))[0] == STRUCTURAL  # no model, no messages
    for literal in ("NaN", "Infinity", "-Infinity"):
        kind, why = expectation(raw_request(_extended(temperature=literal)))
        assert kind == EXTENSION and literal.lstrip("-") in why
    assert expectation(raw_request(b"[" * 5000))[0] == STRUCTURAL
    assert expectation(raw_request(json.dumps({**BASE, "n": 10**50}).encode()))[0] == RANGE
    assert expectation(json_request({**BASE, "stop": ["a"] * 5}))[0] == RANGE
    kind, why = expectation(json_request({"messages": BASE["messages"]}))
    assert kind == STRUCTURAL and "model" in why


def test_body_text_is_ascii_and_byte_faithful() -> None:
    text = body_text(raw_request('{"c": "é\\\n"}'.encode() + b"\xff"))
    assert text == '{"c": "\\xc3\\xa9\\x5c\\x0a"}\\xff'
    assert text.isascii()
    long = body_text(json_request({**BASE, "user": "x" * 1000}), limit=50)
    assert long.endswith("bytes in all)") and len(long) < 90
