"""The reference server's Anthropic endpoint, called in process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from llmconform.model import BodyChunk
from llmconform.protocol.anthropic_messages import fold_stream, text_of
from llmconform.protocol.sse import decode_sse
from llmconform.reference.anthropic_tools import example_instance
from llmconform.reference.app import create_app

KEY = "sk-ant-test-0123456789"
MODEL = "llmconform-reference"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
WEATHER = {
    "name": "get_weather",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
        "required": ["city", "unit"],
    },
}


def call(
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    path: str = "/v1/messages",
    method: str = "POST",
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(api_key=KEY))
        async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as c:
            return await c.request(
                method, path, json=body, headers=HEADERS if headers is None else headers
            )

    return asyncio.run(go())


def ask(text: str = "Hello big world", **extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def streamed(body: dict[str, Any]) -> dict[str, Any]:
    response = call({**body, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events, _ = decode_sse([BodyChunk(0, response.content)])
    folded = fold_stream((e.event, e.data) for e in events)
    assert folded.violations == ()
    assert folded.message is not None
    return folded.message


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["type"] == "error"
    assert isinstance(body["error"]["message"], str)
    return response.status_code, body["error"]["type"]


def test_echo_with_usage() -> None:
    body = call(ask()).json()
    assert body["content"] == [{"type": "text", "text": "Hello big world"}]
    assert body["stop_reason"] == "end_turn"
    assert body["stop_sequence"] is None
    # 3 tokens of text + 3 per message + 3 priming; 3 output tokens.
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (9, 3)
    assert body["id"].startswith("msg_")


def test_max_tokens_and_stop_sequences() -> None:
    cut = call(ask(max_tokens=2)).json()
    assert (text_of(cut), cut["stop_reason"], cut["usage"]["output_tokens"]) == (
        "Hello big",
        "max_tokens",
        2,
    )
    stop = call(ask(stop_sequences=["world", "big"])).json()
    assert (text_of(stop), stop["stop_reason"], stop["stop_sequence"]) == (
        "Hello ",
        "stop_sequence",
        "big",
    )


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"max_tokens": 2},
        {"stop_sequences": ["big"]},
        {"tools": [WEATHER], "tool_choice": {"type": "any"}},
        {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048},
    ],
)
def test_stream_folds_into_the_non_streamed_message(extra: dict[str, Any]) -> None:
    plain = call(ask(**extra)).json()
    folded = streamed(ask(**extra))
    for key in ("model", "stop_reason", "stop_sequence", "usage"):
        assert folded[key] == plain[key], key
    strip = [{k: v for k, v in b.items() if k != "id"} for b in plain["content"]]
    assert [{k: v for k, v in b.items() if k != "id"} for b in folded["content"]] == strip


def test_forced_tool_use_has_schema_valid_input() -> None:
    body = call(ask(tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"})).json()
    (block,) = body["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_")
    assert block["input"] == {"city": "x", "unit": "c"}
    assert body["stop_reason"] == "tool_use"
    auto = call(ask(tools=[WEATHER], tool_choice={"type": "auto"})).json()
    assert auto["stop_reason"] == "end_turn" and text_of(auto) == "Hello big world"
    starved = call(ask(max_tokens=1, tools=[WEATHER], tool_choice={"type": "any"})).json()
    assert (starved["content"], starved["stop_reason"]) == ([], "max_tokens")


def test_thinking_block_comes_first() -> None:
    body = call(ask(thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=2048)).json()
    assert [b["type"] for b in body["content"]] == ["thinking", "text"]
    assert body["content"][0]["signature"]


def test_tool_round_trip() -> None:
    first = call(ask("Weather?", tools=[WEATHER], tool_choice={"type": "any"})).json()
    call_id = first["content"][0]["id"]
    turns = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": first["content"]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "Sunny"}],
        },
    ]
    final = call({"model": MODEL, "max_tokens": 64, "tools": [WEATHER], "messages": turns})
    assert final.status_code == 200
    assert text_of(final.json()) == "Sunny"
    turns[2]["content"] = [{"type": "tool_result", "tool_use_id": "toolu_other", "content": "x"}]
    stray = call({"model": MODEL, "max_tokens": 64, "tools": [WEATHER], "messages": turns})
    assert error_of(stray) == (400, "invalid_request_error")
    unanswered = call(
        {
            "model": MODEL,
            "max_tokens": 64,
            "messages": [*turns[:2], {"role": "user", "content": "?"}],
        }
    )
    assert error_of(unanswered) == (400, "invalid_request_error")


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
            400,
            "invalid_request_error",
        ),
        ({"model": MODEL, "max_tokens": 8}, 400, "invalid_request_error"),
        (
            {"max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
            400,
            "invalid_request_error",
        ),
        (ask(max_tokens=0), 400, "invalid_request_error"),
        (ask(temperature=1.5), 400, "invalid_request_error"),
        (ask(tool_choice={"type": "any"}), 400, "invalid_request_error"),
        (
            ask(tools=[WEATHER], tool_choice={"type": "tool", "name": "nope"}),
            400,
            "invalid_request_error",
        ),
        (ask(thinking={"type": "enabled", "budget_tokens": 100}), 400, "invalid_request_error"),
        (ask(stop_sequences=[" "]), 400, "invalid_request_error"),
        ({**ask(), "messages": [{"role": "wizard", "content": "x"}]}, 400, "invalid_request_error"),
        (ask(model="no-such-model"), 404, "not_found_error"),
    ],
)
def test_invalid_requests_get_anthropic_errors(body: Any, status: int, kind: str) -> None:
    assert error_of(call(body)) == (status, kind)


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}],
        [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": [{"type": "text", "text": "Be terse."}]},
        ],
    ],
)
def test_system_role_in_messages_is_accepted_as_system_text(messages: list[Any]) -> None:
    # The Messages API accepts role "system" inside messages since 2026-05 (Claude Code sends
    # it); the reference answers like it: a Message, the text counted as prompt.
    plain = call(ask("hi")).json()
    answer = call({**ask(), "messages": messages})
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "message"
    assert body["content"][0]["text"] == plain["content"][0]["text"]
    assert body["usage"]["input_tokens"] > plain["usage"]["input_tokens"]


def test_version_header_is_required_and_checked() -> None:
    assert error_of(call(ask(), headers={"x-api-key": KEY})) == (400, "invalid_request_error")
    assert call(ask(), headers={**HEADERS, "anthropic-version": "2099-01-01"}).status_code == 200
    bad = {**HEADERS, "anthropic-version": "latest"}
    assert error_of(call(ask(), headers=bad)) == (400, "invalid_request_error")


def test_auth_uses_x_api_key_on_messages_and_bearer_elsewhere() -> None:
    version = {"anthropic-version": "2023-06-01"}
    assert error_of(call(ask(), headers=version)) == (401, "authentication_error")
    wrong = {**version, "x-api-key": "nope"}
    assert error_of(call(ask(), headers=wrong)) == (401, "authentication_error")
    # Recent official SDKs send the key as a bearer token; both forms are accepted.
    assert call(ask(), headers={**version, "authorization": f"Bearer {KEY}"}).status_code == 200
    bad_bearer = {**version, "authorization": "Bearer nope"}
    assert error_of(call(ask(), headers=bad_bearer)) == (401, "authentication_error")
    assert KEY not in call(ask(), headers=wrong).text
    # OpenAI endpoints keep bearer tokens and OpenAI's envelope.
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    openai = call(chat, path="/v1/chat/completions", headers={"x-api-key": KEY})
    assert openai.status_code == 401 and "type" in openai.json()["error"]
    assert "param" in openai.json()["error"]
    ok = call(chat, path="/v1/chat/completions", headers={"authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200


def test_wrong_method_and_subpaths_answer_in_anthropic_shape() -> None:
    assert error_of(call(method="GET"))[0] == 405
    assert error_of(call(ask(), path="/v1/messages/nope")) == (404, "not_found_error")
    malformed = call(headers=HEADERS)
    assert error_of(malformed) == (400, "invalid_request_error")


SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 3}}, "required": ["a"]},
    {
        "type": "object",
        "properties": {"n": {"type": "integer", "exclusiveMinimum": 5}},
        "required": ["n"],
    },
    {
        "type": "object",
        "properties": {"x": {"type": "number", "minimum": 2.5, "maximum": 3}},
        "required": ["x"],
    },
    {
        "type": "object",
        "properties": {
            "l": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True}
        },
        "required": ["l"],
    },
    {
        "type": "object",
        "properties": {
            "o": {"type": "object", "properties": {"b": {"type": "boolean"}}, "required": ["b"]}
        },
        "required": ["o"],
    },
    {
        "type": "object",
        "properties": {"d": {"type": "string", "format": "date-time"}, "e": {"const": 7}},
        "required": ["d", "e"],
    },
    {
        "type": "object",
        "properties": {"u": {"anyOf": [{"type": "integer", "minimum": 3}, {"type": "null"}]}},
        "required": ["u"],
    },
    {
        "type": "object",
        "allOf": [{"properties": {"p": {"type": ["null", "string"]}}, "required": ["p"]}],
    },
    {"type": "object", "properties": {"opt": {"type": "string"}}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_example_instances_are_valid(schema: dict[str, Any]) -> None:
    value = example_instance(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(value)) == [], value
    assert json.loads(json.dumps(value)) == value
