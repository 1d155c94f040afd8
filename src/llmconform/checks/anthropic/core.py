"""Anthropic Messages checks: the message, its stream, tool use, errors and authentication.

Message checks judge `message_of(ex)`: the JSON body, or the message a stream folds into
(`apis.anthropic_messages`), so one check serves both. Stream order is judged by the
reducer, whose violation rules map one-to-one onto requirements. Tool use lives in
`anthropic_tools` (imported at the end, so one import registers every Anthropic check).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import (
    early_stop,
    excerpt,
    invalid_utf8,
    not_client_error,
    schema_issues,
    stopped_early,
    unexpected_status,
)
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, check

# jsonschema ships no type hints (see schema_validation).
from llmconform.protocol.anthropic_messages import FoldedStream, Rule, fold_stream, text_of

STOP_REASONS = frozenset(
    {
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    }
)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
RULE_REQUIREMENTS = {
    Rule.NOT_JSON: "ANT-STREAM-002",
    Rule.EVENT_NAME: "ANT-STREAM-003",
    Rule.START: "ANT-STREAM-005",
    Rule.BLOCKS: "ANT-STREAM-006",
    Rule.INTERLEAVE: "ANT-STREAM-007",
    Rule.DELTA_TYPE: "ANT-STREAM-008",
    Rule.TOOL_JSON: "ANT-STREAM-009",
    Rule.MESSAGE_DELTA: "ANT-STREAM-010",
    Rule.STOP: "ANT-STREAM-011",
    Rule.ERROR_EVENT: "ANT-STREAM-011",
}


def fold(ex: Exchange) -> FoldedStream:
    """The stream of an exchange folded into a message, with its order violations."""
    return fold_stream((e.event, e.data) for e in ex.events)


def message_of(ex: Exchange) -> dict[str, Any]:
    """The message an exchange produced: the body, or the folded stream."""
    if ex.status != 200:
        raise Unverifiable(f"no message to judge: the status is {ex.status}")
    if ex.is_stream:
        message = fold(ex).message
        if message is None:
            raise Unverifiable("the stream has no message_start, so there is no message")
        return message
    body = ex.json
    if not isinstance(body, dict):
        raise Unverifiable("the response body is not a JSON object")
    return body


def request_of(ex: Exchange) -> dict[str, Any]:
    """The JSON body the exchange sent ({} when it sent none or not an object)."""
    body = ex.request_json
    return body if isinstance(body, dict) else {}


def _ev(i: int | None) -> str:
    return "" if i is None else f"event[{i}]"


# --- the message ---------------------------------------------------------------------------


@check("ant.ok", "ANT-HTTP-001")
def ok(ctx: CheckContext) -> Iterator[Issue]:
    """A valid request gets status 200 with a JSON body."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue("ANT-HTTP-001", f"expected status 200, got {ex.status}", exchange=ex.index)
    if ex.content_type != "application/json":
        got = ex.capture.header("content-type")
        yield Issue(
            "ANT-HTTP-001", f"Content-Type is {got!r}, expected application/json", "", ex.index
        )
    _ = ex.json  # Unverifiable when the body is not JSON


@check("ant.message_schema", "ANT-001")
def message_schema(ctx: CheckContext) -> Iterator[Issue]:
    """The message conforms to the `anthropic/message` schema."""
    ex = ctx.primary
    yield from schema_issues(message_of(ex), "anthropic/message", "ANT-001", ex.index)


@check("ant.stop_reason", "ANT-002", "ANT-003")
def stop_reason(ctx: CheckContext) -> Iterator[Issue]:
    """A finished message has a non-null stop_reason, one of the documented values."""
    ex = ctx.primary
    reason = message_of(ex).get("stop_reason")
    if reason is None:
        yield Issue("ANT-002", "the finished message has no stop_reason", "$.stop_reason", ex.index)
    elif reason not in STOP_REASONS:
        yield Issue(
            "ANT-003", f"stop_reason {excerpt(reason)} is not documented", "$.stop_reason", ex.index
        )


@check("ant.max_tokens", "ANT-LEN-001", "ANT-LEN-002")
def max_tokens(ctx: CheckContext) -> Iterator[Issue]:
    """A small max_tokens ends the message with stop_reason "max_tokens" and is never exceeded."""
    ex = ctx.primary
    limit = request_of(ex).get("max_tokens")
    if not isinstance(limit, int):
        raise ValueError("ant.max_tokens needs a request with max_tokens")
    message = message_of(ex)
    usage = message.get("usage")
    out = usage.get("output_tokens") if isinstance(usage, dict) else None
    if message.get("stop_reason") == "end_turn" and stopped_early(out, limit):
        yield early_stop("ANT-LEN-001", int(out or 0), limit, "$.stop_reason", ex.index)
    elif message.get("stop_reason") != "max_tokens":
        yield Issue(
            "ANT-LEN-001",
            f"generation was limited to {limit} tokens but stop_reason is "
            f"{excerpt(message.get('stop_reason'))}, expected 'max_tokens'",
            "$.stop_reason",
            ex.index,
        )
    if isinstance(out, int) and out > limit:
        yield Issue(
            "ANT-LEN-002",
            f"output_tokens={out} exceeds max_tokens={limit}",
            "$.usage.output_tokens",
            ex.index,
        )


