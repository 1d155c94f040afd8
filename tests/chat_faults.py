"""The broken chat servers: each fault with the cases it must fail and those it must warn.

Used by the chat broken-server test and by the SDK broken-server test."""

from __future__ import annotations

import json
from typing import Any

from broken_servers import DONE, Fault, invalid_utf8_comment

STREAM_ALL = {
    "stream.basic",
    "stream.include_usage",
    "stream.length",
    "stream.length_usage",
    "stream.stop",
    "stream.multi_turn",
    "stream.n_choices",
    "stream.n_choices_usage",
}
STRUCTURAL_400 = {
    "error.malformed_json",
    "error.body_not_object",
    "error.missing_model",
    "error.missing_messages",
    "error.messages_not_array",
    "error.empty_messages",
    "error.invalid_role",
    "error.invalid_stream_request",
}
RANGE_400 = {
    "error.temperature_out_of_range",
    "error.top_p_out_of_range",
    "error.n_zero",
    "error.max_tokens_negative",
    "error.stream_not_boolean",
    "error.context_length",
}
ENVELOPE_CASES = (
    STRUCTURAL_400
    | RANGE_400
    | {
        "error.unknown_model",
        "error.unknown_model_stream",
        "models.retrieve_unknown",
        "auth.invalid_key",
        "auth.missing_key",
    }
)
# Streams judged only for framing and their usage (stream.usage_matches): any framing fault.
USAGE_TWIN = {"stream.usage_matches"}
# The property cases (conformance/openai/properties.yaml) send generated requests: a fault
# that breaks every answer, or every error, shows in their samples too.
PROP_VALID = {"prop.valid_requests"}
PROP_INVALID = {"prop.invalid_requests"}
USAGE_ARITHMETIC = {
    "chat.basic",
    "chat.multi_turn",
    "chat.max_tokens_length",
    "chat.max_completion_tokens_length",
    "chat.n_choices",
    "stream.include_usage",
    "stream.length_usage",
    "stream.n_choices_usage",
}


def _on_choices(fn: Any) -> Any:
    """Apply `fn(choice)` to every choice of a body or chunk."""

    def rewrite(value: Any) -> Any:
        for choice in value.get("choices") or [] if isinstance(value, dict) else []:
            fn(choice)
        return value

    return rewrite


def _set(key: str, fn: Any) -> Any:
    def rewrite(value: Any) -> Any:
        if isinstance(value, dict) and key in value:
            value[key] = fn(value[key])
        return value

    return rewrite


def _created_ms_with_models(body: Any) -> Any:
    """`created` in milliseconds: on the body and on each model of a model list."""
    _set("created", lambda c: c * 1000)(body)
    data = body.get("data") if isinstance(body, dict) else None
    for item in data if isinstance(data, list) else []:
        _set("created", lambda c: c * 1000)(item)
    return body


def _usage(fn: Any) -> Any:
    def rewrite(value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("usage"), dict):
            fn(value["usage"])
        return value

    return rewrite


def _drop_role(choice: dict[str, Any]) -> None:
    if isinstance(choice.get("delta"), dict):
        choice["delta"].pop("role", None)


def _length_to_stop(choice: dict[str, Any]) -> None:
    if choice.get("finish_reason") == "length":
        choice["finish_reason"] = "stop"


def _finish_everywhere(choice: dict[str, Any]) -> None:
    if choice.get("finish_reason") is None:
        choice["finish_reason"] = "stop"


def _bump_total(usage: dict[str, Any]) -> None:
    usage["total_tokens"] += 1


_counter = iter(range(10**9))


def _fresh_id(value: Any) -> Any:
    value["id"] = f"chatcmpl-{next(_counter)}"
    return value


def _error_to_detail(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"detail": body["error"]["message"]}
    return body


def _stream_error_as_sse(
    stream: bool, status: int, ctype: str, body: bytes
) -> tuple[int, str, bytes]:
    """A stream request's error sent as a 200 event stream: the error event, then [DONE]."""
    if stream and status >= 400:
        event = f"data: {json.dumps(json.loads(body))}\n\n{DONE}"
        return 200, "text/event-stream", event.encode()
    return status, ctype, body


def _bare_model_list(body: Any) -> Any:
    return body["data"] if isinstance(body, dict) and body.get("object") == "list" else body


def _pop(key: str) -> Any:
    def rewrite(request: Any) -> Any:
        if isinstance(request, dict):
            request.pop(key, None)
        return request

    return rewrite


def _every_chunk_usage(chunk: Any) -> Any:
    if "usage" in chunk and chunk["usage"] is None:
        chunk["usage"] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return chunk


