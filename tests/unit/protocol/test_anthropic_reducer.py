"""The Anthropic stream reducer, fed hand-made events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.protocol.anthropic_messages import Rule, fold_stream, text_of, tool_uses


def ev(data: dict[str, Any], name: str | None = None) -> tuple[str, str]:
    return (name or data["type"], json.dumps(data))


START = ev(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 1},
        },
    }
)
PING = ev({"type": "ping"})
STOP = ev({"type": "message_stop"})


def block_start(i: int, block: dict[str, Any]) -> tuple[str, str]:
    return ev({"type": "content_block_start", "index": i, "content_block": block})


def delta(i: int, d: dict[str, Any]) -> tuple[str, str]:
    return ev({"type": "content_block_delta", "index": i, "delta": d})


def block_stop(i: int) -> tuple[str, str]:
    return ev({"type": "content_block_stop", "index": i})


def message_delta(reason: str | None = "end_turn", out: Any = 7) -> tuple[str, str]:
    usage = {} if out is None else {"output_tokens": out}
    return ev({"type": "message_delta", "delta": {"stop_reason": reason}, "usage": usage})


def text_block(i: int, *parts: str) -> list[tuple[str, str]]:
    return [
        block_start(i, {"type": "text", "text": ""}),
        *(delta(i, {"type": "text_delta", "text": p}) for p in parts),
        block_stop(i),
    ]


def tool_block(i: int, *fragments: str) -> list[tuple[str, str]]:
    return [
        block_start(i, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}),
        *(delta(i, {"type": "input_json_delta", "partial_json": f}) for f in fragments),
        block_stop(i),
    ]


def good() -> list[tuple[str, str]]:
    return [
        START,
        PING,
        *text_block(0, "Hello", " world"),
        *tool_block(1, "", '{"a": ', "[1, 2]}"),
        message_delta("tool_use", 9),
        STOP,
    ]


def rules(events: list[tuple[str, str]]) -> list[Rule]:
    return [v.rule for v in fold_stream(events).violations]


def test_a_good_stream_folds_into_the_message() -> None:
    folded = fold_stream(good())
    assert folded.violations == ()
    message = folded.message
    assert message is not None
    assert text_of(message) == "Hello world"
    assert tool_uses(message)[0]["input"] == {"a": [1, 2]}
    assert message["stop_reason"] == "tool_use"
    assert message["usage"] == {"input_tokens": 5, "output_tokens": 9}


def test_thinking_and_citations_are_folded() -> None:
    events = [
        START,
        block_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, {"type": "thinking_delta", "thinking": "Hmm"}),
        delta(0, {"type": "signature_delta", "signature": "sig"}),
        block_stop(0),
        block_start(1, {"type": "text", "text": "", "citations": []}),
        delta(1, {"type": "citations_delta", "citation": {"type": "char_location"}}),
        delta(1, {"type": "text_delta", "text": "x"}),
        block_stop(1),
        message_delta(),
        STOP,
    ]
    folded = fold_stream(events)
    assert folded.violations == ()
    assert folded.message is not None
    thinking, text = folded.message["content"]
    assert thinking == {"type": "thinking", "thinking": "Hmm", "signature": "sig"}
    assert text["citations"] == [{"type": "char_location"}]


def test_pings_anywhere_and_unknown_events_are_tolerated() -> None:
    events = [PING, START, PING, *text_block(0, "a"), ev({"type": "future_event"}), PING]
    events += [message_delta(), PING, STOP, PING]
    folded = fold_stream(events)
    assert folded.violations == ()
    assert folded.unknown_events == ("future_event",)


def test_tool_input_without_fragments_keeps_the_start_input() -> None:
    events = [START, *tool_block(0), message_delta("tool_use"), STOP]
    folded = fold_stream(events)
    assert folded.violations == ()
    assert folded.message is not None
    assert tool_uses(folded.message)[0]["input"] == {}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([*text_block(0, "a"), message_delta(), STOP], [Rule.START]),
        ([START, START, *text_block(0, "a"), message_delta(), STOP], [Rule.START]),
        ([START, *text_block(0, "a"), message_delta()], [Rule.STOP]),
        ([START, *text_block(0, "a"), message_delta(), STOP, STOP], [Rule.STOP]),
        (
            [START, *text_block(0, "a"), message_delta(), STOP, *text_block(1, "b")],
            [Rule.STOP, Rule.STOP, Rule.STOP],
        ),
        ([START, *text_block(1, "a"), message_delta(), STOP], [Rule.BLOCKS]),
        ([START, *text_block(0, "a"), *text_block(2, "b"), message_delta(), STOP], [Rule.BLOCKS]),
        ([START, *text_block(0, "a")[:-1], message_delta(), STOP], [Rule.BLOCKS]),
        (
            [START, delta(0, {"type": "text_delta", "text": "x"}), message_delta(), STOP],
            [Rule.BLOCKS],
        ),
        ([START, *text_block(0, "a"), block_stop(0), message_delta(), STOP], [Rule.BLOCKS]),
        (
            [
                START,
                *text_block(0, "a"),
                delta(0, {"type": "text_delta", "text": "late"}),
                message_delta(),
                STOP,
            ],
            [Rule.BLOCKS],
        ),
        (
            [
                START,
                *text_block(0, "a")[:-1],
                *text_block(1, "b"),
                block_stop(0),
                message_delta(),
                STOP,
            ],
            [Rule.INTERLEAVE],
        ),
        (
            [
                START,
                block_start(0, {"type": "text", "text": ""}),
                delta(0, {"type": "input_json_delta", "partial_json": "{}"}),
                block_stop(0),
                message_delta(),
                STOP,
            ],
            [Rule.DELTA_TYPE],
        ),
        (
            [
                START,
                block_start(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}}),
                delta(0, {"type": "text_delta", "text": "x"}),
                block_stop(0),
                message_delta(),
                STOP,
            ],
            [Rule.DELTA_TYPE],
        ),
        ([START, *tool_block(0, '{"a": ', "1"), message_delta("tool_use"), STOP], [Rule.TOOL_JSON]),
        ([START, *tool_block(0, "[1]"), message_delta("tool_use"), STOP], [Rule.TOOL_JSON]),
        ([START, *text_block(0, "a"), STOP], [Rule.MESSAGE_DELTA]),
        ([START, *text_block(0, "a"), message_delta(None), STOP], [Rule.MESSAGE_DELTA]),
        ([START, *text_block(0, "a"), message_delta(out=None), STOP], [Rule.MESSAGE_DELTA]),
        (
            [
                START,
                *text_block(0, "a"),
                ev(
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    }
                ),
            ],
            [Rule.ERROR_EVENT],
        ),
        (
            [START, ("message_start_", START[1]), *text_block(0, "a"), message_delta(), STOP],
            [Rule.EVENT_NAME, Rule.START],
        ),
        (
            [START, ("message", '{"type": "ping"}'), *text_block(0, "a"), message_delta(), STOP],
            [Rule.EVENT_NAME],
        ),
        (
            [START, ("ping", "not json"), *text_block(0, "a"), message_delta(), STOP],
            [Rule.NOT_JSON],
        ),
    ],
)
def test_violations(events: list[tuple[str, str]], expected: list[Rule]) -> None:
    assert rules(events) == expected


def test_violations_name_the_offending_event() -> None:
    events = good()
    events[2] = ("text", events[2][1])  # content_block_start named "text"
    (violation,) = fold_stream(events).violations
    assert violation.event == 2
    assert "'text'" in violation.message


def test_multiple_message_deltas_are_cumulative() -> None:
    events = [START, *text_block(0, "a"), message_delta(None, 3), message_delta("end_turn", 8)]
    folded = fold_stream([*events, STOP])
    assert folded.violations == ()
    assert folded.message is not None
    assert folded.message["usage"]["output_tokens"] == 8
