"""checks.stream: SSE framing, [DONE], chunk schema and invariants, on hand-made streams."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.checks import CHECKS, CheckContext, Exchange, IssueKind
from llmconform.checks.openai.stream import EARLY_END
from llmconform.engine.aggregate import verdict_notes
from llmconform.engine.evaluate import evaluate
from llmconform.model import BodyChunk, Case, CaseResult, CheckRef, Finding, Level, Outcome

from core_helpers import (
    T0,
    capture,
    case,
    chunk,
    completion,
    good_stream,
    reqs,
    run_check,
    sse,
    stream_capture,
)

USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
ERROR = {
    "error": {"message": "Token limit reached", "type": "server_error", "param": None, "code": None}
}
AZURE_PREAMBLE = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
}
STREAM_CHECKS = [
    "stream.content_type",
    "stream.framing",
    "stream.done",
    "stream.chunk_schema",
    "stream.consistent",
    "stream.created",
    "stream.role_first",
    "stream.finish_once",
]


@pytest.mark.parametrize("name", STREAM_CHECKS)
def test_a_good_stream_passes_every_stream_check(name: str) -> None:
    assert run_check(name, stream_capture(*good_stream())) == []


@pytest.mark.parametrize("name", ["stream.consistent", "stream.created", "stream.chunk_schema"])
def test_azure_prompt_filter_preamble_is_accepted(name: str) -> None:
    assert run_check(name, stream_capture(AZURE_PREAMBLE, *good_stream())) == []


def test_content_type() -> None:
    plain = capture(sse(*good_stream()), stream=True, content_type="text/plain")
    issues = run_check("stream.content_type", plain)
    assert reqs(issues) == ["STREAM-001"] and "text/plain" in issues[0].message
    ok_params = capture(
        sse(*good_stream()), stream=True, content_type="Text/Event-Stream; charset=utf-8"
    )
    assert run_check("stream.content_type", ok_params) == []
    refused = capture(sse(*good_stream()), stream=True, status=400)
    assert reqs(run_check("stream.content_type", refused)) == ["STREAM-001"]


def test_framing_payload_without_data_prefix() -> None:
    body = sse(*good_stream()).replace(b"data: {", b"{")
    issues = run_check("stream.framing", capture(body, stream=True))
    assert "STREAM-002" in reqs(issues)
    assert "without the 'data: ' field name" in issues[0].message


def test_framing_unterminated_last_event() -> None:
    body = sse(*good_stream())[: -len(b"\n\n")] + b"\n" + b'data: {"id": "chatcmpl-1"}'
    issues = run_check("stream.framing", capture(body, stream=True))
    assert any("ended inside an event" in i.message for i in issues)
    assert set(reqs(issues)) == {"STREAM-002"}


def test_framing_non_json_data_and_no_events() -> None:
    body = sse(good_stream()[0], "not json", *good_stream()[1:])
    [issue] = run_check("stream.framing", capture(body, stream=True))
    assert (issue.requirement, issue.path) == ("STREAM-002", "event[1]")
    assert "'not json'" in issue.message
    empty = run_check("stream.framing", capture(b"", stream=True))
    assert [i.message for i in empty] == ["no server-sent event was received"]


def test_framing_invalid_utf8() -> None:
    # json.dumps escapes non-ASCII, so the raw bytes are put in by hand. Valid multi-byte
    # characters, cut by the 7-byte reads, pass.
    escaped = sse(*good_stream("caf\u00e9 \u2713 \U0001f600"))
    raw = escaped.replace(b"\\u00e9", "\u00e9".encode()).replace(b"\\u2713", "\u2713".encode())
    assert "\u2713".encode() in raw
    assert run_check("stream.framing", capture(raw, stream=True)) == []
    # A Latin-1 byte in a content delta: SSE decoders turn it into U+FFFD, so clients get other
    # text than was sent. The same bytes in a JSON body fail HTTP-002.
    latin1 = escaped.replace(b"\\u00e9", b"\xe9")
    issues = run_check("stream.framing", capture(latin1, stream=True))
    assert reqs(issues) == ["STREAM-002"]
    assert "not valid UTF-8" in issues[0].message


def test_framing_unknown_fields_are_only_information() -> None:
    body = b"foo: bar\n" + sse(*good_stream())
    [issue] = run_check("stream.framing", capture(body, stream=True))
    assert (issue.requirement, issue.kind) == ("STREAM-002", IssueKind.INFO)


def test_done() -> None:
    assert reqs(run_check("stream.done", stream_capture(*good_stream(), done=False))) == [
        "STREAM-003"
    ]
    after = capture(sse(*good_stream()) + sse(good_stream()[0], done=False), stream=True)
    issues = run_check("stream.done", after)
    assert reqs(issues) == ["STREAM-004"]
    assert issues[0].path == f"event[{len(good_stream()) + 1}]"


def test_chunk_schema() -> None:
    bad = good_stream()
    bad[1]["choices"][0]["delta"]["tool_calls"] = [{"function": {"arguments": "{}"}}]  # no index
    issues = run_check("stream.chunk_schema", stream_capture(*bad))
    assert reqs(issues) == ["STREAM-005"]
    assert issues[0].path == "event[1].choices[0].delta.tool_calls[0].index"


def test_chunk_schema_flags_what_the_openai_spec_does_not_allow() -> None:
    # LiteLLM omits the finish_reason key until the last chunk; mockllm sends role: null;
    # vLLM-style servers send tool_calls: null. Each is reported once, as STREAM-010.
    loose = good_stream("a b c")
    for c in loose[1:3]:
        del c["choices"][0]["finish_reason"]
    loose[1]["choices"][0]["delta"]["role"] = None
    loose[2]["choices"][0]["delta"]["role"] = None
    loose[3]["choices"][0]["delta"]["tool_calls"] = None
    issues = run_check("stream.chunk_schema", stream_capture(*loose))
    assert reqs(issues) == ["STREAM-010"] * 3
    assert [i.path for i in issues] == ["event[1]", "event[1]", "event[3]"]
    assert "finish_reason key" in issues[0].message and "delta.role: null" in issues[1].message
    assert run_check("stream.chunk_schema", stream_capture(*good_stream("a b c"))) == []


def test_chunk_schema_reports_at_most_three_bad_chunks() -> None:
    bad = [{**c, "object": "chat.completion"} for c in good_stream("a b c d e f")]
    issues = run_check("stream.chunk_schema", stream_capture(*bad))
    assert len(issues) == 3
    assert [i.path for i in issues] == ["event[0].object", "event[1].object", "event[2].object"]


def test_chunk_schema_reports_an_error_sent_in_the_stream() -> None:
    # An error event is not a malformed chunk (STREAM-005, MUST): OpenAI sends one mid-stream
    # itself. It is reported, and its shape judged, under STREAM-ERR-001 (SHOULD).
    chunks = good_stream()
    issues = run_check("stream.chunk_schema", stream_capture(chunks[0], chunks[1], ERROR))
    assert [(i.requirement, i.path, i.message) for i in issues] == [
        ("STREAM-ERR-001", "event[2]", "the stream carried an error: Token limit reached")
    ]
    bare = run_check("stream.chunk_schema", stream_capture({"error": "overloaded"}))
    assert [i.requirement for i in bare] == ["STREAM-ERR-001", "STREAM-ERR-001"]
    assert "overloaded" in bare[0].message
    assert bare[1].path == "event[0].error" and "message" in bare[1].message


def test_chunk_schema_null_error_member_is_not_an_error() -> None:
    chunks = [{**c, "error": None} for c in good_stream()]
    assert run_check("stream.chunk_schema", stream_capture(*chunks)) == []


def test_consistent() -> None:
    chunks = good_stream()
    chunks[2] = {**chunks[2], "id": "chatcmpl-2"}
    issues = run_check("stream.consistent", stream_capture(*chunks))
    assert [(i.requirement, i.path) for i in issues] == [("STREAM-006", "event[2]")]
    drift = [{**c, "created": T0 + i} for i, c in enumerate(good_stream())]
    drift[-1]["model"] = "m-2"
    assert reqs(run_check("stream.consistent", stream_capture(*drift))) == [
        "STREAM-007",
        "STREAM-007",
    ]


def test_consistent_ignores_an_error_payload_and_points_at_the_event() -> None:
    chunks = good_stream()
    chunks.insert(1, ERROR)
    chunks[3] = {**chunks[3], "id": "other"}
    [issue] = run_check("stream.consistent", stream_capture(*chunks))
    assert (issue.requirement, issue.path) == ("STREAM-006", "event[3]")


def test_created() -> None:
    ms = [{**c, "created": T0 * 1000} for c in good_stream()]
    issues = run_check("stream.created", stream_capture(*ms))
    assert [(i.requirement, i.path) for i in issues] == [("CHAT-002", "event[0].created")]
    zero = [{**c, "created": 0} for c in good_stream()]
    assert reqs(run_check("stream.created", stream_capture(*zero))) == ["CHAT-003"]
    # Azure's preamble (created 0) is not the completion's first chunk.
    issues = run_check("stream.created", stream_capture(AZURE_PREAMBLE, *ms))
    assert [i.path for i in issues] == ["event[1].created"]


def test_role_first() -> None:
    chunks = good_stream()
    del chunks[0]["choices"][0]["delta"]["role"]
    issues = run_check("stream.role_first", stream_capture(*chunks))
    assert [(i.requirement, i.path) for i in issues] == [("STREAM-008", "event[0].delta")]
    two = good_stream(n=2)
    two[len(two) // 2]["choices"][0]["delta"]["role"] = "user"
    issues = run_check("stream.role_first", stream_capture(*two))
    assert reqs(issues) == ["STREAM-008"] and "choice 1" in issues[0].message


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda cs: cs[1]["choices"][0].update(finish_reason="stop"), "2 non-null finish_reason"),
        (
            lambda cs: cs.append(chunk({"content": "late"})),
            "receives output after its finish_reason",
        ),
        (lambda cs: cs.__setitem__(slice(None), [chunk(choices=[])]), "no chunk carried a choice"),
    ],
)
def test_finish_once(mutate: Any, needle: str) -> None:
    chunks = good_stream()
    mutate(chunks)
    issues = run_check("stream.finish_once", stream_capture(*chunks))
    assert reqs(issues) == ["STREAM-009"]
    assert needle in issues[0].message


def test_a_missing_finish_reason_is_a_should() -> None:
    # OpenAI's gpt-audio streams end without any finish_reason: STREAM-FINISH-001 (SHOULD), not
    # STREAM-009 (MUST), which keeps "at most one, and nothing after it".
    chunks = good_stream()
    chunks[-1]["choices"][0].update(finish_reason=None)
    issues = run_check("stream.finish_once", stream_capture(*chunks))
    assert reqs(issues) == ["STREAM-FINISH-001"]
    assert "0 non-null finish_reason" in issues[0].message


def test_finish_once_per_choice() -> None:
    assert run_check("stream.finish_once", stream_capture(*good_stream(n=2))) == []
    # An empty delta after the finish is fine (it carries no output).
    assert run_check("stream.finish_once", stream_capture(*good_stream(), chunk({}))) == []


def test_usage_chunk() -> None:
    good = [*good_stream(), chunk(choices=[], usage=USAGE)]
    assert run_check("stream.usage_chunk", stream_capture(*good)) == []
    assert reqs(run_check("stream.usage_chunk", stream_capture(*good_stream()))) == [
        "STREAM-USAGE-001"
    ]
    not_last = [*good_stream()[:-1], chunk(choices=[], usage=USAGE), good_stream()[-1]]
    issues = run_check("stream.usage_chunk", stream_capture(*not_last))
    assert reqs(issues) == ["STREAM-USAGE-001"] and "not the last" in issues[0].message
    with_choice = [*good_stream()[:-1], {**good_stream()[-1], "usage": USAGE}]
    issues = run_check("stream.usage_chunk", stream_capture(*with_choice))
    assert reqs(issues) == ["STREAM-USAGE-001"] and "empty 'choices'" in issues[0].message
    everywhere = [{**c, "usage": USAGE} for c in good_stream()] + [chunk(choices=[], usage=USAGE)]
    assert reqs(run_check("stream.usage_chunk", stream_capture(*everywhere))) == [
        "STREAM-USAGE-002"
    ]


def test_usage_on_several_chunks_is_a_must_failure() -> None:
    # STREAM-USAGE-001 (MUST) promises exactly one usage chunk; usage repeated on other chunks
    # is the same promise broken, so it fails at the same level, in every profile that holds
    # STREAM-USAGE-001 (completions streams too). OpenAI sends usage on one chunk only.
    requirements = load_catalog().requirements
    repeated, exactly_one = requirements["STREAM-USAGE-002"], requirements["STREAM-USAGE-001"]
    assert repeated.level is Level.MUST
    assert set(exactly_one.profiles) <= set(repeated.profiles)
    cumulative = [{**c, "usage": USAGE} for c in good_stream()] + [chunk(choices=[], usage=USAGE)]
    case = Case("t.usage", "t", "openai-chat", (), (CheckRef("stream.usage_chunk"),))
    result = evaluate(case, [stream_capture(*cumulative)], requirements, "m")
    assert result.outcome is Outcome.FAIL
    assert [(f.requirement, f.outcome) for f in result.findings] == [
        ("STREAM-USAGE-002", Outcome.FAIL)
    ]


def test_checks_do_not_depend_on_how_bytes_were_read() -> None:
    # `capture` splits the body into 7-byte reads (cutting UTF-8 sequences); one read must
    # give the same findings.
    chunks = good_stream("naïve café ☕ done")
    chunks[2] = {**chunks[2], "id": "x"}
    split = capture(sse(*chunks), stream=True)
    whole = replace(split, chunks=(BodyChunk(1, split.body),))
    assert len(split.chunks) > 10
    found = run_check("stream.consistent", split)
    assert found == run_check("stream.consistent", whole)
    assert reqs(found) == ["STREAM-006"]


def test_an_audio_stream_has_its_text_in_the_transcript() -> None:
    # Audio output (OpenAI's gpt-audio): content stays null, the text is delta.audio.transcript.
    chunks = [
        chunk({"role": "assistant", "content": None}),
        chunk({"audio": {"id": "audio_1", "transcript": "Hel"}}),
        chunk({"audio": {"transcript": "lo"}}),
        chunk({}, finish_reason="stop"),
    ]
    assert run_check("chat.message", stream_capture(*chunks)) == []
    silent = [chunk({"role": "assistant", "content": None}), chunk({}, finish_reason="stop")]
    assert reqs(run_check("chat.message", stream_capture(*silent))) == ["CHAT-005"]


def test_a_stream_cut_to_its_opening_chunk_names_the_concurrency_rerun() -> None:
    # llama-cpp-python (interrupt_requests): a concurrent stream gets the role chunk, [DONE].
    def issues(*chunks: Any, concurrency: int) -> list[str]:
        ex = (Exchange(0, stream_capture(*chunks)),)
        ctx = CheckContext(case("stream.finish_once"), ex, {}, "m", {"concurrency": concurrency})
        return [i.message for i in CHECKS["stream.finish_once"].fn(ctx)]

    [cut] = issues(chunk({"role": "assistant", "content": ""}), concurrency=4)
    assert EARLY_END in cut and "rerun with --concurrency 1" in cut
    [alone] = issues(chunk({"role": "assistant", "content": ""}), concurrency=1)
    assert EARLY_END in alone and "--concurrency" not in alone
    # Output without a finish_reason (OpenAI's gpt-audio) is not an early end.
    [audio] = issues(chunk({"role": "assistant"}), chunk({"content": "Hi"}), concurrency=4)
    assert EARLY_END not in audio
    finding = Finding("STREAM-FINISH-001", Level.SHOULD, "stream.finish_once", cut, Outcome.WARN)
    result = CaseResult("stream.basic", "t", "openai", Outcome.WARN, findings=(finding,))
    [note] = verdict_notes([result], ["chat"], {})
    assert "--concurrency 1" in note and "stream.basic" in note
    assert verdict_notes([replace(result, findings=())], ["chat"], {}) == []


def test_streamed_usage_must_match_the_non_streamed_usage_of_the_same_prompt() -> None:
    def usage(prompt: int, completion_: int) -> dict[str, int]:
        return {"prompt_tokens": prompt, "completion_tokens": completion_, "total_tokens": 0}

    def streamed(text: str, used: dict[str, int]) -> Any:
        return stream_capture(*good_stream(text), chunk(choices=[], usage=used))

    plain = capture(completion(content="Hello there.", usage=usage(34, 3)))
    same = streamed("Hello there.", usage(34, 3))
    assert run_check("stream.usage_matches", plain, same, args={"against": 0}) == []
    # LiteLLM counts the streamed prompt with its own tokenizer: 11 where the backend said 34.
    invented = streamed("Hello there.", usage(11, 3))
    [issue] = run_check("stream.usage_matches", plain, invented, args={"against": 0})
    assert issue.requirement == "STREAM-USAGE-004" and issue.path == "$.usage.prompt_tokens"
    # Another text (the seed ignored): completion_tokens may differ, prompt_tokens may not.
    sampled = streamed("Hi you, there.", usage(34, 5))
    assert run_check("stream.usage_matches", plain, sampled, args={"against": 0}) == []


def test_usage_match_without_a_usage_chunk_is_undecided() -> None:
    plain = capture(
        completion(usage={"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4})
    )
    [issue] = run_check(
        "stream.usage_matches", plain, stream_capture(*good_stream()), args={"against": 0}
    )
    assert issue.kind is IssueKind.INCONCLUSIVE and "streamed answer" in issue.message
