"""Evidence where the problem is: the SSE event or JSON value a finding's path names."""

from __future__ import annotations

from llmconform.checks import Exchange
from llmconform.engine.focus import FOCUS_CHARS, focus

from core_helpers import capture

STREAM = b"".join(
    b'data: {"i": %d, "choices": [{"delta": {"content": "t%d"}}]}\n\n' % (i, i) for i in range(40)
)


def _sse() -> Exchange:
    return Exchange(0, capture(STREAM, stream=True, content_type="text/event-stream"))


def test_an_event_index_gives_that_event_even_far_beyond_the_excerpt() -> None:
    text = focus(_sse(), "event[37]")
    assert text == 'event[37]: {"i": 37, "choices": [{"delta": {"content": "t37"}}]}'
    assert focus(_sse(), "event[-1]").startswith('event[-1]: {"i": 39')


def test_a_path_inside_an_event_and_a_json_path() -> None:
    assert (
        focus(_sse(), "event[5].choices[0].delta") == 'event[5].choices[0].delta: {"content": "t5"}'
    )
    body = {"choices": [{"finish_reason": "banana", "message": {"role": "assistant"}}]}
    ex = Exchange(0, capture(body))
    assert focus(ex, "$.choices[0].finish_reason") == '$.choices[0].finish_reason: "banana"'
    assert focus(ex, "$.choices[0].message") == '$.choices[0].message: {"role": "assistant"}'


def test_nothing_is_made_up_when_the_path_does_not_resolve() -> None:
    ex = Exchange(0, capture({"choices": []}))
    for path in ("$.usage", "$.choices[3]", "$.choices[0].x", "sample[0]", "$..weird", ""):
        assert focus(ex, path) == "", path
    assert focus(_sse(), "event[99]") == ""
    assert focus(Exchange(0, capture(b"not json")), "$.a") == ""


def test_long_values_are_cut() -> None:
    ex = Exchange(0, capture({"text": "x" * 5000}))
    text = focus(ex, "$.text")
    assert len(text) == FOCUS_CHARS and text.endswith("…")
