"""The reference Responses server: exact outputs, streams, chaining, compaction, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from llmconform.protocol import open_responses as sm
from llmconform.protocol.open_responses_machine import analyze
from llmconform.reference import create_app, serve_in_thread
from llmconform.reference.responses import ResponsesService
from llmconform.reference.responses_output import example_value
from llmconform.schema.validation import validate

KEY = "sk-responses-test-0123456789"
MODEL = "llmconform-reference"
SCHEMA = "urn:llmconform:schema:responses/"
TOOL = {
    "type": "function",
    "name": "book",
    "parameters": {
        "type": "object",
        "properties": {
            "people": {"type": "integer", "minimum": 1},
            "when": {"type": "string", "minLength": 10},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "kind": {"enum": ["indoor", "outdoor"]},
            "note": {"type": ["null", "string"]},
        },
        "required": ["people", "when", "tags", "kind", "note"],
    },
}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    server = serve_in_thread(create_app(KEY))
    with httpx.Client(
        base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
    ) as c:
        yield c
    server.stop()


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/responses", json={"model": MODEL, **body})
    assert r.status_code == 200, r.text
    value: dict[str, Any] = r.json()
    return value


def stream(client: httpx.Client, **body: Any) -> tuple[list[tuple[str, Any]], httpx.Response]:
    r = client.post("/responses", json={"model": MODEL, "stream": True, **body})
    events = []
    for block in r.text.split("\n\n"):
        if not block:
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        data = lines["data"]
        events.append((lines.get("event", ""), data if data == "[DONE]" else json.loads(data)))
    return events, r


def output_text(response: dict[str, Any]) -> str:
    return "".join(
        p["text"] for it in response["output"] if it["type"] == "message" for p in it["content"]
    )


def test_echo_reply_with_exact_usage(client: httpx.Client) -> None:
    r = create(client, input="Hello big world", instructions="Be terse.")
    assert validate(r, SCHEMA + "response") == []
    assert r["object"] == "response" and r["status"] == "completed"
    assert r["id"].startswith("resp_") and r["instructions"] == "Be terse."
    assert output_text(r) == "Hello big world"
    # (3 tokens + 3) for the message, 3 priming, (2 + 3) for the instructions.
    assert r["usage"]["input_tokens"] == 6 + 3 + 5
    assert r["usage"]["output_tokens"] == 3
    assert r["usage"]["total_tokens"] == 6 + 3 + 5 + 3


def test_max_output_tokens_makes_an_incomplete_response(client: httpx.Client) -> None:
    words = " ".join(f"w{i}" for i in range(30))
    r = create(client, input=words, max_output_tokens=16)
    assert r["status"] == "incomplete"
    assert r["incomplete_details"] == {"reason": "max_output_tokens"}
    assert r["output"][-1]["status"] == "incomplete"
    assert output_text(r) == " ".join(f"w{i}" for i in range(16))
    assert r["usage"]["output_tokens"] == 16


def test_forced_tool_call_has_arguments_valid_against_the_schema(client: httpx.Client) -> None:
    r = create(client, input="book it", tools=[TOOL], tool_choice="required")
    [call] = r["output"]
    assert call["type"] == "function_call" and call["name"] == "book"
    assert call["call_id"].startswith("call_") and call["status"] == "completed"
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

    args = json.loads(call["arguments"])
    assert list(Draft202012Validator(TOOL["parameters"]).iter_errors(args)) == []


def test_example_value_covers_the_common_schema_keywords() -> None:
    value = example_value(TOOL["parameters"])
    assert value == {
        "people": 1,
        "when": "examplexxx",
        "tags": ["example", "example"],
        "kind": "indoor",
        "note": "example",
    }
    assert example_value({"anyOf": [{"type": "boolean"}]}) is False
    assert example_value({"type": "number", "exclusiveMinimum": 2}) == 3.0


def test_tool_choice_modes(client: httpx.Client) -> None:
    other = {"type": "function", "name": "other", "parameters": {"type": "object"}}
    auto = create(client, input="hi", tools=[other, TOOL])
    assert auto["output"][0]["name"] == "other"
    named = create(
        client, input="hi", tools=[other, TOOL], tool_choice={"type": "function", "name": "book"}
    )
    assert named["output"][0]["name"] == "book"
    allowed = {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "book"}],
    }
    assert (
        create(client, input="hi", tools=[other, TOOL], tool_choice=allowed)["output"][0]["name"]
        == "book"
    )
    none = create(client, input="hi", tools=[other, TOOL], tool_choice="none")
    assert output_text(none) == "hi"


def test_function_call_output_round_trip_answers_in_text(client: httpx.Client) -> None:
    first = create(client, input="book it", tools=[TOOL], tool_choice="required")
    call = first["output"][0]
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": "booked"}
    second = create(
        client, input=[{"role": "user", "content": "book it"}, call, result], tools=[TOOL]
    )
    assert output_text(second) == "booked"


def test_previous_response_id_continues_the_context(client: httpx.Client) -> None:
    first = create(client, input="book it", tools=[TOOL], tool_choice="required")
    call_id = first["output"][0]["call_id"]
    result = {"type": "function_call_output", "call_id": call_id, "output": "done"}
    second = create(client, previous_response_id=first["id"], input=[result], tools=[TOOL])
    assert second["previous_response_id"] == first["id"]
    assert output_text(second) == "done"
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"]
    assert client.get(f"/responses/{second['id']}").json() == second


def test_unknown_or_unstored_previous_response(client: httpx.Client) -> None:
    unstored = create(client, input="x", store=False)
    for rid in ("resp_nope", unstored["id"]):
        r = client.post(
            "/responses", json={"model": MODEL, "input": "x", "previous_response_id": rid}
        )
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "previous_response_not_found"
    assert client.get("/responses/resp_nope").status_code == 404


def test_store_is_bounded() -> None:
    service = ResponsesService(limit=2)
    for i in range(3):
        service._remember({"id": f"r{i}"}, ())
    assert list(service._store) == ["r1", "r2"]


def test_stream_follows_the_state_machine_and_matches_non_stream(client: httpx.Client) -> None:
    events, r = stream(client, input="one two three")
    assert r.headers["content-type"].startswith("text/event-stream")
    assert events[-1] == ("", "[DONE]")
    assert all(name == data["type"] for name, data in events[:-1])
    assert [d["sequence_number"] for _, d in events[:-1]] == list(range(len(events) - 1))
    stream_events = [
        sm.StreamEvent(i, n or None, d, d if isinstance(d, str) else "")
        for i, (n, d) in enumerate(events)
    ]
    report = analyze(stream_events)
    assert report.violations == []
    assert report.text_of(0) == "one two three"
    for _, data in events[:-1]:
        assert validate(data, SCHEMA + "stream.event") == [], data["type"]
    deltas = [d["delta"] for _, d in events if isinstance(d, dict) and d["type"].endswith("delta")]
    assert deltas == ["one", " two", " three"]


def test_streamed_tool_call(client: httpx.Client) -> None:
    events, _ = stream(client, input="go", tools=[TOOL], tool_choice="required")
    kinds = [d["type"] for _, d in events if isinstance(d, dict)]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.function_call_arguments.done" in kinds and kinds[-1] == "response.completed"
    args = "".join(
        d["delta"]
        for _, d in events
        if isinstance(d, dict) and d["type"].endswith("arguments.delta")
    )
    assert json.loads(args)["kind"] == "indoor"


def test_streamed_incomplete(client: httpx.Client) -> None:
    events, _ = stream(client, input=" ".join(["w"] * 40), max_output_tokens=16)
    name, last = events[-2]
    assert name == "response.incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_compaction_round_trip(client: httpx.Client) -> None:
    convo = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "second"},
    ]
    r = client.post("/responses/compact", json={"model": MODEL, "input": convo})
    assert r.status_code == 200
    compacted = r.json()
    assert validate(compacted, SCHEMA + "compaction") == []
    assert [i["type"] for i in compacted["output"]] == ["message", "message", "compaction"]
    follow = create(client, input=[*compacted["output"], {"role": "user", "content": "third"}])
    assert output_text(follow) == "third"
    forged = {"type": "compaction", "encrypted_content": "not-ours"}
    bad = client.post("/responses", json={"model": MODEL, "input": [forged]})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_encrypted_content"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "model"),
        ({"model": MODEL}, "input"),
        ({"model": MODEL, "input": 3}, "input"),
        (
            {"model": MODEL, "input": [{"type": "message", "role": "bot", "content": "x"}]},
            "input[0].role",
        ),
        (
            {
                "model": MODEL,
                "input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}],
            },
            "input[0].content[0].type",
        ),
        ({"model": MODEL, "input": "x", "max_output_tokens": 15}, "max_output_tokens"),
        ({"model": MODEL, "input": "x", "tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"model": MODEL, "input": "x", "tool_choice": "required"}, "tool_choice"),
        ({"model": MODEL, "input": "x", "stream_options": {}}, "stream_options"),
        ({"model": MODEL, "input": "x", "truncation": "middle"}, "truncation"),
    ],
)
def test_invalid_requests_get_400_naming_the_parameter(
    client: httpx.Client, body: dict[str, Any], param: str
) -> None:
    # stream_options is only wrong without a stream, so it is only sent without one.
    for stream_flag in (False,) if "stream_options" in body else (False, True):
        r = client.post("/responses", json={**body, "stream": stream_flag})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"]["param"] == param


def test_unknown_model_is_404(client: httpx.Client) -> None:
    r = client.post("/responses", json={"model": "nope", "input": "x"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "model_not_found"


# Twelve required string members: their example arguments take 24 tokens, more than 16.
WIDE_TOOL = {
    "type": "function",
    "name": "fill",
    "parameters": {
        "type": "object",
        "properties": {f"f{i}": {"type": "string"} for i in range(12)},
        "required": [f"f{i}" for i in range(12)],
    },
}


def test_max_output_tokens_cuts_a_function_call(client: httpx.Client) -> None:
    whole = create(client, input="go", tools=[WIDE_TOOL], tool_choice="required")
    full_args = whole["output"][0]["arguments"]
    assert whole["status"] == "completed" and json.loads(full_args)["f11"] == "example"
    cut = create(
        client, input="go", tools=[WIDE_TOOL], tool_choice="required", max_output_tokens=16
    )
    assert validate(cut, SCHEMA + "response") == []
    assert (cut["status"], cut["incomplete_details"]) == (
        "incomplete",
        {"reason": "max_output_tokens"},
    )
    [call] = cut["output"]
    assert call["status"] == "incomplete" and call["name"] == "fill"
    # The name costs one token, the arguments the other 15: a prefix of the whole call.
    assert full_args.startswith(call["arguments"]) and call["arguments"] != full_args
    assert cut["usage"]["output_tokens"] == 16
    # Streamed, the cut call follows the state machine and ends in response.incomplete.
    events, _ = stream(
        client, input="go", tools=[WIDE_TOOL], tool_choice="required", max_output_tokens=16
    )
    report = analyze(
        sm.StreamEvent(i, n or None, d, d if isinstance(d, str) else "")
        for i, (n, d) in enumerate(events)
    )
    assert report.violations == [] and report.terminal_type == "response.incomplete"
    assert events[-2][1]["response"]["output"][0]["arguments"] == call["arguments"]
