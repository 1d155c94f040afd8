"""Broken servers for Completions and Embeddings: each is flagged by exactly the expected cases."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from llmconform.model import Outcome, ProfileVerdict
from llmconform.reference.app import create_app

from broken_servers import DONE, BrokenApp, Fault, invalid_utf8_comment
from support import TEST_KEY, RunAgainst, outcomes

MINE = "completions or embeddings"
COMPLETIONS_NON_STREAM_OK = {
    "completions.basic",
    "completions.max_tokens_length",
    "completions.stop",
    "completions.prompt_list",
    "completions.token_prompt",
    "completions.n_choices",
    "completions.echo",
    "completions.logprobs",
    "completions.suffix",
}
COMPLETIONS_STREAMS = {
    "completions.stream",
    "completions.stream_usage",
    "completions.stream_length",
}
EMBEDDING_SCHEMA_CASES = {
    "embeddings.single",
    "embeddings.batch",
    "embeddings.token_ids",
    "embeddings.token_id_batch",
    "embeddings.base64",
}


def _completion(fn: Any) -> Any:
    """Apply `fn` to text_completion bodies and chunks only."""

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict) and value.get("object") == "text_completion":
            fn(value)
        return value

    return rewrite


def _embedding_list(fn: Any) -> Any:
    """Apply `fn` to embedding lists only (not to model lists or errors)."""

    def rewrite(value: Any) -> Any:
        data = value.get("data") if isinstance(value, dict) else None
        if isinstance(data, list) and data and "embedding" in data[0]:
            fn(value)
        return value

    return rewrite


def _pop(key: str) -> Any:
    def rewrite(request: Any) -> Any:
        if isinstance(request, dict):
            request.pop(key, None)
        return request

    return rewrite


def _floats(value: Any) -> list[float]:
    if isinstance(value, str):
        raw = base64.b64decode(value)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return list(value)


def _like(original: Any, vector: list[float]) -> Any:
    if isinstance(original, str):
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def _perturb_base64(body: dict[str, Any]) -> None:
    for item in body["data"]:
        if isinstance(item["embedding"], str):
            vector = _floats(item["embedding"])
            vector[0] = vector[0] * 2 + 0.5
            item["embedding"] = _like(item["embedding"], vector)


def _big_endian_base64(body: dict[str, Any]) -> None:
    for item in body["data"]:
        if isinstance(item["embedding"], str):
            vector = _floats(item["embedding"])
            item["embedding"] = base64.b64encode(struct.pack(f">{len(vector)}f", *vector)).decode()


def _shorten_last(body: dict[str, Any]) -> None:
    if len(body["data"]) > 1:
        last = body["data"][-1]
        last["embedding"] = _like(last["embedding"], _floats(last["embedding"])[:-1])


def _to_chat_chunk(chunk: dict[str, Any]) -> None:
    chunk["object"] = "chat.completion.chunk"
    for choice in chunk.get("choices") or []:
        choice["delta"] = {"content": choice.pop("text", "")}


def _bump_total(body: dict[str, Any]) -> None:
    if isinstance(body.get("usage"), dict):
        body["usage"]["total_tokens"] += 1


def _usage_everywhere(chunk: dict[str, Any]) -> None:
    if chunk.get("usage") is None:
        chunk["usage"] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def _drop_logprob_offsets(body: dict[str, Any]) -> None:
    for choice in body.get("choices") or []:
        if isinstance(choice.get("logprobs"), dict):
            choice["logprobs"]["text_offset"] = choice["logprobs"]["text_offset"][:-1]


def _finish_on_every_chunk(chunk: dict[str, Any]) -> None:
    for choice in chunk.get("choices") or []:
        choice["finish_reason"] = choice.get("finish_reason") or "stop"


def _refuse_token_ids(request: Any) -> Any:
    # An empty input is a 400: the server now refuses exactly the token-id requests.
    value = request.get("input") if isinstance(request, dict) else None
    if isinstance(value, list) and value and not isinstance(value[0], str):
        request["input"] = []
    return request


def _make_invalid_if(key: str) -> Any:
    """Turn requests carrying `key` into ones the reference refuses with a 400."""

    def rewrite(request: Any) -> Any:
        if isinstance(request, dict) and key in request:
            # n=0 and a dimension count beyond the model's are both 400s in the reference.
            if key == "suffix":
                request["n"] = 0
            else:
                request["dimensions"] = 10**6
        return request

    return rewrite


# (fault, cases expected to FAIL, cases expected to WARN)
CASES: list[tuple[Fault, set[str], set[str]]] = [
    (Fault("invalid_utf8_in_streams", events=invalid_utf8_comment), COMPLETIONS_STREAMS, set()),
    (
        Fault(
            "completion_object_is_chat",
            body=_completion(lambda b: b.update(object="chat.completion")),
        ),
        COMPLETIONS_NON_STREAM_OK,
        set(),
    ),
    (Fault("completion_stop_ignored", request=_pop("stop")), {"completions.stop"}, set()),
    (Fault("completion_echo_ignored", request=_pop("echo")), {"completions.echo"}, set()),
    (
        Fault("completion_n_ignored", request=_pop("n")),
        {"completions.n_choices"},
        set(),
    ),
    (
        Fault("completion_stream_without_done", events=lambda evs: [e for e in evs if e != DONE]),
        COMPLETIONS_STREAMS,
        set(),
    ),
    (
        Fault("completion_stream_chat_chunks", chunk=_completion(_to_chat_chunk)),
        COMPLETIONS_STREAMS,
        set(),
    ),
    (
        Fault("completion_finish_on_every_chunk", chunk=_completion(_finish_on_every_chunk)),
        COMPLETIONS_STREAMS,
        set(),
    ),
    (
        Fault(
            "completion_usage_total_wrong",
            body=_completion(_bump_total),
            chunk=_completion(_bump_total),
        ),
        {
            "completions.basic",
            "completions.max_tokens_length",
            "completions.prompt_list",
            "completions.n_choices",
            "completions.stream_usage",
        },
        set(),
    ),
    (
        # vLLM's continuous usage style: every chunk repeats the running usage.
        Fault("completion_usage_on_every_chunk", chunk=_completion(_usage_everywhere)),
        {"completions.stream_usage"},
        set(),
    ),
    (
        Fault("completion_logprob_arrays_unequal", body=_completion(_drop_logprob_offsets)),
        {"completions.logprobs"},
        set(),
    ),
    (
        Fault("base64_differs_from_float", body=_embedding_list(_perturb_base64)),
        {"embeddings.base64"},
        set(),
    ),
    (
        Fault("base64_big_endian", body=_embedding_list(_big_endian_base64)),
        {"embeddings.base64"},
        set(),
    ),
    (Fault("dimensions_ignored", request=_pop("dimensions")), {"embeddings.dimensions"}, set()),
    (
        Fault("embedding_batch_reversed", body=_embedding_list(lambda b: b["data"].reverse())),
        {"embeddings.batch", "embeddings.token_id_batch", "embeddings.base64"},
        set(),
    ),
    (
        Fault(
            "embedding_usage_without_total",
            body=_embedding_list(lambda b: b["usage"].pop("total_tokens")),
        ),
        EMBEDDING_SCHEMA_CASES,
        set(),
    ),
    (
        Fault("embedding_usage_total_wrong", body=_embedding_list(_bump_total)),
        set(),
        {"embeddings.single", "embeddings.batch"},
    ),
    (
        Fault("embedding_lengths_differ", body=_embedding_list(_shorten_last)),
        {
            "embeddings.batch",
            "embeddings.token_id_batch",
            "embeddings.base64",
            "embeddings.dimensions",
        },
        set(),
    ),
    (
        Fault("embedding_token_ids_refused", request=_refuse_token_ids),
        {"embeddings.token_ids", "embeddings.token_id_batch"},
        set(),
    ),
]


@pytest.mark.parametrize(("fault", "failing", "warning"), CASES, ids=[c[0].name for c in CASES])
def test_broken_server_is_flagged_by_exactly_the_expected_cases(
    suite_run: RunAgainst, fault: Fault, failing: set[str], warning: set[str]
) -> None:
    report = suite_run(BrokenApp(fault, TEST_KEY), keyword=MINE)
    assert {c.case_id.split(".")[0] for c in report.cases} == {"completions", "embeddings"}
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == failing
    assert outcomes(report, Outcome.WARN) == warning
    for case in report.cases:
        if case.case_id in failing:
            assert any(f.outcome is Outcome.FAIL and f.message for f in case.findings)


def test_reference_passes_every_completions_and_embeddings_case(suite_run: RunAgainst) -> None:
    report = suite_run(create_app(api_key=TEST_KEY), keyword=MINE)
    assert len(report.cases) == 26
    assert {c.case_id: c.outcome for c in report.cases if c.outcome is not Outcome.PASS} == {}


@pytest.mark.parametrize(
    ("key", "case_id"), [("suffix", "completions.suffix"), ("dimensions", "embeddings.dimensions")]
)
def test_a_400_for_an_optional_feature_is_unsupported_not_a_failure(
    suite_run: RunAgainst, key: str, case_id: str
) -> None:
    fault = Fault(f"{key}_refused", request=_make_invalid_if(key))
    report = suite_run(BrokenApp(fault, TEST_KEY), keyword=MINE)
    assert outcomes(report, Outcome.UNSUPPORTED) == {case_id}
    assert outcomes(report, Outcome.FAIL) == set()
    assert outcomes(report, Outcome.WARN) == set()


def _completions_streams_without_done(app: Any) -> Any:
    """The reference, but legacy /completions streams (only) never send `data: [DONE]`."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/v1/completions"):
            await app(scope, receive, send)
            return

        async def out(message: Any) -> None:
            if message["type"] == "http.response.body":
                body = message.get("body", b"").replace(b"data: [DONE]\n\n", b"")
                message = {**message, "body": body}
            await send(message)

        await app(scope, receive, out)

    return wrapped


def test_a_completions_fault_decertifies_completions_not_chat_streaming(
    suite_run: RunAgainst,
) -> None:
    # STREAM-003 ([DONE]) is shared by chat and /completions streams; each profile is judged
    # on its own API's cases, and claiming chat-streaming selects no /completions case.
    app = _completions_streams_without_done(create_app(api_key=TEST_KEY))
    report = suite_run(app)
    assert outcomes(report, Outcome.FAIL) == COMPLETIONS_STREAMS
    verdicts = {p.name: p for p in report.profiles}
    assert verdicts["completions"].verdict is ProfileVerdict.NOT_CERTIFIED
    assert "STREAM-003" in verdicts["completions"].failing
    assert verdicts["chat-streaming"].verdict is ProfileVerdict.CERTIFIED
    assert verdicts["chat-core"].verdict is ProfileVerdict.CERTIFIED
    claimed = suite_run(app, profiles=("chat-streaming",))
    assert claimed.cases and not [c for c in claimed.cases if c.api == "openai-completions"]
    assert [(p.name, p.verdict) for p in claimed.profiles] == [
        ("chat-streaming", ProfileVerdict.CERTIFIED)
    ]
