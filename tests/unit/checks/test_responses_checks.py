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


DETAILS = {
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens_details": {"reasoning_tokens": 0},
}


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
        "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4, **DETAILS},
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


BODY_CHECKS = (
    "responses.ok",
    "responses.json",
    "responses.schema",
    "responses.created_at",
    "responses.message",
    "responses.usage",
    "responses.instructions",
)


def test_a_good_response_passes_the_body_checks() -> None:
    good = capture(response())
    for name in BODY_CHECKS:
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
    wrong = response(usage={"input_tokens": 3, "output_tokens": 1, "total_tokens": 5, **DETAILS})
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


def terminal_only_stream() -> bytes:
    """response.created then response.completed, nothing built in between."""
    final = response()
    created = {**final, "status": "in_progress", "output": []}
    return sse(
        [
            {"type": "response.created", "response": created},
            {"type": "response.completed", "response": final},
        ]
    )


def test_stream_checks_on_a_terminal_only_stream() -> None:
    body = terminal_only_stream()
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
    body = terminal_only_stream()
    ok = capture(body, {"stream": True}, ctype="text/event-stream", stream=True)
    assert run("responses.stream_events", ok) == []
    # One byte that is not UTF-8 inside a JSON string of the first event.
    bad_body = body.replace(b'"response.created"', b'"response.created", "x": "\xff"', 1)
    bad = capture(bad_body, {"stream": True}, ctype="text/event-stream", stream=True)
    assert reqs(run("responses.stream_events", bad)) == {"RESP-STREAM-002"}


def test_json_body_must_be_utf8() -> None:
    with pytest.raises(Unverifiable, match="'utf-8' codec"):
        run("responses.json", capture(json.dumps(response()).encode("utf-16")))


# A response cut by its max_output_tokens bound is legitimate for any model: the suite bounds
# every request, so checks about something else must accept it (or say they cannot tell).
CUT = {"reason": "max_output_tokens"}
BOUNDED = {"max_output_tokens": 256, "tools": TOOLS, "tool_choice": "required"}


