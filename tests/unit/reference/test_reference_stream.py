"""Streamed chat completions: framing, chunk sequence, usage, timing, disconnects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from llmconform.reference import create_app

if TYPE_CHECKING:
    from unit.reference.conftest import Caller, Kit


def _stream(ref: Caller, kit: type[Kit], text: str, **body: Any) -> list[dict[str, Any]]:
    response = ref.chat(text, stream=True, **body)
    assert response.status_code == 200, response.text
    return kit.sse_chunks(response.text)


def _text(chunks: list[dict[str, Any]], index: int = 0) -> str:
    return "".join(
        c["delta"].get("content") or ""
        for chunk in chunks
        for c in chunk["choices"]
        if c["index"] == index
    )


def test_stream_headers(ref: Caller) -> None:
    response = ref.chat("hi", stream=True)
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"


def test_chunk_sequence(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "Hello big world")
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "Hello"},
        {"content": " big"},
        {"content": " world"},
        {},
    ]
    reasons = [c["choices"][0]["finish_reason"] for c in chunks]
    assert reasons == [None, None, None, None, "stop"]
    assert all(c["choices"][0]["logprobs"] is None for c in chunks)
    assert all("usage" not in c for c in chunks)


def test_chunks_share_identity(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "a b c")
    for key in ("id", "created", "model", "system_fingerprint"):
        assert len({c[key] for c in chunks}) == 1, key
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["model"] == kit.MODEL
    assert chunks[0]["id"].startswith("chatcmpl-")


def test_include_usage(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "a b c", stream_options={"include_usage": True})
    assert all(c["usage"] is None for c in chunks[:-1])
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["completion_tokens"] == 3
    assert last["usage"]["prompt_tokens"] == 3 + 3 + 3
    assert last["usage"]["total_tokens"] == 12
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


def test_include_usage_false_sends_no_usage(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "a b", stream_options={"include_usage": False})
    assert all("usage" not in c for c in chunks)


def test_done_is_last_and_nothing_follows(ref: Caller, kit: type[Kit]) -> None:
    body = ref.chat("a", stream=True).text
    assert body.endswith("data: [DONE]\n\n")
    assert kit.sse_payloads(body)[-1] == "[DONE]"


@pytest.mark.parametrize(
    "extra",
    [{}, {"max_tokens": 2}, {"stop": " gamma"}, {"stop": ["mm"], "max_tokens": 5}, {"n": 2}],
)
def test_stream_matches_non_stream(ref: Caller, kit: type[Kit], extra: dict[str, Any]) -> None:
    text = "alpha beta gamma delta"
    whole = ref.chat(text, **extra).json()
    chunks = _stream(ref, kit, text, stream_options={"include_usage": True}, **extra)
    for choice in whole["choices"]:
        i = choice["index"]
        assert _text(chunks, i) == choice["message"]["content"]
        finals = [
            c["finish_reason"]
            for chunk in chunks
            for c in chunk["choices"]
            if c["index"] == i and c["finish_reason"] is not None
        ]
        assert finals == [choice["finish_reason"]]
    assert chunks[-1]["usage"] == whole["usage"]


def test_n_streams_every_choice(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "x y", n=2)
    for i in (0, 1):
        mine = [c for chunk in chunks for c in chunk["choices"] if c["index"] == i]
        assert mine[0]["delta"] == {"role": "assistant", "content": ""}
        assert _text(chunks, i) == "x y"
        assert mine[-1]["delta"] == {} and mine[-1]["finish_reason"] == "stop"


def test_stream_logprobs(ref: Caller, kit: type[Kit]) -> None:
    chunks = _stream(ref, kit, "a b", logprobs=True)
    content_chunks = [c for c in chunks if c["choices"][0]["delta"].get("content")]
    tokens = [c["choices"][0]["logprobs"]["content"][0]["token"] for c in content_chunks]
    assert tokens == ["a", " b"]


def test_each_event_is_its_own_body_message(kit: type[Kit]) -> None:
    app = create_app()
    body = {"model": kit.MODEL, "messages": kit.user("one two"), "stream": True}
    sent = kit.run(kit.drive(app, body))
    assert sent[0].message["type"] == "http.response.start"
    bodies = [s.message for s in sent[1:]]
    assert all(m["type"] == "http.response.body" for m in bodies)
    events = [m["body"] for m in bodies if m["body"]]
    # role, 2 tokens, finish, [DONE]: one event per message, each fully framed
    assert len(events) == 5
    assert all(
        e.startswith(b"data: ") and e.endswith(b"\n\n") and e.count(b"\n\n") == 1 for e in events
    )
    assert events[-1] == b"data: [DONE]\n\n"
    assert bodies[-1]["more_body"] is False
    assert all(m["more_body"] for m in bodies[:-1])


def test_delays_are_observable(kit: type[Kit]) -> None:
    app = create_app(ttft_delay_s=0.15, token_delay_s=0.05)
    body = {"model": kit.MODEL, "messages": kit.user("a b c"), "stream": True}
    sent = kit.run(kit.drive(app, body))
    stamps = [s.t for s in sent if s.message.get("body")]
    # stamps: role, a, b, c, finish, [DONE]
    assert stamps[1] - stamps[0] >= 0.14  # time to first token
    assert stamps[2] - stamps[1] >= 0.045
    assert stamps[3] - stamps[2] >= 0.045
    assert stamps[4] - stamps[3] < 0.04  # no delay after the last token


def test_stream_stops_when_the_client_disconnects(kit: type[Kit]) -> None:
    app = create_app(token_delay_s=0.01)
    words = " ".join(f"w{i}" for i in range(50))
    body = {"model": kit.MODEL, "messages": kit.user(words), "stream": True}
    sent = kit.run(kit.drive(app, body, disconnect_after=3))
    bodies = [s.message for s in sent if s.message["type"] == "http.response.body"]
    assert len(bodies) < 10  # far fewer than the 54 a full stream has
    assert bodies[-1]["more_body"] is False


def test_unicode_survives_streaming(ref: Caller, kit: type[Kit]) -> None:
    text = 'quote " and \u2028 line separator, \u00e9t\u00e9 \U0001f600'
    body = ref.chat(text, stream=True).text
    assert "\u2028" in body  # sent as UTF-8, which SSE clients must not split on
    assert _text(kit.sse_chunks(body)) == text
