"""The Open Responses stream state machine over hand-made event sequences."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.protocol import open_responses as sm
from llmconform.protocol.open_responses_machine import analyze


def _resp(status: str, output: list[Any] | None = None) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": status, "output": output or []}


def _msg(text: str, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "type": "message",
        "id": "msg_1",
        "status": status,
        "role": "assistant",
        "content": [part],
    }


def text_stream(deltas: list[str], final_text: str | None = None) -> list[dict[str, Any]]:
    """A well-formed stream of one message built from `deltas`."""
    text = "".join(deltas)
    loc = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": text, "annotations": []}
    return [
        {"type": "response.created", "response": _resp("in_progress")},
        {"type": "response.in_progress", "response": _resp("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**_msg(""), "status": "in_progress", "content": []},
        },
        {"type": "response.content_part.added", **loc, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **loc, "delta": d} for d in deltas),
        {"type": "response.output_text.done", **loc, "text": text},
        {"type": "response.content_part.done", **loc, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": _msg(text)},
        {
            "type": "response.completed",
            "response": _resp("completed", [_msg(text if final_text is None else final_text)]),
        },
    ]


def tool_stream(deltas: list[str], done: str | None = None) -> list[dict[str, Any]]:
    """A well-formed stream of one function call whose arguments arrive as `deltas`."""
    args = "".join(deltas)
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "f",
        "arguments": args,
        "status": "completed",
    }
    loc = {"item_id": "fc_1", "output_index": 0}
    return [
        {"type": "response.created", "response": _resp("in_progress")},
        {"type": "response.in_progress", "response": _resp("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**call, "arguments": "", "status": "in_progress"},
        },
        *({"type": "response.function_call_arguments.delta", **loc, "delta": d} for d in deltas),
        {
            "type": "response.function_call_arguments.done",
            **loc,
            "arguments": args if done is None else done,
        },
        {"type": "response.output_item.done", "output_index": 0, "item": call},
        {"type": "response.completed", "response": _resp("completed", [call])},
    ]


def run(datas: list[Any], names: bool = True, done: bool = True) -> set[str]:
    """Number, name and analyse events; return the broken rules."""
    events = []
    for i, d in enumerate(datas):
        if isinstance(d, dict) and "sequence_number" not in d:
            d = {**d, "sequence_number": i}
        name = d.get("type") if names and isinstance(d, dict) else None
        events.append(sm.StreamEvent(i, name, d, "" if isinstance(d, dict) else str(d)))
    if done:
        events.append(sm.StreamEvent(len(events), None, None, "[DONE]"))
    return analyze(events).rules()


def test_a_well_formed_text_stream_breaks_no_rule() -> None:
    assert run(text_stream(["Hel", "lo", " world"])) == set()


def test_a_well_formed_tool_stream_breaks_no_rule() -> None:
    assert run(tool_stream(['{"a"', ": 1}"])) == set()


def test_report_rebuilds_text_and_terminal() -> None:
    events = [
        sm.StreamEvent(i, d["type"], {**d, "sequence_number": i})
        for i, d in enumerate(text_stream(["a", "b"]))
    ]
    report = analyze(events)
    assert report.text_of(0) == "ab"
    assert report.terminal_type == "response.completed"
    assert report.rules() == {sm.DONE_MISSING}


def test_missing_terminal_event() -> None:
    assert sm.TERMINAL_MISSING in run(text_stream(["a"])[:-1])


def test_two_terminal_events() -> None:
    evs = text_stream(["a"])
    assert sm.TERMINAL_MULTIPLE in run([*evs, evs[-1]])


def test_event_after_terminal() -> None:
    evs = text_stream(["a"])
    assert sm.AFTER_TERMINAL in run([*evs, evs[1]])


def test_event_after_done_marker() -> None:
    evs = text_stream(["a"])
    rules = run([*evs, "[DONE]", evs[1]], done=False)
    assert sm.AFTER_TERMINAL in rules


def test_done_marker_before_terminal() -> None:
    evs = text_stream(["a"])
    assert sm.TERMINAL_MISSING in run([*evs[:-1], "[DONE]", evs[-1]], done=False)


def test_missing_done_marker_is_its_own_rule() -> None:
    assert run(text_stream(["a"]), done=False) == {sm.DONE_MISSING}


def test_sequence_numbers_must_increase() -> None:
    evs = [{**d, "sequence_number": 3} for d in text_stream(["a"])]
    assert run(evs) == {sm.SEQUENCE}


def test_sequence_number_must_be_an_integer() -> None:
    evs = text_stream(["a"])
    evs[2] = {**evs[2], "sequence_number": "2"}
    assert run(evs) == {sm.SEQUENCE}


def test_event_name_must_match_type() -> None:
    evs = text_stream(["a"])
    events = [
        sm.StreamEvent(i, "response.foo", {**d, "sequence_number": i}) for i, d in enumerate(evs)
    ]
    assert sm.NAME_MISMATCH in analyze(events).rules()


def test_missing_event_names_are_their_own_rule() -> None:
    assert run(text_stream(["a"]), names=False) == {sm.NAME_MISSING}


def test_created_must_come_first() -> None:
    evs = text_stream(["a"])
    assert sm.CREATED_FIRST in run([evs[1], evs[0], *evs[2:]])


def test_in_progress_should_follow_created() -> None:
    evs = text_stream(["a"])
    assert run([evs[0], *evs[2:]]) == {sm.IN_PROGRESS}


def test_delta_before_item_added() -> None:
    evs = text_stream(["a"])
    evs[2], evs[3] = evs[3], evs[2]
    assert sm.ITEM_ORDER in run(evs)


def test_delta_before_content_part_added() -> None:
    evs = text_stream(["a", "b"])
    evs[3], evs[4] = evs[4], evs[3]
    assert sm.PART_ORDER in run(evs)


def test_output_index_must_be_the_next_free_one() -> None:
    evs = text_stream(["a"])
    evs[2] = {**evs[2], "output_index": 1}
    assert sm.ITEM_ORDER in run(evs)


def test_item_id_must_stay_stable() -> None:
    evs = text_stream(["a"])
    evs[4] = {**evs[4], "item_id": "msg_other"}
    assert sm.ITEM_ID in run(evs)


def test_item_must_be_done() -> None:
    evs = text_stream(["a"])
    assert sm.ITEM_NOT_DONE in run(evs[:-2] + evs[-1:])


def test_nothing_after_item_done() -> None:
    evs = text_stream(["a"])
    assert sm.ITEM_ORDER in run([*evs[:-1], evs[4], evs[-1]])


def test_done_text_must_equal_joined_deltas() -> None:
    evs = text_stream(["a", "b"])
    evs[6] = {**evs[6], "text": "abc"}
    assert run(evs) == {sm.TEXT_MISMATCH}


def test_content_part_done_text_must_equal_joined_deltas() -> None:
    evs = text_stream(["a", "b"])
    evs[7] = {**evs[7], "part": {"type": "output_text", "text": "a", "annotations": []}}
    assert run(evs) == {sm.TEXT_MISMATCH}


def test_final_response_must_equal_built_output() -> None:
    assert run(text_stream(["a", "b"], final_text="xy")) == {sm.FINAL_MISMATCH}


def test_final_response_must_have_the_built_items() -> None:
    evs = text_stream(["a"])
    evs[-1] = {**evs[-1], "response": _resp("completed", [])}
    assert run(evs) == {sm.FINAL_MISMATCH}


def test_terminal_status_must_match_event() -> None:
    evs = text_stream(["a"])
    evs[-1] = {**evs[-1], "response": {**evs[-1]["response"], "status": "incomplete"}}
    assert run(evs) == {sm.FINAL_STATUS}


def test_arguments_must_join() -> None:
    assert run(tool_stream(['{"a"', ": 1}"], done='{"a": 2}')) == {sm.ARGS_MISMATCH}


def test_error_event_must_be_followed_by_failed() -> None:
    evs = text_stream(["a"])[:2]
    error = {
        "type": "error",
        "error": {"type": "server_error", "code": None, "message": "x", "param": None},
    }
    assert run([*evs, error, {"type": "response.failed", "response": _resp("failed")}]) == set()
    assert sm.ERROR_NOT_FAILED in run([*evs, error])


def test_incomplete_item_in_a_completed_response() -> None:
    evs = text_stream(["a"])
    evs[-2] = {**evs[-2], "item": _msg("a", status="incomplete")}
    assert sm.ITEM_INCOMPLETE in run(evs)


@pytest.mark.parametrize("data", [None, [1], {"no_type": 1}])
def test_framing(data: Any) -> None:
    events = [sm.StreamEvent(0, None, data, "x")]
    assert sm.FRAMING in analyze(events).rules()


def test_provider_events_and_items_are_tolerated() -> None:
    evs = text_stream(["a"])
    hosted = {"type": "web_search_call", "id": "ws_1", "status": "in_progress"}
    extra = [
        {"type": "response.output_item.added", "output_index": 1, "item": hosted},
        {"type": "response.web_search_call.searching", "output_index": 1, "item_id": "ws_1"},
        {"type": "acme:trace_event", "latency_ms": 3},
    ]
    final = {**evs[-1], "response": _resp("completed", [_msg("a"), hosted])}
    assert run([*evs[:-1], *extra, final]) == set()
