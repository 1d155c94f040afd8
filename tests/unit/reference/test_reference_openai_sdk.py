"""The official `openai` SDK against a served reference server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

if TYPE_CHECKING:
    from llmconform.reference import RunningServer
    from unit.reference.conftest import Kit

MODEL = "llmconform-reference"


@pytest.fixture
def client(served: RunningServer, kit: type[Kit]) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{served.url}/v1", api_key=kit.API_KEY, max_retries=0, timeout=10
    ) as c:
        yield c


def _ask(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "system", "content": "Be terse."}, {"role": "user", "content": text}]


def test_create(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=_ask("Hello big world"))
    assert completion.object == "chat.completion"
    assert completion.model == MODEL
    [choice] = completion.choices
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content == "Hello big world"
    assert choice.message.refusal is None
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3
    assert completion.usage.prompt_tokens == (2 + 3) + (3 + 3) + 3
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 3


def test_stream_with_usage_matches_non_stream(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=_ask("one two three"))
    stream = client.chat.completions.create(
        model=MODEL,
        messages=_ask("one two three"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert whole.usage is not None
    assert chunks[-1].usage.model_dump() == whole.usage.model_dump()
    assert len({c.id for c in chunks}) == 1


def test_stream_helper_accumulates(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(model=MODEL, messages=_ask("snap shot")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "snap shot"
    assert final.choices[0].finish_reason == "stop"


def test_n_choices(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=_ask("a b"), n=2)
    assert [c.index for c in completion.choices] == [0, 1]
    assert {c.message.content for c in completion.choices} == {"a b"}
    assert completion.usage is not None and completion.usage.completion_tokens == 4


def test_stop(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=_ask("red green blue"), stop=[" blue"]
    )
    assert completion.choices[0].message.content == "red green"
    assert completion.choices[0].finish_reason == "stop"


def test_max_tokens_gives_length(client: openai.OpenAI) -> None:
    limits: list[dict[str, Any]] = [{"max_tokens": 2}, {"max_completion_tokens": 2}]
    for limit in limits:
        completion = client.chat.completions.create(
            model=MODEL, messages=_ask("red green blue"), **limit
        )
        assert completion.choices[0].message.content == "red green"
        assert completion.choices[0].finish_reason == "length"


def test_extra_body_fields_are_tolerated(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=_ask("fine"), extra_body={"top_k": 5, "repetition_penalty": 1.1}
    )
    assert completion.choices[0].message.content == "fine"


def test_models_list_and_retrieve(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == [MODEL, "other-model"]
    model = client.models.retrieve(MODEL)
    assert model.id == MODEL and model.object == "model"
    assert isinstance(model.created, int) and model.owned_by


def test_not_found_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nope", messages=_ask("x"))
    assert info.value.status_code == 404
    assert info.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-nope")


def test_authentication_error(served: RunningServer) -> None:
    with (
        openai.OpenAI(
            base_url=f"{served.url}/v1", api_key="sk-wrong", max_retries=0, timeout=10
        ) as bad,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        bad.chat.completions.create(model=MODEL, messages=_ask("x"))
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert "sk-wrong" not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [{"temperature": 3}, {"n": 0}, {"max_tokens": 0}, {"stop": ["a", "b", "c", "d", "e"]}],
)
def test_bad_request_errors(client: openai.OpenAI, bad: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=_ask("x"), **bad)
    assert info.value.status_code == 400
    assert info.value.type == "invalid_request_error"
    assert info.value.param == next(iter(bad))


def test_bad_request_on_empty_messages(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=MODEL, messages=[])
    assert info.value.param == "messages"


def test_async_client_streams(served: RunningServer, kit: type[Kit]) -> None:
    async def go() -> str:
        async with openai.AsyncOpenAI(
            base_url=f"{served.url}/v1", api_key=kit.API_KEY, max_retries=0, timeout=10
        ) as client:
            stream = await client.chat.completions.create(
                model=MODEL, messages=_ask("async works"), stream=True
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert kit.run(go()) == "async works"