@check("ant.stop_sequences", "ANT-STOP-001", "ANT-STOP-002")
def stop_sequences(ctx: CheckContext) -> Iterator[Issue]:
    """No text contains a requested stop sequence; `stop_sequence` names the one that matched."""
    ex = ctx.primary
    stops = [s for s in request_of(ex).get("stop_sequences") or [] if isinstance(s, str) and s]
    if not stops:
        raise ValueError("ant.stop_sequences needs a request with stop_sequences")
    message = message_of(ex)
    text = text_of(message)
    for seq in stops:
        if seq in text:
            yield Issue(
                "ANT-STOP-001",
                f"the text contains the stop sequence {seq!r} at offset {text.index(seq)}",
                "$.content",
                ex.index,
            )
    reason, matched = message.get("stop_reason"), message.get("stop_sequence")
    if reason == "stop_sequence" and matched not in stops:
        yield Issue(
            "ANT-STOP-002",
            f"stop_reason is 'stop_sequence' but stop_sequence is {excerpt(matched)}, "
            f"not one of {stops}",
            "$.stop_sequence",
            ex.index,
        )
    elif reason != "stop_sequence" and matched is not None:
        yield Issue(
            "ANT-STOP-002",
            f"stop_sequence is {excerpt(matched)} but stop_reason is {excerpt(reason)}",
            "$.stop_sequence",
            ex.index,
        )


@check("ant.version_required", "ANT-VER-001", expects_error=True)
def version_required(ctx: CheckContext) -> Iterator[Issue]:
    """A request without the `anthropic-version` header is rejected with 400."""
    ex = ctx.primary
    if ex.status != 400:
        yield Issue(
            "ANT-VER-001",
            f"a request without anthropic-version got status {ex.status}, Anthropic answers 400",
            exchange=ex.index,
        )


# --- the stream ----------------------------------------------------------------------------


