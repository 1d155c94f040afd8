"""Unit tests of the completions and embeddings checks, on hand-made captures."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Issue, IssueKind, Unverifiable
from llmconform.checks.openai.completions import fold_completion_chunks, prompts_of
from llmconform.checks.openai.embeddings import VectorError, decode_vector, input_count
from llmconform.model import BodyChunk, Capture, Case, Request

CASE = Case(id="t", title="t", api="openai-completions", steps=(), checks=())


def capture(
    request: dict[str, Any], body: Any, *, status: int = 200, path: str = "/completions"
) -> Capture:
    """A capture of `body` (JSON, or a list of SSE payloads when the request streams)."""
    stream = request.get("stream") is True
    if stream:
        data = "".join(f"data: {json.dumps(p) if not isinstance(p, str) else p}\n\n" for p in body)
        ctype = "text/event-stream"
    else:
        data, ctype = json.dumps(body), "application/json"
    return Capture(
        request=Request("POST", path, json=request, stream=stream),
        status=status,
        headers=(("content-type", ctype),),
        chunks=(BodyChunk(0, data.encode()),),
        t_sent_ns=0,
    )


def run(name: str, *captures: Capture, **args: Any) -> list[Issue]:
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    return list(CHECKS[name].fn(CheckContext(CASE, exchanges, args)))


def completion(*choices: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1700000000,
        "model": "m",
        "choices": list(choices),
        **extra,
    }


def choice(index: int = 0, text: str = "hi", finish: str | None = "stop", **kw: Any) -> Any:
    return {"index": index, "text": text, "logprobs": None, "finish_reason": finish, **kw}


def b64(vector: list[float], fmt: str = "<") -> str:
    return base64.b64encode(struct.pack(f"{fmt}{len(vector)}f", *vector)).decode()


def emb_list(*vectors: Any, indices: list[int] | None = None, **usage: Any) -> dict[str, Any]:
    idx = indices if indices is not None else list(range(len(vectors)))
    return {
        "object": "list",
        "model": "m",
        "data": [
            {"object": "embedding", "index": i, "embedding": v}
            for i, v in zip(idx, vectors, strict=True)
        ],
        "usage": usage or {"prompt_tokens": 2, "total_tokens": 2},
    }


def requirements(issues: list[Issue]) -> list[str]:
    return [i.requirement for i in issues]


# --- completions ---------------------------------------------------------------------------


def test_schema_flags_a_chat_shaped_body() -> None:
    body = completion(choice())
    assert run("completions.schema", capture({"prompt": "a"}, body)) == []
    body["object"] = "chat.completion"
    assert requirements(run("completions.schema", capture({"prompt": "a"}, body))) == ["CMPL-001"]


def test_prompts_of_reads_every_prompt_form() -> None:
    def ex(prompt: Any) -> Exchange:
        return Exchange(0, capture({"prompt": prompt}, {}))

    assert prompts_of(ex("a")) == ["a"]
    assert prompts_of(ex(["a", "b"])) == ["a", "b"]
    assert prompts_of(ex([1, 2])) == [None]
    assert prompts_of(ex([[1], [2], [3]])) == [None, None, None]


@pytest.mark.parametrize(
    ("request_", "indices", "ok"),
    [
        ({"prompt": "a"}, [0], True),
        ({"prompt": ["a", "b"]}, [0, 1], True),
        ({"prompt": ["a", "b"]}, [0], False),
        ({"prompt": ["a", "b"], "n": 2}, [0, 1, 2, 3], True),
        ({"prompt": "a", "n": 2}, [0, 0], False),
    ],
)
def test_choices_counts_n_per_prompt(
    request_: dict[str, Any], indices: list[int], ok: bool
) -> None:
    body = completion(*(choice(i) for i in indices))
    assert (run("completions.choices", capture(request_, body)) == []) is ok


def test_length_wants_length_and_the_limit_kept() -> None:
    req = {"prompt": "a", "max_tokens": 2}
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert (
        run("completions.length", capture(req, completion(choice(finish="length"), usage=usage)))
        == []
    )
    over = dict(usage, completion_tokens=3, total_tokens=4)
    issues = run("completions.length", capture(req, completion(choice(finish="stop"), usage=over)))
    assert requirements(issues) == ["CMPL-LEN-001", "CMPL-LEN-002"]


def test_stop_and_echo() -> None:
    req = {"prompt": "alpha beta", "stop": ["beta"]}
    assert run("completions.stop", capture(req, completion(choice(text="alpha ")))) == []
    assert requirements(
        run("completions.stop", capture(req, completion(choice(text="a beta"))))
    ) == ["CMPL-STOP-001"]
    echo = {"prompt": ["p", "q"], "echo": True}
    good = completion(choice(0, "p and more"), choice(1, "q"))
    bad = completion(choice(0, "p and more"), choice(1, "more"))
    assert run("completions.echo", capture(echo, good)) == []
    assert [i.path for i in run("completions.echo", capture(echo, bad))] == ["$.choices[1].text"]
    with pytest.raises(Unverifiable):
        run("completions.echo", capture({"prompt": [1, 2], "echo": True}, good))


def _lp(tokens: list[str], top: list[Any], offsets: list[int]) -> dict[str, Any]:
    return {
        "tokens": tokens,
        "token_logprobs": [0.0] * len(tokens),
        "top_logprobs": top,
        "text_offset": offsets,
    }


@pytest.mark.parametrize(
    ("logprobs", "ok"),
    [
        (_lp(["a", "b"], [{"a": 0.0, "x": -1.0}, {"b": 0.0}], [3, 4]), True),
        (_lp(["a", "b"], [None, {"b": 0.0, "c": -1, "d": -2}], [0, 1]), True),  # k+1 allowed
        (_lp(["a", "b"], [{"a": 0.0, "b": -1, "c": -2, "d": -3}, {}], [0, 1]), False),
        (_lp(["a", "b"], [{}, {}], [0]), False),
        (_lp(["a", "c"], [{}, {}], [0, 1]), False),
        (_lp(["a", "b"], [{}, {}], [1, 0]), False),
        (_lp(["bytes:\\xe2", "b"], [{}, {}], [0, 1]), True),  # byte tokens: no join check
        (None, False),
    ],
)
def test_logprobs_arrays(logprobs: Any, ok: bool) -> None:
    body = completion(choice(text="ab", logprobs=logprobs))
    issues = run("completions.logprobs", capture({"prompt": "x", "logprobs": 2}, body))
    assert (issues == []) is ok, issues


def test_suffix_400_is_unsupported_and_other_errors_fail() -> None:
    req = {"prompt": "a", "suffix": "b"}
    [issue] = run("completions.suffix", capture(req, {"error": {"message": "no"}}, status=400))
    assert issue.kind is IssueKind.UNSUPPORTED
    [issue] = run("completions.suffix", capture(req, {"error": {"message": "no"}}, status=500))
    assert issue.kind is IssueKind.VIOLATION
    assert run("completions.suffix", capture(req, completion(choice()))) == []
    bad = run("completions.suffix", capture(req, {"object": "chat.completion"}))
    assert bad and {i.requirement for i in bad} == {"CMPL-001"}


def test_fold_and_stream_checks() -> None:
    chunks = [
        completion(choice(0, "he", None)),
        completion(choice(1, "x", None)),
        completion(choice(0, "llo", None)),
        completion(choice(0, "", "length"), choice(1, "", "stop")),
        completion(usage={"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}),
    ]
    chunks[-1]["choices"] = []
    folded = fold_completion_chunks(chunks)
    assert [(c["index"], c["text"], c["finish_reason"]) for c in folded["choices"]] == [
        (0, "hello", "length"),
        (1, "x", "stop"),
    ]
    assert folded["usage"]["total_tokens"] == 4
    req = {"prompt": "a", "n": 2, "stream": True}
    cap = capture(req, [*chunks, "[DONE]"])
    assert run("completions.finish_once", cap) == []
    assert run("completions.chunk_schema", cap) == []
    assert run("completions.choices", cap) == []
    assert run("completions.usage", cap) == []
    late = capture(req, [*chunks[:4], completion(choice(0, "more", None)), "[DONE]"])
    assert requirements(run("completions.finish_once", late)) == ["CMPL-STREAM-002"]
    twice = capture(req, [completion(choice(0, "a", "stop")), *chunks[3:4], "[DONE]"])
    assert "choice 0 has 2" in run("completions.finish_once", twice)[0].message


def test_usage_arithmetic() -> None:
    bad = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 4}
    assert requirements(run("completions.usage", capture({}, completion(usage=bad)))) == [
        "CMPL-USAGE-002"
    ]
    assert requirements(run("completions.usage", capture({}, completion()))) == ["CMPL-USAGE-001"]


# --- embeddings ----------------------------------------------------------------------------


def test_decode_vector_reads_floats_and_little_endian_base64() -> None:
    assert decode_vector([1, 0.5]) == [1.0, 0.5]
    assert decode_vector(b64([0.25, -2.0])) == [0.25, -2.0]
    for bad in ("%%%", base64.b64encode(b"abc").decode(), [True], {"a": 1}):
        with pytest.raises(VectorError):
            decode_vector(bad)


@pytest.mark.parametrize(
    ("value", "count"),
    [("a", 1), (["a", "b"], 2), ([1, 2, 3], 1), ([[1], [2]], 2)],
)
def test_input_count(value: Any, count: int) -> None:
    assert input_count(Exchange(0, capture({"input": value}, {}, path="/embeddings"))) == count


def test_items_want_one_per_input_in_order() -> None:
    req = {"input": ["a", "b"]}
    ok = emb_list([1.0], [2.0])
    assert run("embeddings.items", capture(req, ok)) == []
    assert requirements(run("embeddings.items", capture(req, emb_list([1.0])))) == ["EMB-002"]
    shuffled = emb_list([1.0], [2.0], indices=[1, 0])
    assert (
        "indices in response order are [1, 0]"
        in run("embeddings.items", capture(req, shuffled))[0].message
    )


def test_vectors_of_one_length_across_exchanges_and_finite() -> None:
    a = capture({"input": "a"}, emb_list([0.1, 0.2]))
    b = capture({"input": "a"}, emb_list(b64([0.1, 0.2, 0.3])))
    assert run("embeddings.vectors", a, a) == []
    assert "differ in length" in run("embeddings.vectors", a, b)[0].message
    nan = capture({"input": "a"}, emb_list([float("nan"), 0.1]))
    assert requirements(run("embeddings.vectors", nan)) == ["EMB-003"]
    error = capture({"input": "a"}, {"error": {"message": "x"}}, status=400)
    with pytest.raises(Unverifiable):
        run("embeddings.vectors", error)


def test_base64_must_hold_the_float_vector() -> None:
    vector = [0.1, -0.2, 1e-9]
    floats = capture({"encoding_format": "float"}, emb_list(vector))
    same = capture({"encoding_format": "base64"}, emb_list(b64(vector)))
    assert run("embeddings.base64", floats, same) == []
    big_endian = capture({"encoding_format": "base64"}, emb_list(b64(vector, ">")))
    assert requirements(run("embeddings.base64", floats, big_endian)) == ["EMB-004"]
    arrays = capture({"encoding_format": "base64"}, emb_list(vector))
    assert requirements(run("embeddings.base64", floats, arrays)) == ["EMB-005"]
    shorter = capture({"encoding_format": "base64"}, emb_list(b64(vector[:2])))
    assert requirements(run("embeddings.base64", floats, shorter)) == ["EMB-004"]


def test_base64_tolerates_float_printing_within_the_tolerance() -> None:
    vector = [0.123456789, -0.5, 3e-12]
    printed = capture({}, emb_list([0.1234568, -0.5, 0.0]))  # 7 digits, tiny value dropped
    assert run("embeddings.base64", printed, capture({}, emb_list(b64(vector)))) == []


def test_dimensions() -> None:
    req = {"input": "a", "dimensions": 2}
    assert run("embeddings.dimensions", capture(req, emb_list([0.6, 0.8]))) == []
    assert requirements(run("embeddings.dimensions", capture(req, emb_list([1.0, 0, 0])))) == [
        "EMB-006"
    ]
    [refused] = run("embeddings.dimensions", capture(req, {"error": {"message": "x"}}, status=400))
    assert refused.kind is IssueKind.UNSUPPORTED
    [broken] = run("embeddings.dimensions", capture(req, {"error": {"message": "x"}}, status=500))
    assert broken.kind is IssueKind.VIOLATION


@pytest.mark.parametrize(
    ("usage", "ok"),
    [
        ({"prompt_tokens": 3, "total_tokens": 3}, True),
        ({"prompt_tokens": 3, "total_tokens": 4}, False),
        ({"prompt_tokens": 3}, False),
        ({"prompt_tokens": -1, "total_tokens": -1}, False),
    ],
)
def test_embedding_usage(usage: dict[str, Any], ok: bool) -> None:
    body = emb_list([1.0], **usage)
    assert (run("embeddings.usage", capture({"input": "a"}, body)) == []) is ok


def test_accepts_tokens() -> None:
    assert run("embeddings.accepts_tokens", capture({"input": [1]}, emb_list([1.0]))) == []
    refused = capture({"input": [1]}, {"error": {"message": "x"}}, status=400)
    assert requirements(run("embeddings.accepts_tokens", refused)) == ["EMB-007"]


def test_length_after_a_natural_early_stop_is_undecided() -> None:
    # llama-server: {"text": "", "finish_reason": "stop"} after 1 token with a limit of 5.
    req = {"prompt": "a", "max_tokens": 5}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    body = completion(choice(text="", finish="stop"), usage=usage)
    [issue] = run("completions.length", capture(req, body))
    assert (issue.requirement, issue.kind.value) == ("CMPL-LEN-001", "inconclusive")
    cut = dict(usage, completion_tokens=5, total_tokens=6)  # cut at the limit, says stop
    body = completion(choice(finish="stop"), usage=cut)
    [issue] = run("completions.length", capture(req, body))
    assert issue.kind.value == "violation"


def test_base64_values_are_compared_only_for_a_deterministic_server() -> None:
    # xpyd-sim: vectors are random per call, so two float answers already differ.
    vector, other = [0.1, -0.2, 0.3], [0.7, 0.1, -0.4]
    floats = capture({"encoding_format": "float"}, emb_list(vector))
    as_b64 = capture({"encoding_format": "base64"}, emb_list(b64([0.5, 0.5, 0.5])))
    again = capture({"encoding_format": "float"}, emb_list(other))
    [issue] = run("embeddings.base64", floats, as_b64, again)
    assert (issue.requirement, issue.kind) == ("EMB-004", IssueKind.INCONCLUSIVE)
    assert "not deterministic" in issue.message and "component 0 was 0.1, then 0.7" in issue.message
    # Random, but base64 of the wrong length is still wrong.
    short = capture({"encoding_format": "base64"}, emb_list(b64([0.5, 0.5])))
    issues = run("embeddings.base64", floats, short, again)
    assert [i.kind for i in issues] == [IssueKind.VIOLATION, IssueKind.INCONCLUSIVE]
    # Deterministic (the float answers agree): a different base64 vector fails, and says so.
    same_again = capture({"encoding_format": "float"}, emb_list(vector))
    [issue] = run("embeddings.base64", floats, as_b64, same_again)
    assert issue.kind is IssueKind.VIOLATION and "two float answers agreed" in issue.message
    good = capture({"encoding_format": "base64"}, emb_list(b64(vector)))
    assert run("embeddings.base64", floats, good, same_again) == []
