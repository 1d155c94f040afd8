"""The official `anthropic` SDK against a served reference server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from llmconform.reference import create_app, serve_in_thread

anthropic = pytest.importorskip("anthropic")
if not hasattr(anthropic, "Anthropic"):  # tests/anthropic/ itself, not the SDK
    pytest.skip("the anthropic SDK is not installed", allow_module_level=True)

KEY = "sk-ant-test-0123456789"
MODEL = "llmconform-reference"
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    server = serve_in_thread(create_app(KEY))
    yield server.url
    server.stop()


@pytest.fixture
def client(url: str) -> Iterator[Any]:
    with anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0, timeout=10) as c:
        yield c


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_create(client: Any) -> None:
    message = client.messages.create(
        model=MODEL, max_tokens=64, system="Be terse.", messages=user("Hello big world")
    )
    assert message.content[0].text == "Hello big world"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 3
    assert message._request_id.startswith("req_")


def test_stop_sequence_and_max_tokens(client: Any) -> None:
    stop = client.messages.create(
        model=MODEL, max_tokens=64, stop_sequences=["big"], messages=user("Hello big world")
    )
    assert (stop.content[0].text, stop.stop_reason, stop.stop_sequence) == (
        "Hello ",
        "stop_sequence",
        "big",
    )
    cut = client.messages.create(model=MODEL, max_tokens=1, messages=user("Hello big world"))
    assert (cut.content[0].text, cut.stop_reason) == ("Hello", "max_tokens")


def test_stream_helper(client: Any) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=user("one two three four")
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "one two three four"
    assert final.content[0].text == text
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 4)


def test_raw_stream_events(client: Any) -> None:
    events = client.messages.create(model=MODEL, max_tokens=64, messages=user("a b"), stream=True)
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert kinds.count("content_block_delta") == 2


def test_streamed_thinking(client: Any) -> None:
    with client.messages.stream(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=user("hi"),
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking and final.content[0].signature


def test_tool_round_trip(client: Any) -> None:
    first = client.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=user("Weather in Paris?"),
    )
    assert first.stop_reason == "tool_use"
    (call,) = [b for b in first.content if b.type == "tool_use"]
    assert call.name == "get_weather" and isinstance(call.input["city"], str)
    final = client.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],
        messages=[
            *user("Weather in Paris?"),
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Sunny"}],
            },
        ],
    )
    assert (final.content[0].text, final.stop_reason) == ("Sunny", "end_turn")


def test_streamed_tool_input(client: Any) -> None:
    with client.messages.stream(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],
        tool_choice={"type": "any"},
        messages=user("Weather?"),
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == {"city": "x"}
    assert final.stop_reason == "tool_use"


def test_errors_raise_typed_exceptions(client: Any, url: str) -> None:
    with pytest.raises(anthropic.NotFoundError) as not_found:
        client.messages.create(model="no-such-model", max_tokens=8, messages=user("hi"))
    assert not_found.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(
            model=MODEL, max_tokens=8, messages=[{"role": "wizard", "content": "hi"}]
        )
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model=MODEL, max_tokens=0, messages=user("hi"))
    bad = anthropic.Anthropic(base_url=url, api_key="wrong", max_retries=0, timeout=10)
    with bad, pytest.raises(anthropic.AuthenticationError) as denied:
        bad.messages.create(model=MODEL, max_tokens=8, messages=user("hi"))
    assert "wrong" not in str(denied.value)