@check("ant.stream_http", "ANT-STREAM-001")
def stream_http(ctx: CheckContext) -> Iterator[Issue]:
    """A stream is answered with status 200 and `Content-Type: text/event-stream`."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue("ANT-STREAM-001", f"expected status 200, got {ex.status}", exchange=ex.index)
    if ex.content_type != "text/event-stream":
        got = ex.capture.header("content-type")
        yield Issue(
            "ANT-STREAM-001", f"Content-Type is {got!r}, expected text/event-stream", "", ex.index
        )


@check("ant.stream_framing", "ANT-STREAM-002")
def stream_framing(ctx: CheckContext) -> Iterator[Issue]:
    """Events are well-framed UTF-8 SSE whose data is a JSON object with a `type`."""
    ex = ctx.primary
    obs = ex.sse_observations
    yield from invalid_utf8("ANT-STREAM-002", ex)
    if obs.json_like_lines or obs.lines_without_colon:
        yield Issue(
            "ANT-STREAM-002",
            f"{obs.json_like_lines + obs.lines_without_colon} line(s) carry no SSE field name",
            exchange=ex.index,
        )
    if obs.incomplete_tail:
        yield Issue(
            "ANT-STREAM-002", "the stream ended inside an event (no blank line)", "", ex.index
        )
    if not ex.events:
        yield Issue("ANT-STREAM-002", "no server-sent event was received", exchange=ex.index)
    for v in fold(ex).of(Rule.NOT_JSON)[:3]:
        yield Issue("ANT-STREAM-002", v.message, _ev(v.event), ex.index)


@check("ant.stream_names", "ANT-STREAM-003")
def stream_names(ctx: CheckContext) -> Iterator[Issue]:
    """Every event's SSE `event:` name equals its data's `type`."""
    ex = ctx.primary
    bad = fold(ex).of(Rule.EVENT_NAME)
    for v in bad[:3]:
        yield Issue("ANT-STREAM-003", v.message, _ev(v.event), ex.index)
    if len(bad) > 3:
        yield Issue("ANT-STREAM-003", f"{len(bad) - 3} more misnamed event(s)", "", ex.index)


@check("ant.stream_schema", "ANT-STREAM-004")
def stream_schema(ctx: CheckContext) -> Iterator[Issue]:
    """Every event payload conforms to the `anthropic/stream.event` schema."""
    ex = ctx.primary
    reported = 0
    for p in ex.payloads:
        issues = list(
            schema_issues(
                p.value, "anthropic/stream.event", "ANT-STREAM-004", ex.index, _ev(p.event_index)
            )
        )
        yield from issues
        reported += bool(issues)
        if reported >= 3:
            break


@check(
    "ant.stream_order",
    "ANT-STREAM-005",
    "ANT-STREAM-006",
    "ANT-STREAM-007",
    "ANT-STREAM-008",
    "ANT-STREAM-009",
    "ANT-STREAM-010",
    "ANT-STREAM-011",
)
def stream_order(ctx: CheckContext) -> Iterator[Issue]:
    """Events follow the documented flow (message_start, blocks, message_delta, message_stop)."""
    ex = ctx.primary
    if not ex.events:
        raise Unverifiable("no server-sent event was received")
    per_rule: dict[Rule, int] = {}
    for v in fold(ex).violations:
        req = RULE_REQUIREMENTS.get(v.rule)
        if req is None or v.rule in (Rule.NOT_JSON, Rule.EVENT_NAME):
            continue  # reported by stream_framing and stream_names
        per_rule[v.rule] = per_rule.get(v.rule, 0) + 1
        if per_rule[v.rule] <= 3:
            yield Issue(req, v.message, _ev(v.event), ex.index)


# --- errors ----------------------------------------------------------------------------------


@check("ant.error_4xx", "ANT-ERR-001", expects_error=True)
def error_4xx(ctx: CheckContext) -> Iterator[Issue]:
    """An invalid request gets a 4xx status: never a 2xx (error in a success) nor a 5xx."""
    yield from not_client_error("ANT-ERR-001", ctx.primary)


@check("ant.error_status", "ANT-ERR-002", expects_error=True)
def error_status(ctx: CheckContext) -> Iterator[Issue]:
    """The error uses the status Anthropic documents for it (`expect`)."""
    yield from unexpected_status("ANT-ERR-002", ctx.primary, ctx.args.get("expect", 400))


@check("ant.error_body", "ANT-ERR-003", "ANT-ERR-004")
def error_body(ctx: CheckContext) -> Iterator[Issue]:
    """An error is JSON `{"type": "error", "error": {"type", "message"}}` with the type that
    Anthropic uses for the status."""
    ex = ctx.primary
    if ex.status is None or ex.status < 400:
        return  # the status checks report it
    if ex.content_type != "application/json":
        got = ex.capture.header("content-type")
        yield Issue("ANT-ERR-003", f"error Content-Type is {got!r}, not JSON", "", ex.index)
    body = ex.json
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or not all(
        isinstance(err.get(k), str) for k in ("type", "message")
    ):
        yield Issue(
            "ANT-ERR-003",
            f"error body {excerpt(body)} lacks error.type and error.message strings",
            "$.error",
            ex.index,
        )
        return
    issues = list(schema_issues(body, "anthropic/error", "ANT-ERR-004", ex.index))
    yield from issues
    expected = ERROR_TYPES.get(ex.status)
    if expected is not None and err["type"] != expected:
        yield Issue(
            "ANT-ERR-004",
            f"error.type is {excerpt(err['type'])}; Anthropic uses {expected!r} for {ex.status}",
            "$.error.type",
            ex.index,
        )


@check("ant.accepted_or_refused", "ANT-SYS-001", "ANT-001")
def accepted_or_refused(ctx: CheckContext) -> Iterator[Issue]:
    """A request the API may accept or refuse (model- or version-dependent) gets either a 200
    with a valid Message or a 4xx; never a 5xx nor another status. The 4xx body's shape is
    judged by `ant.error_body`."""
    ex = ctx.primary
    if ex.status is not None and 400 <= ex.status < 500:
        return
    if ex.status != 200:
        yield Issue(
            "ANT-SYS-001",
            f"expected 200 (accepted) or a 4xx (refused), got status {ex.status}",
            exchange=ex.index,
        )
        return
    yield from schema_issues(message_of(ex), "anthropic/message", "ANT-001", ex.index)


@check("ant.auth_rejected", "ANT-AUTH-001", expects_error=True)
def auth_rejected(ctx: CheckContext) -> Iterator[Issue]:
    """A missing or wrong `x-api-key` is answered with 401."""
    ex = ctx.primary
    if ex.status != 401:
        yield Issue(
            "ANT-AUTH-001",
            f"a request with a bad or missing x-api-key got status {ex.status}, expected 401",
            exchange=ex.index,
        )
