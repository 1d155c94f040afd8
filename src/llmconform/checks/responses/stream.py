"""Open Responses stream checks: SSE framing, event schema, and the event state machine.

The stream is replayed by `apis.open_responses_machine.StreamMachine`; each check here
reports the machine's violations of the rules it owns, so one broken rule fails one
requirement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from llmconform.checks.common import invalid_utf8, schema_issues
from llmconform.checks.context import CheckContext, Exchange
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.protocol import open_responses as sm
from llmconform.protocol.open_responses import cut_by_limit
from llmconform.protocol.open_responses_machine import analyze

# SSE events without an `event:` field are dispatched with the default type "message".
_DEFAULT_EVENT = "message"


def stream_events(ex: Exchange) -> list[sm.StreamEvent]:
    """The exchange's SSE events as the state machine's input."""
    out: list[sm.StreamEvent] = []
    for i, ev in enumerate(ex.events):
        try:
            data = json.loads(ev.data)
        except json.JSONDecodeError:
            data = None
        name = None if ev.event == _DEFAULT_EVENT else ev.event
        out.append(sm.StreamEvent(i, name, data, ev.data))
    return out


def stream_report(ex: Exchange) -> sm.StreamReport:
    """Replay the exchange's stream."""
    return analyze(stream_events(ex))


def _report(
    ex: Exchange, rules: dict[str, str], kind: IssueKind = IssueKind.VIOLATION
) -> Iterator[Issue]:
    """One issue per broken rule (its first occurrence, with a count of the others)."""
    seen: dict[str, list[sm.Violation]] = {}
    for v in stream_report(ex).violations:
        if v.rule in rules:
            seen.setdefault(v.rule, []).append(v)
    for rule, found in seen.items():
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        where = f"event[{first.event}]" if first.event is not None else ""
        yield Issue(rules[rule], first.message + more, where, ex.index, kind)


@check("responses.stream_content_type", "RESP-STREAM-001")
def content_type(ctx: CheckContext) -> Iterator[Issue]:
    """A stream is answered with status 200 and `Content-Type: text/event-stream`."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "RESP-STREAM-001",
            f"expected status 200 for a valid stream request, got {ex.status}",
            exchange=ex.index,
        )
    if ex.content_type != "text/event-stream":
        got = ex.capture.header("content-type")
        yield Issue(
            "RESP-STREAM-001",
            f"Content-Type is {got!r}, expected text/event-stream",
            exchange=ex.index,
        )


@check("responses.stream_events", "RESP-STREAM-002")
def events_schema(ctx: CheckContext) -> Iterator[Issue]:
    """The stream is UTF-8 and every event is a `data:` JSON object that matches the schema
    of its type."""
    ex = ctx.primary
    yield from invalid_utf8("RESP-STREAM-002", ex)
    if not ex.events:
        yield Issue("RESP-STREAM-002", "no server-sent event was received", exchange=ex.index)
        return
    yield from _report(ex, {sm.FRAMING: "RESP-STREAM-002"})
    reported = 0
    for i, ev in enumerate(stream_events(ex)):
        if not isinstance(ev.data, dict):
            continue
        issues = list(
            schema_issues(
                ev.data, "responses/stream.event", "RESP-STREAM-002", ex.index, f"event[{i}]"
            )
        )
        yield from issues
        reported += bool(issues)
        if reported >= 3:
            break


@check("responses.stream_names", "RESP-STREAM-003", "RESP-STREAM-004")
def names(ctx: CheckContext) -> Iterator[Issue]:
    """Each event's SSE `event:` name is present and equals the `type` in its data."""
    yield from _report(
        ctx.primary, {sm.NAME_MISMATCH: "RESP-STREAM-003", sm.NAME_MISSING: "RESP-STREAM-004"}
    )


@check("responses.stream_order", "RESP-STREAM-005", "RESP-STREAM-006")
def order(ctx: CheckContext) -> Iterator[Issue]:
    """`response.created` comes first (MUST), then `response.in_progress` (SHOULD)."""
    yield from _report(
        ctx.primary, {sm.CREATED_FIRST: "RESP-STREAM-005", sm.IN_PROGRESS: "RESP-STREAM-006"}
    )


