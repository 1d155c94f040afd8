"""Unit tests of the function-calling checks with hand-made captures."""

from __future__ import annotations

import json
from typing import Any

from capture_kit import capture, chunk, completion, reqs, run

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}},
]


def request(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": TOOLS, **extra}


def call(name: str = "get_weather", args: Any = None, id: Any = "call_1") -> dict[str, Any]:
    if args is None:
        args = json.dumps({"city": "Paris", "unit": "c"})
    return {"id": id, "type": "function", "function": {"name": name, "arguments": args}}


def calls_body(*calls: dict[str, Any], finish: str = "tool_calls") -> dict[str, Any]:
    return completion({"content": None, "tool_calls": list(calls)}, finish=finish)


def test_a_valid_call_passes_every_tool_check() -> None:
    cap = capture(request(tool_choice="required"), calls_body(call()))
    for name in ("tools.calls", "tools.finish_reason", "tools.required"):
        assert run(name, cap) == [], name


def test_call_shape_problems_name_their_requirement() -> None:
    bad = [
        (call(id=""), "TOOLS-001"),
        ({**call(), "type": "tool"}, "TOOLS-001"),
        (call(name="get_wether"), "TOOLS-001"),
        (call(args={"city": "Paris", "unit": "c"}), "TOOLS-002"),
        (call(args='{"city": "Paris"'), "TOOLS-002"),
        (call(args="[1]"), "TOOLS-002"),
        (call(args=json.dumps({"city": "Paris"})), "TOOLS-003"),
        (call(args=json.dumps({"city": "Paris", "unit": "k"})), "TOOLS-003"),
        (call(args=json.dumps({"city": 1, "unit": "c", "extra": 1})), "TOOLS-003"),
    ]
    for item, requirement in bad:
        issues = run("tools.calls", capture(request(), calls_body(item)))
        assert requirement in reqs(issues), (item, issues)


def test_truncated_arguments_are_not_judged_as_json() -> None:
    cap = capture(request(), calls_body(call(args='{"city": "Pa'), finish="length"))
    assert run("tools.calls", cap) == []


def test_duplicate_ids_are_flagged() -> None:
    cap = capture(request(), calls_body(call(), call("get_time", "{}")))
    assert reqs(run("tools.calls", cap)) == ["TOOLS-007"]


def test_finish_reason_with_tool_calls() -> None:
    stop = calls_body(call(), finish="stop")
    assert reqs(run("tools.finish_reason", capture(request(), stop))) == ["TOOLS-004"]
    # OpenAI itself says "stop" when the call was forced by name.
    named = request(tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert run("tools.finish_reason", capture(named, stop)) == []
    text = completion({"content": "hi"}, finish="tool_calls")
    assert reqs(run("tools.finish_reason", capture(request(), text))) == ["TOOLS-004"]


def test_required_and_named_choices() -> None:
    text = completion({"content": "It is sunny."})
    assert reqs(run("tools.required", capture(request(tool_choice="required"), text))) == [
        "TOOLS-005"
    ]
    named = request(tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert reqs(run("tools.required", capture(named, calls_body(call())))) == ["TOOLS-005"]
    assert run("tools.required", capture(named, calls_body(call("get_time", "{}")))) == []


def test_none_forbids_calls() -> None:
    assert reqs(run("tools.none", capture(request(tool_choice="none"), calls_body(call())))) == [
        "TOOLS-006"
    ]
    text = completion({"content": "It is sunny."})
    assert run("tools.none", capture(request(tool_choice="none"), text)) == []


def test_round_trip() -> None:
    first = capture(request(), calls_body(call()))
    answer = capture(request(), completion({"content": "Sunny."}))
    assert run("tools.round_trip", first, answer) == []
    again = capture(request(), calls_body(call()))
    assert set(reqs(run("tools.round_trip", first, again))) == {"TOOLS-008"}
    refused = capture(request(), {"error": {"message": "no"}}, status=400)
    assert reqs(run("tools.round_trip", first, refused)) == ["TOOLS-008"]
    only_first = run("tools.round_trip", first)
    assert reqs(only_first) == ["TOOLS-008"] and "cannot verify" in only_first[0].message
    # Cut by max_tokens before any call: the model talked too long, nothing to judge.
    cut = capture(request(), completion({"content": "Let me think"}, finish="length"))
    [inconclusive] = run("tools.round_trip", cut)
    assert inconclusive.kind.value == "inconclusive" and "cut by max_tokens" in inconclusive.message


def fragments(*, index: bool = True, repeat: str | None = None) -> list[dict[str, Any]]:
    """A streamed call of get_weather in three fragments."""
    head = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    parts: list[dict[str, Any]] = [head, {"function": {"arguments": '{"city": "Paris",'}},
             {"function": {"arguments": ' "unit": "c"}'}}]  # fmt: skip
    if repeat == "id":
        parts[1]["id"] = "call_1"
    if repeat == "name":
        parts[2]["function"]["name"] = "get_weather"
    if index:
        parts = [{"index": 0, **p} for p in parts]
    chunks = [chunk({"role": "assistant", "content": None})]
    chunks += [chunk({"tool_calls": [p]}) for p in parts]
    return [*chunks, chunk({}, "tool_calls")]


def test_stream_fragments() -> None:
    req = request(stream=True, tool_choice="required")
    good = capture(req, chunks=fragments())
    assert run("tools.stream_fragments", good) == []
    assert run("tools.calls", good) == []
    assert set(
        reqs(run("tools.stream_fragments", capture(req, chunks=fragments(index=False))))
    ) == {"TOOLS-STREAM-001"}
    for field in ("id", "name"):
        issues = run("tools.stream_fragments", capture(req, chunks=fragments(repeat=field)))
        assert reqs(issues) == ["TOOLS-STREAM-002"], field
    no_type = fragments()
    del no_type[1]["choices"][0]["delta"]["tool_calls"][0]["type"]
    assert reqs(run("tools.stream_fragments", capture(req, chunks=no_type))) == ["TOOLS-STREAM-002"]


def test_repeated_type_and_null_id_in_later_fragments_are_tolerated() -> None:
    chunks = fragments()
    chunks[2]["choices"][0]["delta"]["tool_calls"][0].update(type="function", id=None)
    assert run("tools.stream_fragments", capture(request(stream=True), chunks=chunks)) == []


def test_stream_matches_non_stream() -> None:
    plain = capture(request(), calls_body(call()))
    streamed = capture(request(stream=True), chunks=fragments())
    assert run("tools.stream_matches", plain, streamed, against=0) == []
    other = capture(request(), calls_body(call("get_time", "{}")))
    assert reqs(run("tools.stream_matches", other, streamed, against=0)) == ["TOOLS-STREAM-003"]
    stopped = capture(request(), calls_body(call(), finish="stop"))
    assert reqs(run("tools.stream_matches", stopped, streamed, against=0)) == ["TOOLS-STREAM-003"]


def test_stream_matches_compares_only_what_sampling_does_not_decide() -> None:
    # llama-server ignores a forced tool_choice and samples text: 'length' once, 'stop' once.
    text = capture(request(), completion({"content": "It is"}, finish="length"))
    stopped = capture(request(stream=True), chunks=[chunk({"content": "Sun"}, finish="stop")])
    assert run("tools.stream_matches", text, stopped, against=0) == []
    # A call cut at the limit: its arguments are sampled, its function is not.
    cut = capture(request(), calls_body(call(args='{"city": "Pa'), finish="length"))
    streamed = capture(request(stream=True), chunks=fragments())
    assert run("tools.stream_matches", cut, streamed, against=0) == []
    renamed = capture(request(), calls_body(call("get_time", '{"ci'), finish="length"))
    assert reqs(run("tools.stream_matches", renamed, streamed, against=0)) == ["TOOLS-STREAM-003"]


def test_legacy_function_call_must_agree_with_the_tool_calls() -> None:
    req = request(tool_choice="required")
    agreeing = calls_body(call())
    agreeing["choices"][0]["message"]["function_call"] = dict(call()["function"])
    assert run("tools.calls", capture(req, agreeing)) == []
    # smollm2-fc: function_call.name "get_weather:" next to a tool call named get_weather.
    odd = calls_body(call())
    odd["choices"][0]["message"]["function_call"] = {**call()["function"], "name": "get_weather:"}
    issues = run("tools.calls", capture(req, odd))
    assert reqs(issues) == ["TOOLS-009"] and issues[0].path.endswith("function_call.name")
    # Streamed: function_call fragments are folded like the tool calls.
    chunks = fragments()
    chunks[1]["choices"][0]["delta"]["function_call"] = {"name": "get_time", "arguments": ""}
    streamed = capture(request(stream=True, tool_choice="required"), chunks=chunks)
    assert "TOOLS-009" in reqs(run("tools.calls", streamed))
