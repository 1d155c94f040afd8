"""The official `openai` SDK's Responses client against a served reference on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from llmconform.reference import create_app, serve_in_thread

KEY = "sk-responses-sdk-0123456789"
MODEL = "llmconform-reference"
TOOLS: list[Any] = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "strict": False,
    }
]


@pytest.fixture(scope="module")
def client() -> Iterator[openai.OpenAI]:
    server = serve_in_thread(create_app(KEY))
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=10) as c:
        yield c
    server.stop()


def test_create(client: openai.OpenAI) -> None:
    response = client.responses.create(model=MODEL, input="Hello big world", instructions="Hi.")
    assert response.status == "completed"
    assert response.output_text == "Hello big world"
    assert response.instructions == "Hi."
    assert response.usage is not None and response.usage.output_tokens == 3
    assert client.responses.retrieve(response.id).output_text == "Hello big world"


def test_stream_events(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model=MODEL, input="one two three", stream=True))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "one two three"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_stream_helper_accumulates_the_final_response(client: openai.OpenAI) -> None:
    with client.responses.stream(model=MODEL, input="alpha beta") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "alpha beta"
    assert final.output_text == "alpha beta"


def test_tool_call_round_trip_with_previous_response_id(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model=MODEL, input="Weather in Paris?", tools=TOOLS, tool_choice="required"
    )
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather"
    assert call.arguments == '{"city": "example"}'
    second = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        tools=TOOLS,
    )
    assert second.previous_response_id == first.id
    assert second.output_text == "sunny"


def test_streamed_tool_call(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model=MODEL, input="Weather?", tools=TOOLS, tool_choice="required"
    ) as stream:
        final = stream.get_final_response()
    [call] = final.output
    assert call.type == "function_call" and call.arguments == '{"city": "example"}'


def test_incomplete_and_errors(client: openai.OpenAI) -> None:
    cut = client.responses.create(model=MODEL, input=" ".join(["w"] * 40), max_output_tokens=16)
    assert cut.status == "incomplete"
    assert cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="nope", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MODEL, input="x", previous_response_id="resp_missing")
    assert info.value.code == "previous_response_not_found"


def test_compact(client: openai.OpenAI) -> None:
    compacted = client.responses.compact(
        model=MODEL,
        input=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
    )
    assert compacted.object == "response.compaction"
    history: list[Any] = [i.model_dump(warnings=False) for i in compacted.output]
    follow = client.responses.create(
        model=MODEL,
        input=[
            *history,
            {"role": "user", "content": "c"},
        ],
    )
    assert follow.output_text == "c"
