"""Deliberately broken Open Responses servers: the reference wrapped to break one rule each.

The faults reuse `broken_servers.BrokenApp` (request, status, content type, JSON body and
whole-stream rewrites). A stream is handled as a list of (SSE event name, data) pairs; the
`data: [DONE]` marker travels as data "[DONE]" and is rendered back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from broken_servers import Fault, invalid_utf8_comment

Event = tuple[str | None, Any]
TERMINAL = ("response.completed", "response.failed", "response.incomplete")


def parse(text: str) -> Event:
    """(SSE event name or None, decoded data or the raw data text) of one event."""
    name, data = None, ""
    for line in text.strip("\n").split("\n"):
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
    try:
        return name, json.loads(data)
    except json.JSONDecodeError:
        return name, data


def render(name: str | None, data: Any) -> str:
    """An event's text; no `event:` line when `name` is None."""
    head = f"event: {name}\n" if name is not None else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n"


def on_events(fn: Callable[[list[Event]], list[Event]]) -> Callable[[list[str]], list[str]]:
    """A whole-stream fault from a function over parsed events."""
    return lambda texts: [render(n, d) for n, d in fn([parse(t) for t in texts])]


def kind(data: Any) -> str:
    """The `type` of an event's data ("" for `[DONE]`)."""
    return str(data.get("type")) if isinstance(data, dict) else ""


def renumber(events: list[Event]) -> list[Event]:
    """Give events consecutive sequence numbers again after a reordering."""
    out: list[Event] = []
    seq = 0
    for name, data in events:
        if isinstance(data, dict):
            data = {**data, "sequence_number": seq}
            seq += 1
        out.append((name, data))
    return out


def _drop_completed(evs: list[Event]) -> list[Event]:
    return [(n, d) for n, d in evs if kind(d) != "response.completed"]


def _event_after_terminal(evs: list[Event]) -> list[Event]:
    at = next(i for i, (_, d) in enumerate(evs) if kind(d) in TERMINAL)
    extra = (evs[1][0], {**evs[1][1], "sequence_number": 10_000})
    return [*evs[: at + 1], extra, *evs[at + 1 :]]


def _sequence_zero(evs: list[Event]) -> list[Event]:
    return [(n, {**d, "sequence_number": 0} if isinstance(d, dict) else d) for n, d in evs]


def _wrong_names(evs: list[Event]) -> list[Event]:
    return [("response.output_text.delta" if n else n, d) for n, d in evs]


def _no_names(evs: list[Event]) -> list[Event]:
    return [(None, d) for _, d in evs]


def _added_late(evs: list[Event]) -> list[Event]:
    out = list(evs)
    for i in range(len(out) - 1):
        if kind(out[i][1]) == "response.output_item.added":
            out[i], out[i + 1] = out[i + 1], out[i]
    return renumber(out)


def _done_text(evs: list[Event]) -> list[Event]:
    return [
        (n, {**d, "text": d["text"] + " (edited)"})
        if kind(d) == "response.output_text.done"
        else (n, d)
        for n, d in evs
    ]


def _final_output_emptied(evs: list[Event]) -> list[Event]:
    return [
        (n, {**d, "response": {**d["response"], "output": []}}) if kind(d) in TERMINAL else (n, d)
        for n, d in evs
    ]


def _drop_first_argument_delta(evs: list[Event]) -> list[Event]:
    at = next(
        (i for i, (_, d) in enumerate(evs) if kind(d) == "response.function_call_arguments.delta"),
        None,
    )
    return renumber(evs if at is None else evs[:at] + evs[at + 1 :])


def _drop_done_marker(evs: list[Event]) -> list[Event]:
    return [(n, d) for n, d in evs if d != "[DONE]"]


def _incomplete_as_completed(response: Any) -> Any:
    if isinstance(response, dict) and response.get("status") == "incomplete":
        response = {**response, "status": "completed", "incomplete_details": None}
    return response


def _incomplete_as_completed_events(evs: list[Event]) -> list[Event]:
    out: list[Event] = []
    for n, d in evs:
        if kind(d) == "response.incomplete":
            n, d = "response.completed", {**d, "type": "response.completed"}
            d["response"] = _incomplete_as_completed(d["response"])
        out.append((n, d))
    return out


def _bump_total(response: Any) -> Any:
    if isinstance(response, dict) and isinstance(response.get("usage"), dict):
        usage = response["usage"]
        response = {**response, "usage": {**usage, "total_tokens": usage["total_tokens"] + 1}}
    return response


