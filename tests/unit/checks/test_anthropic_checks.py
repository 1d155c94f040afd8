"""Anthropic checks and the tool round-trip scenario, on hand-made captures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request
from llmconform.scenarios.registry import SCENARIOS

CASE = Case("t", "t", "anthropic-messages", (), ())
TOOLS = [
    {
        "name": "get_weather",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
            "required": ["city"],
        },
    }
]


def capture(request: dict[str, Any], body: Any, status: int = 200, sse: bool = False) -> Capture:
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    ctype = "text/event-stream" if sse else "application/json"
    return Capture(
        request=Request("POST", "/messages", json=request, stream=sse),
        status=status,
        headers=(("content-type", ctype),),
        chunks=(BodyChunk(0, raw),),
        t_sent_ns=0,
    )


def run(name: str, *captures: Capture, **args: Any) -> list[tuple[str, str]]:
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    ctx = CheckContext(CASE, exchanges, args)
    return [(i.requirement, i.message) for i in CHECKS[name].fn(ctx)]


def message(
    *content: dict[str, Any], reason: str | None = "end_turn", seq: str | None = None
) -> Any:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": list(content),
        "stop_reason": reason,
        "stop_sequence": seq,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


def tool_use(name: str, args: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": name, "input": args}


def reqs(issues: list[tuple[str, str]]) -> list[str]:
    return [r for r, _ in issues]


def test_stop_sequences() -> None:
    req = {"stop_sequences": ["STOP"], "max_tokens": 9}
    assert (
        run(
            "ant.stop_sequences",
            capture(req, message(text("a "), reason="stop_sequence", seq="STOP")),
        )
        == []
    )
    leaked = capture(req, message(text("a STOP b")))
    assert reqs(run("ant.stop_sequences", leaked)) == ["ANT-STOP-001"]
    wrong = capture(req, message(text("a "), reason="stop_sequence", seq="END"))
    assert reqs(run("ant.stop_sequences", wrong)) == ["ANT-STOP-002"]
    stray = capture(req, message(text("a "), seq="STOP"))
    assert reqs(run("ant.stop_sequences", stray)) == ["ANT-STOP-002"]


def test_max_tokens() -> None:
    req = {"max_tokens": 4}
    ok = message(text("a b c"), reason="max_tokens")
    assert run("ant.max_tokens", capture(req, ok)) == []
    assert reqs(run("ant.max_tokens", capture(req, message(text("a b c"))))) == ["ANT-LEN-001"]
    over = {**ok, "usage": {"input_tokens": 1, "output_tokens": 5}}
    assert reqs(run("ant.max_tokens", capture(req, over))) == ["ANT-LEN-002"]


def test_stop_reason() -> None:
    assert reqs(run("ant.stop_reason", capture({}, message(reason=None)))) == ["ANT-002"]
    assert reqs(run("ant.stop_reason", capture({}, message(reason="done")))) == ["ANT-003"]
    assert run("ant.stop_reason", capture({}, message(reason="pause_turn"))) == []


def test_tool_blocks() -> None:
    req = {"tools": TOOLS, "tool_choice": {"type": "any"}}
    good = message(tool_use("get_weather", {"city": "Paris"}), reason="tool_use")
    assert run("ant.tool_use_blocks", capture(req, good)) == []
    assert run("ant.tool_forced", capture(req, good)) == []
    bad_input = message(tool_use("get_weather", {"days": 0}), reason="tool_use")
    assert reqs(run("ant.tool_use_blocks", capture(req, bad_input))) == [
        "ANT-TOOL-003",
        "ANT-TOOL-003",
    ]
    unknown = message(tool_use("get_time", {}), reason="tool_use")
    assert reqs(run("ant.tool_use_blocks", capture(req, unknown))) == ["ANT-TOOL-002"]
    mismatch = message(tool_use("get_weather", {"city": "x"}))
    assert reqs(run("ant.tool_use_blocks", capture(req, mismatch))) == ["ANT-TOOL-004"]
    in_text = message(text("It is sunny."))
    assert reqs(run("ant.tool_forced", capture(req, in_text))) == ["ANT-TOOL-001"] * 2
    named = {**req, "tool_choice": {"type": "tool", "name": "other"}}
    assert reqs(run("ant.tool_forced", capture(named, good))) == ["ANT-TOOL-001"]
    assert reqs(run("ant.tool_none", capture(req, good))) == ["ANT-TOOL-005"]


def test_error_body_calibration() -> None:
    anthropic = {"type": "error", "error": {"type": "not_found_error", "message": "model: x"}}
    assert run("ant.error_body", capture({}, anthropic, status=404)) == []
    openai = {"error": {"message": "x", "type": "invalid_request_error", "param": None}}
    assert reqs(run("ant.error_body", capture({}, openai, status=404))) == [
        "ANT-ERR-004",
        "ANT-ERR-004",
    ]
    assert reqs(run("ant.error_body", capture({}, {"detail": "x"}, status=400))) == ["ANT-ERR-003"]
    assert reqs(run("ant.error_4xx", capture({}, anthropic, status=500))) == ["ANT-ERR-001"]
    assert reqs(run("ant.error_status", capture({}, anthropic, 400), expect=404)) == ["ANT-ERR-002"]


def test_system_role_accepted_or_refused() -> None:
    # Anthropic itself accepts a system role in messages (since 2026-05) or refuses it with a
    # 400 (older models, some placements): both conform; a 5xx or an invalid 200 does not.
    refusal = {"type": "error", "error": {"type": "invalid_request_error", "message": "role"}}
    check = "ant.accepted_or_refused"
    assert run(check, capture({}, message(text("hi")))) == []
    assert run(check, capture({}, refusal, status=400)) == []
    assert run("ant.error_body", capture({}, refusal, status=400)) == []
    assert reqs(run(check, capture({}, refusal, status=500))) == ["ANT-SYS-001"]
    assert reqs(run(check, capture({}, refusal, status=201))) == ["ANT-SYS-001"]
    assert "ANT-001" in reqs(run(check, capture({}, {"id": "x"})))
    assert reqs(run("ant.error_body", capture({}, {"detail": "x"}, status=400))) == ["ANT-ERR-003"]


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)


def opening(reply: str) -> tuple[dict[str, Any], ...]:
    """message_start, a text block's start and one delta carrying `reply`."""
    return (
        {"type": "message_start", "message": message()},
        {"type": "content_block_start", "index": 0, "content_block": text("")},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": reply}},
    )


