"""The reference server honours tools, response_format and logprobs deterministically."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from llmconform.reference import create_app
from llmconform.reference.instances import minimal_instance

MODEL = "llmconform-reference"
WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}},
    {"type": "function", "function": {"name": "get_time"}},
]


def post(body: dict[str, Any]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as c:
            return await c.post("/v1/chat/completions", json={"model": MODEL, **body})

    return asyncio.run(go())


def ask(text: str, **body: Any) -> httpx.Response:
    return post({"messages": [{"role": "user", "content": text}], **body})


def message(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "schema",
    [
        WEATHER,
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "required": ["a"],
            "$defs": {"A": {"type": "array", "items": {"const": 3}, "minItems": 2}},
        },
        {"anyOf": [{"type": "null"}, {"type": "string"}]},
        {"type": ["null", "number"], "exclusiveMinimum": 0.5},
        {"type": "integer", "exclusiveMaximum": -3},
        {"allOf": [{"properties": {"x": {"type": "boolean"}}, "required": ["x"]}]},
        {},
    ],
)
def test_minimal_instance_validates(schema: dict[str, Any]) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(minimal_instance(schema)))
    assert errors == []


def test_minimal_instance_values() -> None:
    assert minimal_instance(WEATHER) == {"city": "aa", "unit": "celsius", "days": 1}
    assert minimal_instance({"type": "string", "const": "x"}) == "x"


def test_required_calls_the_first_tool_with_valid_arguments() -> None:
    response = ask("What is the weather?", tools=TOOLS, tool_choice="required")
    msg = message(response)
    [call] = msg["tool_calls"]
    assert msg["content"] is None
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "aa", "unit": "celsius", "days": 1}
    assert response.json()["choices"][0]["finish_reason"] == "tool_calls"


def test_named_choice_and_tools_named_in_the_prompt() -> None:
    named = {"type": "function", "function": {"name": "get_time"}}
    [call] = message(ask("weather?", tools=TOOLS, tool_choice=named))["tool_calls"]
    assert call["function"] == {"name": "get_time", "arguments": "{}"}
    both = message(ask("Use get_time, then get_weather.", tools=TOOLS, tool_choice="required"))
    assert [c["function"]["name"] for c in both["tool_calls"]] == ["get_time", "get_weather"]
    assert len({c["id"] for c in both["tool_calls"]}) == 2
    one = ask("Use get_time, then get_weather.", tools=TOOLS, parallel_tool_calls=False)
    assert [c["function"]["name"] for c in message(one)["tool_calls"]] == ["get_time"]


def test_auto_calls_only_when_a_function_is_named() -> None:
    assert "tool_calls" not in message(ask("What is the weather?", tools=TOOLS))
    assert message(ask("call get_weather please", tools=TOOLS))["tool_calls"]
    # A prefix of a name is not the name.
    assert "tool_calls" not in message(ask("get_weathering", tools=TOOLS))


def test_none_and_tool_results_answer_in_text() -> None:
    none = message(ask("call get_weather", tools=TOOLS, tool_choice="none"))
    assert none["content"] == "call get_weather" and "tool_calls" not in none
    first = message(ask("call get_weather", tools=TOOLS))
    history = [
        {"role": "user", "content": "call get_weather"},
        {"role": "assistant", "content": None, "tool_calls": first["tool_calls"]},
        {"role": "tool", "tool_call_id": first["tool_calls"][0]["id"], "content": "sunny"},
    ]
    answer = post({"messages": history, "tools": TOOLS})
    assert message(answer)["content"] == "call get_weather"
    assert answer.json()["choices"][0]["finish_reason"] == "stop"


def test_max_tokens_cuts_tool_arguments_with_length() -> None:
    response = ask("x", tools=TOOLS, tool_choice="required", max_tokens=2)
    body = response.json()
    [call] = body["choices"][0]["message"]["tool_calls"]
    assert body["choices"][0]["finish_reason"] == "length"
    assert call["function"]["arguments"] == '{"city":'
    assert body["usage"]["completion_tokens"] == 2


def test_streamed_tool_call_fragments() -> None:
    response = ask("x", tools=TOOLS, tool_choice="required", stream=True)
    payloads = [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    frags = [c["choices"][0]["delta"].get("tool_calls") for c in chunks]
    frags = [f[0] for f in frags if f]
    assert len(frags) >= 3
    assert all(f["index"] == 0 for f in frags)
    assert {"id", "type"} <= set(frags[0]) and frags[0]["function"]["name"] == "get_weather"
    assert all("id" not in f and "name" not in f["function"] for f in frags[1:])
    args = "".join(f["function"]["arguments"] for f in frags)
    assert json.loads(args) == {"city": "aa", "unit": "celsius", "days": 1}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_response_formats() -> None:
    obj = json.loads(message(ask("hi there", response_format={"type": "json_object"}))["content"])
    assert obj == {"reply": "hi there"}
    fmt = {"type": "json_schema", "json_schema": {"name": "w", "strict": True, "schema": WEATHER}}
    value = json.loads(message(ask("hi", response_format=fmt))["content"])
    assert list(Draft202012Validator(WEATHER).iter_errors(value)) == []


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": "s"}}},
         "response_format.json_schema.schema"),
        ({"response_format": {"type": "json_schema"}}, "response_format.json_schema"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "a b"}}},
         "response_format.json_schema.name"),
        ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "nope"}}},
         "tool_choice"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]},
         "tools[0].function.name"),
        ({"tools": [{"type": "retrieval"}]}, "tools[0].type"),
        ({"tools": [TOOLS[1], TOOLS[1]]}, "tools"),
        ({"metadata": {"k": 1}}, "metadata.k"),
    ],
)  # fmt: skip
def test_malformed_tool_and_format_requests_are_400(extra: dict[str, Any], param: str) -> None:
    response = ask("hi", **extra)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_top_logprobs_lists_exactly_n_alternatives() -> None:
    body = ask("a b c", logprobs=True, top_logprobs=5).json()
    content = body["choices"][0]["logprobs"]["content"]
    assert "".join(e["token"] for e in content) == "a b c"
    for e in content:
        tops = e["top_logprobs"]
        assert len(tops) == 5 and tops[0]["token"] == e["token"]
        assert len({t["token"] for t in tops}) == 5
        assert all(t["logprob"] <= 0 for t in tops)
    body = ask("the", logprobs=True, top_logprobs=20).json()
    assert len(body["choices"][0]["logprobs"]["content"][0]["top_logprobs"]) == 20