def _bump_total_events(evs: list[Event]) -> list[Event]:
    return [
        (n, {**d, "response": _bump_total(d["response"])}) if kind(d) in TERMINAL else (n, d)
        for n, d in evs
    ]


def _created_ms(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("created_at"), int):
        body = {**body, "created_at": body["created_at"] * 1000}
    return body


def _error_to_detail(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"detail": body["error"]["message"]}
    return body


def _pop(key: str) -> Callable[[Any], Any]:
    def rewrite(request: Any) -> Any:
        if isinstance(request, dict):
            request.pop(key, None)
        return request

    return rewrite


STREAMS = {
    "responses.stream.text",
    "responses.stream.multi_turn",
    "responses.stream.max_output_tokens",
    "responses.stream.tool_call",
}
TEXT_STREAMS = STREAMS - {"responses.stream.tool_call"}
COMPLETED_STREAMS = STREAMS - {"responses.stream.max_output_tokens"}
ERRORS = {
    "responses.error.missing_model",
    "responses.error.unknown_model",
    "responses.error.malformed_json",
    "responses.error.input_wrong_type",
    "responses.error.invalid_role",
    "responses.error.unknown_item_type",
    "responses.error.invalid_stream_request",
    "responses.error.temperature_out_of_range",
    "responses.error.unknown_tool_choice",
    "responses.error.unknown_previous_response",
}
AUTH = {"responses.auth.missing_key", "responses.auth.invalid_key"}
USAGE = {
    "responses.basic",
    "responses.message_items",
    "responses.multi_turn",
    "responses.max_output_tokens",
    "responses.stream.text",
}

# (fault, cases expected to FAIL, cases expected to WARN)
FAULTS: list[tuple[Fault, set[str], set[str]]] = [
    (Fault("no_response_completed", events=on_events(_drop_completed)), COMPLETED_STREAMS, set()),
    (Fault("event_after_terminal", events=on_events(_event_after_terminal)), STREAMS, set()),
    (Fault("sequence_not_increasing", events=on_events(_sequence_zero)), STREAMS, set()),
    (Fault("event_name_not_type", events=on_events(_wrong_names)), STREAMS, set()),
    (Fault("event_names_missing", events=on_events(_no_names)), set(), STREAMS),
    (Fault("delta_before_item_added", events=on_events(_added_late)), STREAMS, set()),
    (Fault("done_text_not_joined_deltas", events=on_events(_done_text)), TEXT_STREAMS, set()),
    (Fault("final_output_not_built", events=on_events(_final_output_emptied)), STREAMS, set()),
    (
        Fault("arguments_do_not_join", events=on_events(_drop_first_argument_delta)),
        {"responses.stream.tool_call"},
        set(),
    ),
    (Fault("no_done_marker", events=on_events(_drop_done_marker)), set(), set()),
    (Fault("invalid_utf8_in_streams", events=invalid_utf8_comment), STREAMS, set()),
    (
        Fault(
            "sse_as_text_plain", content_type=lambda c: "text/plain" if "event-stream" in c else c
        ),
        STREAMS,
        set(),
    ),
    (
        Fault(
            "incomplete_reported_as_completed",
            body=_incomplete_as_completed,
            events=on_events(_incomplete_as_completed_events),
        ),
        {"responses.max_output_tokens", "responses.stream.max_output_tokens"},
        set(),
    ),
    (
        Fault("usage_total_wrong", body=_bump_total, events=on_events(_bump_total_events)),
        USAGE,
        set(),
    ),
    (Fault("created_at_in_ms", body=_created_ms), {"responses.basic"}, set()),
    (Fault("errors_as_200", status=lambda s: 200 if s >= 400 else s), ERRORS | AUTH, set()),
    (Fault("detail_error_bodies", body=_error_to_detail), ERRORS | AUTH, set()),
    (
        Fault("server_error_on_invalid", status=lambda s: 500 if s == 400 else s),
        ERRORS - {"responses.error.unknown_model"},
        set(),
    ),
    (Fault("auth_not_enforced", api_key=False), AUTH, set()),
    (
        Fault("previous_response_id_ignored", request=_pop("previous_response_id")),
        {"responses.error.unknown_previous_response"},
        {"responses.previous_response_id"},
    ),
    (
        Fault("tool_choice_ignored", request=_pop("tool_choice")),
        {
            "responses.tool_named",
            "responses.tool_allowed_tools",
            "responses.tool_none",
            "responses.error.unknown_tool_choice",
        },
        set(),
    ),
    (
        Fault("instructions_dropped", request=_pop("instructions")),
        set(),
        {"responses.instructions", "responses.stream.multi_turn"},
    ),
]
