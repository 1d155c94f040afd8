"""The official `openai` SDK against a served reference: legacy completions and embeddings."""

from __future__ import annotations

import math
from collections.abc import Iterator

import openai
import pytest

from llmconform.reference import create_app, serve_in_thread
from llmconform.reference.embeddings import DEFAULT_DIMENSIONS

MODEL = "llmconform-reference"
KEY = "sk-test-completions-embeddings-0123"


@pytest.fixture(scope="module")
def client() -> Iterator[openai.OpenAI]:
    server = serve_in_thread(create_app(KEY))
    try:
        with openai.OpenAI(
            base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=10
        ) as c:
            yield c
    finally:
        server.stop()
    assert not server.running


def test_completions_create(client: openai.OpenAI) -> None:
    completion = client.completions.create(model=MODEL, prompt="Hello big world", max_tokens=2)
    assert completion.object == "text_completion"
    [choice] = completion.choices
    assert choice.text == "Hello big"
    assert choice.finish_reason == "length"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 2)


def test_completions_echo_and_logprobs(client: openai.OpenAI) -> None:
    completion = client.completions.create(
        model=MODEL, prompt="a b", echo=True, logprobs=1, max_tokens=1
    )
    [choice] = completion.choices
    assert choice.text == "a ba"
    assert choice.logprobs is not None
    assert choice.logprobs.tokens == ["a", " b", "a"]
    assert choice.logprobs.text_offset == [0, 1, 3]


def test_completions_stream(client: openai.OpenAI) -> None:
    whole = client.completions.create(model=MODEL, prompt=["one two", "three"], n=2)
    stream = client.completions.create(
        model=MODEL,
        prompt=["one two", "three"],
        n=2,
        stream=True,
        stream_options={"include_usage": True},
    )
    texts: dict[int, str] = {}
    usage = None
    for chunk in stream:
        assert chunk.object == "text_completion"
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + choice.text
        usage = chunk.usage or usage
    assert texts == {c.index: c.text for c in whole.choices}
    assert usage == whole.usage


def test_completions_errors_raise_typed_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="nope", prompt="a")
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model=MODEL, prompt="a", logprobs=9)
    assert "logprobs" in str(info.value)


def test_embeddings_default_base64_is_decoded_by_the_sdk(client: openai.OpenAI) -> None:
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    default = client.embeddings.create(model=MODEL, input=["a", "b"])
    floats = client.embeddings.create(model=MODEL, input=["a", "b"], encoding_format="float")
    assert [d.index for d in default.data] == [0, 1]
    for got, want in zip(default.data, floats.data, strict=True):
        assert len(got.embedding) == DEFAULT_DIMENSIONS
        assert list(got.embedding) == pytest.approx(want.embedding, rel=1e-6)
    assert default.usage.prompt_tokens == default.usage.total_tokens == 2


def test_embeddings_explicit_base64_is_a_string(client: openai.OpenAI) -> None:
    response = client.embeddings.create(model=MODEL, input="a", encoding_format="base64")
    assert isinstance(response.data[0].embedding, str)


def test_embeddings_dimensions(client: openai.OpenAI) -> None:
    response = client.embeddings.create(
        model=MODEL, input="hello", dimensions=12, encoding_format="float"
    )
    vector = response.data[0].embedding
    assert len(vector) == 12
    assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model=MODEL, input="hello", dimensions=DEFAULT_DIMENSIONS + 1)
