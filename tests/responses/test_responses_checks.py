"""Responses checks over hand-made captures: each reports the requirement it owns."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.checks import CHECKS, CheckContext, Exchange, Issue
from llmconform.checks.context import Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request

TOOLS = [
    {
        "type": "function",
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
    },
    {"type": "function", "name": "g", "parameters": {"type": "object"}},
]


ALLOWED_G = {
    "type": "allowed_tools",
    "mode": "required",
    "tools": [{"type": "function", "name": "g"}],
}


def capture(
    body: Any,
    request: dict[str, Any] | None = None,
    status: int = 200,
    ctype: str = "application/json",
    stream: bool = False,
) -> Capture:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = Request("POST", "/responses", json=request or {}, stream=stream)
    return Capture(req, status, (("content-type", ctype),), (BodyChunk(0, raw),), 0, sent_at=1e9)


def run(name: str, *captures: Capture, **args: Any) -> list[Issue]:
    case = Case("t", "t", "open-responses", (), ())
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    return list(CHECKS[name].fn(CheckContext(case, exchanges, args)))


def reqs(issues: list[Issue]) -> set[str]:
    return {i.requirement for i in issues}


def response(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_000_000_000,
        "status": "completed",
        "model": "m",
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "hi", "annotations": []}],
            }
        ],
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4},
    }
    return {**base, **changes}


def call(arguments: str, name: str = "f", call_id: str = "call_1") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": "fc_1",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def test_a_good_response_passes_the_body_checks() -> None:
    good = capture(response())
    for name in (
        "responses.ok",
        "responses.json",
        "responses.schema",
        "responses.created_at",
        "responses.message",
        "responses.usage",
        "responses.instructions",
    ):
        assert run(name, good) == [], name


def test_schema_and_spec_fields() -> None:
    assert reqs(run("responses.schema", capture(response(object="chat.completion")))) == {
        "RESP-001"
    }
    missing = run("responses.spec_fields", capture(response()))
    assert reqs(missing) == {"RESP-004"} and "completed_at" in missing[0].message


def test_created_at_in_milliseconds_and_far_away() -> None:
    assert reqs(run("responses.created_at", capture(response(created_at=10**12)))) == {"RESP-002"}
    assert reqs(run("responses.created_at", capture(response(created_at=5)))) == {"RESP-003"}


def test_message_requires_completed_text() -> None:
    assert reqs(run("responses.message", capture(response(status="incomplete")))) == {"RESP-005"}
    assert len(run("responses.message", capture(response(output=[])))) == 1


def test_usage_arithmetic_and_presence() -> None:
    wrong = response(usage={"input_tokens": 3, "output_tokens": 1, "total_tokens": 5})
    assert reqs(run("responses.usage", capture(wrong))) == {"RESP-USAGE-002"}
    assert reqs(run("responses.usage", capture(response(usage=None)))) == {"RESP-USAGE-001"}


def test_length_requires_incomplete_with_reason() -> None:
    req = {"max_output_tokens": 16}
    cut = response(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    cut["output"][0]["status"] = "incomplete"
    assert run("responses.length", capture(cut, req)) == []
    assert reqs(run("responses.length", capture(response(), req))) == {"RESP-LEN-001"}
    over = {**cut, "usage": {"input_tokens": 1, "output_tokens": 17, "total_tokens": 18}}
    assert reqs(run("responses.length", capture(over, req))) == {"RESP-LEN-002"}
    cut["output"][0]["status"] = "completed"
    assert reqs(run("responses.length", capture(cut, req))) == {"RESP-LEN-003"}


@pytest.mark.parametrize(
    ("output", "choice", "expected"),
    [
        ([call('{"n": 1}')], "required", set()),
        ([], "required", {"RESP-TOOL-001"}),
        ([call('{"n": 1}', name="h")], "required", {"RESP-TOOL-001"}),
        ([call("{}", name="g")], {"type": "function", "name": "f"}, {"RESP-TOOL-001"}),
        ([call('{"n": 1}'), call('{"n": 2}')], "required", {"RESP-TOOL-001"}),
        ([call('{"n": "1"}')], "required", {"RESP-TOOL-002"}),
        ([call("{n: 1}")], "required", {"RESP-TOOL-002"}),
        ([call("[1]")], "required", {"RESP-TOOL-002"}),
        ([call("{}", name="g")], ALLOWED_G, set()),
    ],
)
def test_function_call(output: list[Any], choice: Any, expected: set[str]) -> None:
    got = run(
        "responses.function_call",
        capture(response(output=output), {"tools": TOOLS, "tool_choice": choice}),
    )
    assert reqs(got) == expected


def test_optional_function_call_and_none() -> None:
    req = {"tools": TOOLS, "tool_choice": "auto"}
    assert run("responses.function_call", capture(response(), req), optional=True) == []
    forced = capture(response(output=[call('{"n": 1}')]), {"tools": TOOLS, "tool_choice": "none"})
    assert reqs(run("responses.no_function_call", forced)) == {"RESP-TOOL-003"}


def test_chained_echo_and_failure() -> None:
    req = {"previous_response_id": "resp_0"}
    assert run("responses.chained", capture(response(previous_response_id="resp_0"), req)) == []
    assert reqs(run("responses.chained", capture(response(), req))) == {"RESP-PREV-002"}
    failed = capture({"error": {"message": "x"}}, req, status=400)
    assert reqs(run("responses.chained", failed)) == {"RESP-PREV-001"}
    with pytest.raises(Unverifiable):
        run("responses.chained", capture(response()))


def test_error_checks() -> None:
    ok = capture({"error": {"message": "m", "type": "t", "param": None, "code": None}}, status=400)
    assert run("responses.error_status", ok) == []
    assert run("responses.error_envelope", ok) == []
    assert reqs(run("responses.error_expect", ok, expect=[404])) == {"RESP-ERR-003"}
    as_200 = capture({"error": {"message": "m"}}, status=200)
    assert reqs(run("responses.error_status", as_200)) == {"RESP-ERR-001"}
    detail = capture({"detail": "m"}, status=400)
    assert reqs(run("responses.error_envelope", detail)) == {"RESP-ERR-002"}
    bare = capture({"error": {"message": "m"}}, status=400)
    assert reqs(run("responses.error_envelope", bare)) == {"RESP-ERR-004"}
    sse = capture(b"data: {}\n\n", status=400, ctype="text/event-stream")
    with pytest.raises(Unverifiable):
        list(run("responses.error_envelope", sse))


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': i})}\n\n".encode()
        for i, e in enumerate(events)
    )


def test_stream_checks_on_a_terminal_only_stream() -> None:
    final = response()
    body = sse(
        [
            {
                "type": "response.created",
                "response": {**final, "status": "in_progress", "output": []},
            },
            {"type": "response.completed", "response": final},
        ]
    )
    cap = capture(body, {"stream": True}, ctype="text/event-stream", stream=True)
    assert run("responses.stream_content_type", cap) == []
    assert run("responses.stream_order", cap) == []
    # The final response names an item the events never built.
    assert reqs(run("responses.stream_final", cap)) == {"RESP-STREAM-014"}
    assert reqs(run("responses.stream_arguments", cap)) == {"RESP-STREAM-013"}
    info = run("responses.stream_terminal", cap)
    assert [i.requirement for i in info] == ["RESP-STREAM-008"]
    assert run("responses.message", cap) == []  # reads the terminal event's response
    plain = capture(body, {"stream": True}, ctype="text/plain", stream=True)
    assert reqs(run("responses.stream_content_type", plain)) == {"RESP-STREAM-001"}


def test_stream_events_invalid_utf8() -> None:
    final = response()
    body = sse(
        [
            {
                "type": "response.created",
                "response": {**final, "status": "in_progress", "output": []},
            },
            {"type": "response.completed", "response": final},
        ]
    )
    ok = capture(body, {"stream": True}, ctype="text/event-stream", stream=True)
    assert run("responses.stream_events", ok) == []
    # One byte that is not UTF-8 inside a JSON string of the first event.
    bad_body = body.replace(b'"response.created"', b'"response.created", "x": "\xff"', 1)
    bad = capture(bad_body, {"stream": True}, ctype="text/event-stream", stream=True)
    assert reqs(run("responses.stream_events", bad)) == {"RESP-STREAM-002"}


def test_json_body_must_be_utf8() -> None:
    with pytest.raises(Unverifiable, match="'utf-8' codec"):
        run("responses.json", capture(json.dumps(response()).encode("utf-16")))