def test_stream_checks_map_rules_to_requirements() -> None:
    start, block, delta = opening("hi")
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 1},
    }
    stop = {"type": "message_stop"}
    good = sse(start, block, delta, {"type": "content_block_stop", "index": 0}, end, stop)
    ok = capture({"stream": True}, good, sse=True)
    for name in (
        "ant.stream_http",
        "ant.stream_framing",
        "ant.stream_names",
        "ant.stream_schema",
        "ant.stream_order",
    ):
        assert run(name, ok) == [], name
    unclosed = capture({"stream": True}, sse(start, block, delta, end), sse=True)
    assert reqs(run("ant.stream_order", unclosed)) == ["ANT-STREAM-006", "ANT-STREAM-011"]
    renamed = capture(
        {"stream": True}, good.replace("event: message_stop", "event: done"), sse=True
    )
    assert reqs(run("ant.stream_names", renamed)) == ["ANT-STREAM-003"]
    assert run("ant.stream_order", renamed) == []
    plain = Capture(ok.request, 200, (("content-type", "text/plain"),), ok.chunks, 0)
    assert reqs(run("ant.stream_http", plain)) == ["ANT-STREAM-001"]


def test_stream_framing_invalid_utf8() -> None:
    good = sse(*opening("caf\u00e9")).replace("\\u00e9", "\u00e9")  # sent as raw UTF-8
    assert run("ant.stream_framing", capture({"stream": True}, good, sse=True)) == []
    raw = good.encode().replace("caf\u00e9".encode(), b"caf\xe9")  # Latin-1: not UTF-8
    bad = Capture(
        Request("POST", "/messages", json={"stream": True}, stream=True),
        200,
        (("content-type", "text/event-stream"),),
        (BodyChunk(0, raw),),
        0,
    )
    assert reqs(run("ant.stream_framing", bad)) == ["ANT-STREAM-002"]


