"""The official openai SDK against a served reference: tools, streamed tool calls through the
SDK's stream accumulator, and structured outputs through `parse`. The last tests show why
the streaming requirements are MUSTs: the same helper breaks on servers that violate them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel

from llmconform.reference import RunningServer, create_app, serve_in_thread

from broken_servers import BrokenApp
from tool_faults import FAULTS

MODEL = "llmconform-reference"
KEY = "sk-llmconform-sdk-test-0123456789"


class GetWeather(BaseModel):
    """Current weather for a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


class Person(BaseModel):
    name: str
    age: int
    hobbies: list[str]


def _serve(app: Any) -> Iterator[RunningServer]:
    server = serve_in_thread(app)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    yield from _serve(create_app(KEY))


@pytest.fixture
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=10) as c:
        yield c


def _weather_tool() -> Any:
    return openai.pydantic_function_tool(GetWeather)


def _ask(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def test_create_with_required_tool_choice(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=_ask("Weather in Paris?"), tools=[_weather_tool()],
        tool_choice="required",
    )  # fmt: skip
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "GetWeather"
    assert GetWeather.model_validate_json(call.function.arguments) == GetWeather(
        city="", unit="celsius"
    )


def test_round_trip_with_the_sdk(client: openai.OpenAI) -> None:
    messages: list[Any] = _ask("Use GetWeather for Paris.")
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[_weather_tool()])
    msg = first.choices[0].message
    assert msg.tool_calls
    messages.append(msg.model_dump(exclude_none=True))
    for call in msg.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=[_weather_tool()])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "Use GetWeather for Paris."


def test_stream_helper_accumulates_tool_calls(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(
        model=MODEL, messages=_ask("Weather?"), tools=[_weather_tool()], tool_choice="required"
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.delta" in kinds
    assert kinds.count("tool_calls.function.arguments.done") == 1
    [call] = final.choices[0].message.tool_calls or []
    assert call.function.parsed_arguments == GetWeather(city="", unit="celsius")
    assert call.id.startswith("call_")


def test_streamed_call_equals_non_streamed_shape(client: openai.OpenAI) -> None:
    tools = [_weather_tool()]
    plain = client.chat.completions.parse(
        model=MODEL, messages=_ask("x"), tools=tools, tool_choice="required"
    )
    with client.chat.completions.stream(
        model=MODEL, messages=_ask("x"), tools=tools, tool_choice="required"
    ) as stream:
        streamed = stream.get_final_completion()
    a, b = plain.choices[0], streamed.choices[0]
    assert a.finish_reason == b.finish_reason == "tool_calls"
    [ca], [cb] = a.message.tool_calls or [], b.message.tool_calls or []
    assert (ca.type, ca.function.name, json.loads(ca.function.arguments)) == (
        cb.type,
        cb.function.name,
        json.loads(cb.function.arguments),
    )


def test_parse_with_a_pydantic_response_format(client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(
        model=MODEL, messages=_ask("Describe a person."), response_format=Person
    )
    assert completion.choices[0].message.parsed == Person(name="", age=0, hobbies=[])


def test_json_object_mode(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=_ask("hello"), response_format={"type": "json_object"}
    )
    assert json.loads(completion.choices[0].message.content or "") == {"reply": "hello"}


def test_logprobs_through_the_sdk(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=_ask("one two"), logprobs=True, top_logprobs=2
    )
    content = completion.choices[0].logprobs.content  # type: ignore[union-attr]
    assert [t.token for t in content or []] == ["one", " two"]
    assert all(len(t.top_logprobs) == 2 for t in content or [])


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("tool_fragment_without_index", (RuntimeError, TypeError)),
        ("tool_fragment_repeats_id", None),
    ],
)
def test_the_sdk_stream_helper_breaks_on_bad_fragments(fault: str, error: Any) -> None:
    for broken in _serve(BrokenApp(FAULTS[fault], KEY)):
        with openai.OpenAI(
            base_url=f"{broken.url}/v1", api_key=KEY, max_retries=0, timeout=10
        ) as sdk:
            kwargs: dict[str, Any] = {"tools": [_weather_tool()], "tool_choice": "required"}
            if error is not None:
                with (
                    pytest.raises(error),
                    sdk.chat.completions.stream(
                        model=MODEL, messages=_ask("x"), **kwargs
                    ) as stream,
                ):
                    stream.get_final_completion()
                continue
            with sdk.chat.completions.stream(model=MODEL, messages=_ask("x"), **kwargs) as stream:
                final = stream.get_final_completion()
            # The repeated id is concatenated: the client now answers a call that never was.
            [call] = final.choices[0].message.tool_calls or []
            assert call.id.endswith("call_repeated")
            assert call.id != "call_repeated"
