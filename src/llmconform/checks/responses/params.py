"""Open Responses checks that a request's parameters, and requests that build on it, are honoured.

`instructions` is echoed, a small `max_output_tokens` cuts the response as incomplete and is
never exceeded, `previous_response_id` continues a stored response, and a compacted window
can be produced and reused. They judge what a request asked for rather than the shape of the
answer, which `responses` checks; `responses` imports this module so that one import
registers every Open Responses check.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.common import early_stop, excerpt, schema_issues, stopped_early
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, check
from llmconform.checks.responses.core import request_of, response_of
from llmconform.protocol.open_responses import as_list, cut_by_limit

__all__ = ["chained", "compaction", "instructions", "length", "reuses_compaction"]


@check("responses.instructions", "RESP-INSTR-001")
def instructions(ctx: CheckContext) -> Iterator[Issue]:
    """The response echoes the `instructions` it was given."""
    ex = ctx.primary
    sent = request_of(ex).get("instructions")
    got = response_of(ex).get("instructions")
    if got != sent:
        yield Issue(
            "RESP-INSTR-001",
            f"instructions is {excerpt(got)}, expected the request's {excerpt(sent)}",
            "$.instructions",
            ex.index,
        )


@check("responses.length", "RESP-LEN-001", "RESP-LEN-002", "RESP-LEN-003")
def length(ctx: CheckContext) -> Iterator[Issue]:
    """A small max_output_tokens ends the response as incomplete and is never exceeded."""
    ex = ctx.primary
    limit = request_of(ex).get("max_output_tokens")
    if not isinstance(limit, int):
        raise ValueError("responses.length needs a request with max_output_tokens")
    response = response_of(ex)
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    u = response.get("usage")
    out = u.get("output_tokens") if isinstance(u, dict) else None
    if response.get("status") == "completed" and stopped_early(out, limit):
        yield early_stop("RESP-LEN-001", int(out or 0), limit, "$.status", ex.index)
    elif response.get("status") != "incomplete" or reason != "max_output_tokens":
        yield Issue(
            "RESP-LEN-001",
            f"output was limited to {limit} tokens but status is "
            f"{excerpt(response.get('status'))} with incomplete_details "
            f"{excerpt(details)}; expected 'incomplete' with reason "
            "'max_output_tokens'",
            "$.status",
            ex.index,
        )
    if isinstance(out, int) and out > limit:
        yield Issue(
            "RESP-LEN-002",
            f"output_tokens={out} exceeds max_output_tokens={limit}",
            "$.usage.output_tokens",
            ex.index,
        )
    output = as_list(response.get("output"))
    last = output[-1] if output else None
    cut = response.get("status") == "incomplete"
    if cut and isinstance(last, dict) and last.get("status") != "incomplete":
        yield Issue(
            "RESP-LEN-003",
            f"the last output item has status "
            f"{excerpt(last.get('status'))}; the item cut by the token budget "
            "should be 'incomplete'",
            f"$.output[{len(output) - 1}].status",
            ex.index,
        )


@check("responses.chained", "RESP-PREV-001", "RESP-PREV-002")
def chained(ctx: CheckContext) -> Iterator[Issue]:
    """A request naming a stored previous_response_id succeeds and echoes the id."""
    ex = ctx.primary
    sent = request_of(ex).get("previous_response_id")
    if not isinstance(sent, str):
        raise Unverifiable("no previous_response_id was sent (the first request failed?)")
    if ex.status != 200:
        yield Issue(
            "RESP-PREV-001", f"continuing from {sent!r} got status {ex.status}", exchange=ex.index
        )
        return
    got = response_of(ex).get("previous_response_id")
    if got != sent:
        yield Issue(
            "RESP-PREV-002",
            f"previous_response_id is {excerpt(got)}, expected {sent!r}",
            "$.previous_response_id",
            ex.index,
        )


@check("responses.compaction", "RESP-COMPACT-001")
def compaction(ctx: CheckContext) -> Iterator[Issue]:
    """POST /responses/compact answers a `response.compaction` object with output items."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue("RESP-COMPACT-001", f"compaction got status {ex.status}", exchange=ex.index)
        return
    yield from schema_issues(ex.json, "responses/compaction", "RESP-COMPACT-001", ex.index)


@check("responses.reuses_compaction", "RESP-COMPACT-002")
def reuses_compaction(ctx: CheckContext) -> Iterator[Issue]:
    """A new response whose input is a compacted window plus a new message succeeds.

    Success is status "completed", or "incomplete" because the answer reached its
    max_output_tokens: the window was accepted either way.
    """
    ex = ctx.primary
    if ex.index == 0:
        raise Unverifiable("the compaction step failed, so its output could not be reused")
    if ex.status != 200:
        yield Issue(
            "RESP-COMPACT-002",
            f"a response over the compacted window got status {ex.status}",
            exchange=ex.index,
        )
        return
    response = response_of(ex)
    status = response.get("status")
    if status != "completed" and not cut_by_limit(response):
        yield Issue(
            "RESP-COMPACT-002",
            f"a response over the compacted window has status {excerpt(status)}",
            "$.status",
            ex.index,
        )