def test_round_trip_scenario_answers_the_tool_use_id() -> None:
    step = {
        "path": "/messages",
        "json": {
            "model": "${model}",
            "max_tokens": 9,
            "tools": TOOLS,
            "tool_choice": {"type": "any"},
            "messages": [{"role": "user", "content": "hi"}],
        },
    }
    case = Case("rt", "rt", "anthropic-messages", (step,), (), scenario="anthropic_tool_round_trip")
    flow = SCENARIOS["anthropic_tool_round_trip"](case, {"model": "m"})
    first = next(flow)
    assert first.json["model"] == "m"
    assert first.auth_scheme == "x-api-key"
    answer = message(tool_use("get_weather", {"city": "Paris"}), reason="tool_use")
    second = flow.send(capture(first.json, answer))
    turns = second.json["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[2]["content"][0]["tool_use_id"] == "toolu_1"
    assert second.json["tool_choice"] == {"type": "auto"}
    # A text answer to the forced call ends the scenario: there is no id to answer.
    flow = SCENARIOS["anthropic_tool_round_trip"](case, {"model": "m"})
    next(flow)
    try:
        flow.send(capture(first.json, message(text("no"))))
        raise AssertionError("the scenario should have ended")
    except StopIteration:
        pass


def test_a_first_answer_cut_by_max_tokens_leaves_the_round_trip_inconclusive() -> None:
    def issues(first: Capture) -> list[tuple[str, str]]:
        ctx = CheckContext(CASE, (Exchange(0, first),), {})
        return [(i.requirement, i.kind.value) for i in CHECKS["ant.tool_round_trip"].fn(ctx)]

    cut = capture({"max_tokens": 16}, message(text("Let me think"), reason="max_tokens"))
    assert issues(cut) == [("ANT-TOOL-006", "inconclusive")]
    # An answer that simply did not call the tool still cannot be passed.
    plain = capture({"max_tokens": 16}, message(text("No tool needed")))
    with pytest.raises(Unverifiable):
        issues(plain)


def test_max_tokens_after_a_natural_end_turn_is_undecided() -> None:
    req = {"max_tokens": 4}

    def kinds(body: Any) -> list[tuple[str, str]]:
        ctx = CheckContext(CASE, (Exchange(0, capture(req, body)),), {})
        return [(i.requirement, i.kind.value) for i in CHECKS["ant.max_tokens"].fn(ctx)]

    early = {**message(text("Hi")), "usage": {"input_tokens": 1, "output_tokens": 1}}
    assert kinds(early) == [("ANT-LEN-001", "inconclusive")]
    full = {**message(text("a b c d")), "usage": {"input_tokens": 1, "output_tokens": 4}}
    assert kinds(full) == [("ANT-LEN-001", "violation")]


def test_message_start_with_zero_input_tokens_fails_unless_cached() -> None:
    start, block, delta = opening("hi")
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 1},
    }
    tail = ({"type": "content_block_stop", "index": 0}, end, {"type": "message_stop"})

    def stream_with(usage: dict[str, Any]) -> Capture:
        first = {**start, "message": {**start["message"], "usage": usage}}
        return capture({"stream": True}, sse(first, block, delta, *tail), sse=True)

    # LiteLLM's bridge: input_tokens 0 in message_start.
    issues = run("ant.stream_input_usage", stream_with({"input_tokens": 0, "output_tokens": 1}))
    assert reqs(issues) == ["ANT-STREAM-012"]
    assert issues[0][1].startswith("message_start reports no input tokens")
    cached = {"input_tokens": 0, "output_tokens": 1, "cache_read_input_tokens": 12}
    assert run("ant.stream_input_usage", stream_with(cached)) == []
    assert run("ant.stream_input_usage", stream_with({"input_tokens": 9, "output_tokens": 1})) == []