# (fault, cases expected to FAIL, cases expected to WARN)
CASES: list[tuple[Fault, set[str], set[str]]] = [
    (
        Fault("no_done", events=lambda evs: [e for e in evs if e != DONE]),
        STREAM_ALL | PROP_VALID | USAGE_TWIN,
        set(),
    ),
    (
        Fault("data_after_done", events=lambda evs: [*evs, evs[0]]),
        STREAM_ALL | PROP_VALID | USAGE_TWIN,
        set(),
    ),
    (
        Fault("sse_as_text_plain", content_type=lambda c: "text/plain" if "event" in c else c),
        STREAM_ALL | PROP_VALID | USAGE_TWIN,
        set(),
    ),
    (
        Fault("no_data_prefix", events=lambda evs: [e.removeprefix("data: ") for e in evs]),
        STREAM_ALL | PROP_VALID | USAGE_TWIN,
        set(),
    ),
    (
        Fault("missing_role", chunk=_on_choices(_drop_role)),
        {"stream.basic", "stream.multi_turn", "stream.n_choices"} | PROP_VALID,
        set(),
    ),
    (
        Fault(
            "created_in_ms",
            body=_created_ms_with_models,
            chunk=_set("created", lambda c: c * 1000),
        ),
        {"chat.basic", "stream.basic", "models.list", "models.retrieve"} | PROP_VALID,
        set(),
    ),
    (
        Fault(
            "created_zero", body=_set("created", lambda c: 0), chunk=_set("created", lambda c: 0)
        ),
        set(),
        {"chat.basic", "stream.basic"},
    ),
    (
        Fault("inconsistent_chunk_ids", chunk=_fresh_id),
        {"stream.basic", "stream.n_choices"} | PROP_VALID,
        set(),
    ),
    (
        # A missing finish_reason is a SHOULD (STREAM-FINISH-001: OpenAI's gpt-audio streams
        # send none); the cases that ask for a "length" finish still fail (CHAT-LEN-001).
        Fault("finish_reason_missing", chunk=_on_choices(lambda c: c.update(finish_reason=None))),
        {"stream.length", "stream.length_usage"},
        STREAM_ALL - {"stream.n_choices_usage", "stream.length", "stream.length_usage"},
    ),
    (
        Fault("finish_reason_on_every_chunk", chunk=_on_choices(_finish_everywhere)),
        {
            "stream.basic",
            "stream.include_usage",
            "stream.length",
            "stream.stop",
            "stream.multi_turn",
            "stream.n_choices",
        }
        | PROP_VALID,
        set(),
    ),
    (
        Fault("usage_chunk_missing", chunk=lambda c: None if c.get("choices") == [] else c),
        {"stream.include_usage", "stream.length_usage", "stream.n_choices_usage"} | PROP_VALID,
        set(),
    ),
    (
        Fault("usage_on_every_chunk", chunk=_every_chunk_usage),
        {"stream.include_usage", "stream.length_usage", "stream.n_choices_usage"},
        set(),
    ),
    (
        Fault("usage_total_wrong", body=_usage(_bump_total), chunk=_usage(_bump_total)),
        USAGE_ARITHMETIC | PROP_VALID,
        set(),
    ),
    (
        Fault("stop_ignored", request=_pop("stop")),
        {"chat.stop_string", "chat.stop_list", "stream.stop"},
        set(),
    ),
    (
        Fault(
            "length_reported_as_stop",
            body=_on_choices(_length_to_stop),
            chunk=_on_choices(_length_to_stop),
        ),
        # stream.length asks for no usage: its "stop" cannot be told from a natural end
        # (undecided); stream.length_usage, with the token count, decides it.
        {
            "chat.max_tokens_length",
            "chat.max_completion_tokens_length",
            "stream.length_usage",
        },
        set(),
    ),
    (
        Fault("n_ignored", request=_pop("n")),
        {"chat.n_choices", "stream.n_choices", "stream.n_choices_usage"},
        {"error.n_zero"} | PROP_INVALID,  # out-of-range n accepted: PROP-004 is a SHOULD
    ),
    (
        Fault("errors_as_200", status=lambda s: 200 if s >= 400 else s),
        ENVELOPE_CASES | PROP_INVALID,
        {"error.unknown_route"},
    ),
    (Fault("detail_error_bodies", body=_error_to_detail), ENVELOPE_CASES | PROP_INVALID, set()),
    (
        # FastAPI's {"detail": ...} sent with a 200: as bad as the OpenAI envelope with a 200.
        Fault(
            "detail_errors_as_200",
            status=lambda s: 200 if s >= 400 else s,
            body=_error_to_detail,
        ),
        ENVELOPE_CASES | PROP_INVALID,
        {"error.unknown_route"},
    ),
    (
        Fault("stream_errors_as_sse_200", response=_stream_error_as_sse),
        {"error.invalid_stream_request", "error.unknown_model_stream"},
        set(),
    ),
    (
        Fault("server_error_on_invalid", status=lambda s: 500 if s == 400 else s),
        STRUCTURAL_400 | RANGE_400 | PROP_INVALID,
        set(),
    ),
    (Fault("auth_not_enforced", api_key=False), {"auth.invalid_key", "auth.missing_key"}, set()),
    (Fault("model_list_not_an_object", body=_bare_model_list), {"models.list"}, set()),
    (
        # Every stream case judges its stream's framing (STREAM-002), encoding included.
        Fault("invalid_utf8_in_streams", events=invalid_utf8_comment),
        STREAM_ALL | PROP_VALID | USAGE_TWIN,
        set(),
    ),
]