def cut_response(output: list[Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A response that stopped at its budget; its last item is the one that was cut."""
    out = response()["output"] if output is None else output
    if out:
        out = [*out[:-1], {**out[-1], "status": "incomplete"}]
    return response(status="incomplete", incomplete_details=CUT, output=out, **changes)


def kinds(issues: list[Issue]) -> set[tuple[str, str]]:
    return {(i.requirement, i.kind.value) for i in issues}


def test_a_cut_text_response_fails_no_check_about_something_else() -> None:
    cut = capture(cut_response(), {"max_output_tokens": 256})
    for name in (*BODY_CHECKS, "responses.no_function_call"):
        assert run(name, cut) == [], name
    # Cut before any text (a reasoning model may think the whole budget away): cannot tell.
    thought = {"type": "reasoning", "id": "rs_1", "summary": [], "status": "incomplete"}
    silent = run("responses.message", capture(cut_response([thought])))
    assert kinds(silent) == {("RESP-005", "inconclusive")}


def test_message_still_fails_real_faults_next_to_a_cut() -> None:
    # Another reason, no reason, an error, or details on a completed response are faults.
    for bad in (
        response(status="incomplete", incomplete_details={"reason": "content_filter"}),
        response(status="incomplete"),
        cut_response(error={"code": "server_error", "message": "x"}),
        response(incomplete_details=CUT),
    ):
        assert kinds(run("responses.message", capture(bad))) == {("RESP-005", "violation")}, bad


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # The budget ran out before the call: whether it would have come cannot be told.
        ([], {("RESP-TOOL-001", "inconclusive")}),
        # The call was cut mid-arguments: their validity cannot be told.
        ([call('{"n": ')], {("RESP-TOOL-002", "inconclusive")}),
        # Arguments that parse are whole even in a cut call: judged in full.
        ([call('{"n": 1}')], set()),
        ([call('{"n": "1"}')], {("RESP-TOOL-002", "violation")}),
        # The name comes before the arguments: a wrong one is still a fault.
        ([call('{"n": ', name="h")], {("RESP-TOOL-001", "violation")}),
        # Only the last item can be cut: an earlier call with broken JSON is a fault.
        ([call("{n: 1}", call_id="a"), call('{"n": ', call_id="b")], None),
    ],
)
def test_function_call_on_a_cut_response(
    output: list[Any], expected: set[tuple[str, str]] | None
) -> None:
    got = kinds(run("responses.function_call", capture(cut_response(output), BOUNDED)))
    if expected is None:
        assert got == {("RESP-TOOL-002", "violation"), ("RESP-TOOL-002", "inconclusive")}
    else:
        assert got == expected


def test_function_call_without_a_cut_still_fails() -> None:
    whole = capture(response(output=[call('{"n": ')]), BOUNDED)
    assert kinds(run("responses.function_call", whole)) == {("RESP-TOOL-002", "violation")}
    none = capture(response(output=[]), BOUNDED)
    assert kinds(run("responses.function_call", none)) == {("RESP-TOOL-001", "violation")}


def test_tool_round_trip_on_cut_responses() -> None:
    first = capture(response(output=[call('{"n": 1}')]), BOUNDED)
    assert run("responses.tool_round_trip", first, capture(cut_response())) == []
    silent = run("responses.tool_round_trip", first, capture(cut_response([])))
    assert kinds(silent) == {("RESP-TOOL-004", "inconclusive")}
    # The first response was cut before a whole call: nothing was sent back to judge.
    cut_first = capture(cut_response([]), BOUNDED)
    assert kinds(run("responses.tool_round_trip", cut_first)) == {("RESP-TOOL-004", "inconclusive")}
    # Faults still fail: no call and no cut, another incomplete reason, no message at all.
    with pytest.raises(Unverifiable):
        run("responses.tool_round_trip", capture(response(output=[]), BOUNDED))
    filtered = response(status="incomplete", incomplete_details={"reason": "content_filter"})
    for bad in (filtered, response(output=[])):
        got = run("responses.tool_round_trip", first, capture(bad))
        assert kinds(got) == {("RESP-TOOL-004", "violation")}


def test_reuses_compaction_accepts_a_cut_answer() -> None:
    window = capture({"object": "response.compaction"})
    assert run("responses.reuses_compaction", window, capture(cut_response())) == []
    failed = capture(response(status="failed"))
    assert reqs(run("responses.reuses_compaction", window, failed)) == {"RESP-COMPACT-002"}


def test_stream_arguments_cannot_tell_on_a_stream_cut_before_the_call() -> None:
    def stream_of(final: dict[str, Any], terminal: str) -> Capture:
        created = {**final, "status": "in_progress", "output": [], "incomplete_details": None}
        body = sse(
            [
                {"type": "response.created", "response": created},
                {"type": terminal, "response": final},
            ]
        )
        return capture(body, {"stream": True}, ctype="text/event-stream", stream=True)

    cut = stream_of(cut_response([]), "response.incomplete")
    assert kinds(run("responses.stream_arguments", cut)) == {("RESP-STREAM-013", "inconclusive")}
    assert run("responses.stream_final", cut) == []
    # A completed stream without a call, or one that claims a cut it does not carry, fails.
    for final, terminal in (
        (response(output=[]), "response.completed"),
        (cut_response([]), "response.completed"),
    ):
        got = kinds(run("responses.stream_arguments", stream_of(final, terminal)))
        assert got == {("RESP-STREAM-013", "violation")}


def test_length_after_a_natural_completion_is_undecided() -> None:
    req = {"max_output_tokens": 16}
    early = response(usage={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3})
    [issue] = run("responses.length", capture(early, req))
    assert (issue.requirement, issue.kind.value) == ("RESP-LEN-001", "inconclusive")
    # llama-server: "completed" although max_output_tokens cut the output.
    cut = response(usage={"input_tokens": 1, "output_tokens": 16, "total_tokens": 17})
    [issue] = run("responses.length", capture(cut, req))
    assert issue.kind.value == "violation"


def test_the_model_may_not_change_between_created_and_the_terminal_event() -> None:
    def stream(created_model: str, final_model: str) -> Capture:
        final = response(model=final_model, output=[])
        created = {**final, "status": "in_progress", "model": created_model}
        body = sse(
            [
                {"type": "response.created", "response": created},
                {"type": "response.completed", "response": final},
            ]
        )
        return capture(body, {"stream": True}, ctype="text/event-stream", stream=True)

    assert run("responses.stream_final", stream("smollm2", "smollm2")) == []
    # LiteLLM's bridge: created names smollm2, completed llamafile/smollm2.
    [issue] = run("responses.stream_final", stream("smollm2", "llamafile/smollm2"))
    assert issue.requirement == "RESP-STREAM-015" and issue.path == "event[1].response.model"


def test_schema_adherence_is_judged_only_for_strict_tools() -> None:
    # strict defaults to true: the server guarantees the parameters schema. A tool declared
    # strict: false leaves adherence to the model (model quality, not protocol).
    missing_required = capture(response(output=[call("{}")]), BOUNDED)
    assert kinds(run("responses.function_call", missing_required)) == {
        ("RESP-TOOL-002", "violation")
    }
    lenient = {**BOUNDED, "tools": [{**TOOLS[0], "strict": False}, TOOLS[1]]}
    assert run("responses.function_call", capture(response(output=[call("{}")]), lenient)) == []
    # Still a JSON object, strict or not.
    not_json = capture(response(output=[call("[1]")]), lenient)
    assert kinds(run("responses.function_call", not_json)) == {("RESP-TOOL-002", "violation")}
