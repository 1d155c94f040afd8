"""Fuzz: whatever bytes a target sends, in whatever reads, checks judge them and never crash.

A check that raises is an `error` (llmconform broke), so any byte sequence must end as
pass, warn or fail for a non-streamed and a streamed chat case.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate
from llmconform.model import BodyChunk, Capture, Outcome, Request

CATALOG = load_catalog(known_checks=known_checks())
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 32}
FIELDS = [
    "id", "object", "created", "model", "choices", "index", "delta", "message", "role",
    "content", "finish_reason", "usage", "prompt_tokens", "completion_tokens", "total_tokens",
    "tool_calls", "function", "arguments", "name", "type", "logprobs", "error", "refusal",
]  # fmt: skip

# JSON values shaped like API objects (known keys, any value types): what reaches deep checks.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=20,
)


def as_sse(values: list[Any], done: bool) -> bytes:
    body = b"".join(b"data: " + json.dumps(v).encode() + b"\n\n" for v in values)
    return body + (b"data: [DONE]\n\n" if done else b"")


bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(as_sse, st.lists(json_values, max_size=4), st.booleans()),
    st.builds(lambda a, b: a + b, st.sampled_from([b"data: ", b"{", b"\xef\xbb\xbf"]), st.binary()),
)
content_types = st.sampled_from(
    ["application/json", "text/event-stream", "text/html", "application/json; charset=utf-8", ""]
)


def split(body: bytes, cuts: list[int]) -> tuple[BodyChunk, ...]:
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    return tuple(
        BodyChunk(1_000 + i * 1_000_000, body[a:b])
        for i, (a, b) in enumerate(itertools.pairwise(points))
        if b > a
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # false == 0 in Python: two chunks that differ on the wire, equal in a comparison
    body=b'data:{"created":[{"created":false}]}\n\ndata:{"created":[{"created":0}]}\n\n',
    cuts=[],
    ctype="application/json",
    status=200,
    stream=True,
)
@given(
    body=bodies,
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    ctype=content_types,
    status=st.sampled_from([200, 200, 400, 500]),
    stream=st.booleans(),
)
def test_any_body_in_any_reads_is_judged_without_a_crash(
    body: bytes, cuts: list[int], ctype: str, status: int, stream: bool
) -> None:
    case = CATALOG.cases["stream.basic" if stream else "chat.basic"]
    request = Request("POST", "/chat/completions", json={**CHAT, "stream": stream}, stream=stream)
    headers = (("content-type", ctype),) if ctype else ()
    capture = Capture(request, status, headers, split(body, cuts), 0, 1.7e9, 500, 2_000_000_000)
    result = evaluate(case, [capture], CATALOG.requirements, "m")
    crashed = [f.message for f in result.findings if f.outcome is Outcome.ERROR]
    assert not crashed
    assert result.outcome in (Outcome.PASS, Outcome.WARN, Outcome.FAIL), result.reason
