"""The reference server's POST /v1/completions, called in process."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from llmconform.schema.validation import validate

if TYPE_CHECKING:
    from unit.reference.completions_embeddings.conftest import Ref

SCHEMA = "urn:llmconform:schema:openai/"


def test_a_completion_echoes_the_prompt_in_the_documented_shape(ref: Ref) -> None:
    r = ref.completion(prompt="Hello big world")
    assert r.status_code == 200
    body = r.json()
    assert validate(body, SCHEMA + "completion") == []
    assert body["object"] == "text_completion"
    assert body["id"].startswith("cmpl-")
    assert body["choices"] == [
        {"text": "Hello big world", "index": 0, "logprobs": None, "finish_reason": "stop"}
    ]
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}


def test_max_tokens_defaults_to_16_as_documented(ref: Ref) -> None:
    prompt = " ".join(f"w{i}" for i in range(20))
    body = ref.completion(prompt=prompt).json()
    [choice] = body["choices"]
    assert choice["finish_reason"] == "length"
    assert choice["text"] == " ".join(f"w{i}" for i in range(16))
    assert body["usage"]["completion_tokens"] == 16


def test_max_tokens_zero_with_echo_returns_only_the_prompt(ref: Ref) -> None:
    # The loglikelihood pattern of evaluation harnesses.
    [choice] = ref.completion(prompt="a b c", max_tokens=0, echo=True).json()["choices"]
    assert choice["text"] == "a b c"
    assert choice["finish_reason"] == "length"


def test_stop_cuts_before_the_sequence(ref: Ref) -> None:
    [choice] = ref.completion(prompt="alpha beta gamma delta", stop=["gamma"]).json()["choices"]
    assert choice["text"] == "alpha beta "
    assert choice["finish_reason"] == "stop"


def test_prompt_lists_and_n_give_n_choices_per_prompt_in_order(ref: Ref) -> None:
    body = ref.completion(prompt=["one", "two words"], n=2).json()
    texts = [(c["index"], c["text"]) for c in body["choices"]]
    assert texts == [(0, "one"), (1, "one"), (2, "two words"), (3, "two words")]
    # Each prompt counts once; every choice's generated tokens count.
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}


@pytest.mark.parametrize(
    ("prompt", "texts", "prompt_tokens"),
    [([5, 6, 7], ["5 6 7"], 3), ([[1, 2], [3]], ["1 2", "3"], 3)],
)
def test_token_id_prompts(ref: Ref, prompt: object, texts: list[str], prompt_tokens: int) -> None:
    body = ref.completion(prompt=prompt).json()
    assert [c["text"] for c in body["choices"]] == texts
    assert body["usage"]["prompt_tokens"] == prompt_tokens


def test_echo_and_logprobs(ref: Ref) -> None:
    [choice] = ref.completion(prompt="Hi there", echo=True, logprobs=2, max_tokens=1).json()[
        "choices"
    ]
    assert choice["text"] == "Hi thereHi"
    lp = choice["logprobs"]
    assert lp["tokens"] == ["Hi", " there", "Hi"]
    assert lp["token_logprobs"] == [None, 0.0, 0.0]
    assert lp["top_logprobs"] == [None, {" there": 0.0}, {"Hi": 0.0}]
    assert lp["text_offset"] == [0, 2, 8]


def test_logprob_offsets_start_after_the_prompt_without_echo(ref: Ref) -> None:
    [choice] = ref.completion(prompt="Hi there", logprobs=0).json()["choices"]
    assert choice["logprobs"]["text_offset"] == [8, 10]
    assert choice["logprobs"]["top_logprobs"] == [{}, {}]


def test_stream_chunks_join_to_the_non_streamed_text(ref: Ref) -> None:
    whole = ref.completion(prompt="one two three", n=2).json()
    chunks = ref.chunks(
        ref.completion(
            prompt="one two three", n=2, stream=True, stream_options={"include_usage": True}
        )
    )
    for chunk in chunks:
        assert validate(chunk, SCHEMA + "completion.chunk") == []
    assert len({c["id"] for c in chunks}) == 1
    for index in (0, 1):
        mine = [ch for c in chunks for ch in c["choices"] if ch["index"] == index]
        assert "".join(ch["text"] for ch in mine) == whole["choices"][index]["text"]
        assert [ch["finish_reason"] for ch in mine][-1] == "stop"
        assert all(ch["finish_reason"] is None for ch in mine[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == whole["usage"]
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_member(ref: Ref) -> None:
    chunks = ref.chunks(ref.completion(prompt="a b", stream=True))
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": []}, "prompt"),
        ({"prompt": [1, "a"]}, "prompt"),
        ({"prompt": {"text": "a"}}, "prompt"),
        ({"prompt": "a", "logprobs": 6}, "logprobs"),
        ({"prompt": "a", "max_tokens": -1}, "max_tokens"),
        ({"prompt": "a", "n": 0}, "n"),
        ({"prompt": "a", "n": 3, "best_of": 2}, "best_of"),
        ({"prompt": "a", "stream": True, "best_of": 2}, "best_of"),
        ({"prompt": "a", "stream_options": {"include_usage": True}}, "stream_options"),
        ({"prompt": "a", "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"prompt": "a", "echo": "yes"}, "echo"),
        ({"prompt": "a", "suffix": 3}, "suffix"),
        ({"prompt": "a", "temperature": 3}, "temperature"),
    ],
)
def test_invalid_requests_get_a_400_naming_the_parameter(
    ref: Ref, body: dict[str, object], param: str
) -> None:
    r = ref.completion(**body)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_missing_and_unknown_models(ref: Ref) -> None:
    missing = ref.post("/v1/completions", {"prompt": "a"})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "model"
    unknown = ref.completion(model="nope", prompt="a")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"