@check("responses.stream_terminal", "RESP-STREAM-007", "RESP-STREAM-008")
def terminal(ctx: CheckContext) -> Iterator[Issue]:
    """Exactly one terminal event, nothing after it, errors end in response.failed."""
    ex = ctx.primary
    yield from _report(
        ex,
        {
            sm.TERMINAL_MISSING: "RESP-STREAM-007",
            sm.TERMINAL_MULTIPLE: "RESP-STREAM-007",
            sm.AFTER_TERMINAL: "RESP-STREAM-007",
            sm.ERROR_NOT_FAILED: "RESP-STREAM-007",
        },
    )
    # The spec asks for a final `data: [DONE]`; OpenAI does not send one, so it is a note.
    yield from _report(ex, {sm.DONE_MISSING: "RESP-STREAM-008"}, IssueKind.INFO)


@check("responses.stream_sequence", "RESP-STREAM-009")
def sequence(ctx: CheckContext) -> Iterator[Issue]:
    """`sequence_number` is an integer that strictly increases from event to event."""
    yield from _report(ctx.primary, {sm.SEQUENCE: "RESP-STREAM-009"})


@check("responses.stream_items", "RESP-STREAM-010", "RESP-STREAM-011")
def items(ctx: CheckContext) -> Iterator[Issue]:
    """Output items and content parts are added before use, closed once, with stable ids."""
    yield from _report(
        ctx.primary,
        {
            sm.ITEM_ORDER: "RESP-STREAM-010",
            sm.ITEM_ID: "RESP-STREAM-010",
            sm.ITEM_NOT_DONE: "RESP-STREAM-010",
            sm.ITEM_INCOMPLETE: "RESP-STREAM-010",
            sm.PART_ORDER: "RESP-STREAM-011",
        },
    )


@check("responses.stream_text", "RESP-STREAM-012")
def text(ctx: CheckContext) -> Iterator[Issue]:
    """Every `*.done` text equals the concatenation of its deltas."""
    yield from _report(ctx.primary, {sm.TEXT_MISMATCH: "RESP-STREAM-012"})


@check("responses.stream_arguments", "RESP-STREAM-013")
def arguments(ctx: CheckContext) -> Iterator[Issue]:
    """Function call argument deltas join to the `.done` arguments and the item's arguments.

    A stream that ends in response.incomplete because of max_output_tokens may stop before
    any call: what its deltas would have been cannot be told (inconclusive).
    """
    ex = ctx.primary
    report = stream_report(ex)
    if not any(item.type == "function_call" for item in report.items):
        final = report.terminal_response or {}
        cut = report.terminal_type == "response.incomplete" and cut_by_limit(final)
        yield Issue(
            "RESP-STREAM-013",
            "the stream was cut by max_output_tokens before any function_call item: cannot "
            "tell whether its argument deltas would join"
            if cut
            else "the stream carried no function_call item",
            exchange=ex.index,
            kind=IssueKind.INCONCLUSIVE if cut else IssueKind.VIOLATION,
        )
    yield from _report(ex, {sm.ARGS_MISMATCH: "RESP-STREAM-013"})


@check("responses.stream_final", "RESP-STREAM-014", "RESP-STREAM-015")
def final(ctx: CheckContext) -> Iterator[Issue]:
    """The terminal event's response equals what the events built, with the matching status,
    and names the model response.created named."""
    yield from _report(
        ctx.primary, {sm.FINAL_MISMATCH: "RESP-STREAM-014", sm.FINAL_STATUS: "RESP-STREAM-014"}
    )
    yield from _same_model(ctx.primary)


_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


def _same_model(ex: Exchange) -> Iterator[Issue]:
    models: dict[str, tuple[int, object]] = {}
    for ev in stream_events(ex):
        data = ev.data if isinstance(ev.data, dict) else {}
        kind = data.get("type")
        response = data.get("response")
        if not isinstance(response, dict) or "model" not in response:
            continue
        if kind == "response.created":
            models.setdefault("created", (ev.index, response["model"]))
        elif kind in _TERMINAL:
            models["terminal"] = (ev.index, response["model"])
    if "created" in models and "terminal" in models:
        (_, first), (at, last) = models["created"], models["terminal"]
        if first != last:
            yield Issue(
                "RESP-STREAM-015",
                f"response.created names model {first!r}, the terminal event {last!r}",
                f"event[{at}].response.model",
                ex.index,
            )
