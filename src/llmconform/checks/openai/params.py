"""Accepted-parameter checks: valid requests with less common parameters get a completion.

Each check is the same judgement (status 200 and a chat completion with a message) filed
under the requirement its case tests, so a report says *which* kind of valid input a server
refuses. The optional `param` argument names the field under test in the message.
"""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.common import choices_of, excerpt
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, check


def _accepted(ctx: CheckContext, requirement: str) -> Iterator[Issue]:
    ex = ctx.primary
    what = str(ctx.args.get("param", "the request"))
    if ex.status != 200:
        detail = ""
        try:
            body = ex.json
            err = body.get("error") if isinstance(body, dict) else None
            message = err.get("message") if isinstance(err, dict) else body
            detail = f": {excerpt(message, 120)}"
        except Unverifiable:
            pass
        yield Issue(
            requirement,
            f"a valid request using {what} was refused with status {ex.status}{detail}",
            exchange=ex.index,
        )
        return
    got = choices_of(ex.completion)
    if not got or not all(isinstance(c.get("message"), dict) for c in got):
        yield Issue(
            requirement,
            f"a valid request using {what} got a 200 without a chat completion message",
            "$.choices",
            ex.index,
        )


@check("params.sampling_accepted", "PARAM-001")
def sampling_accepted(ctx: CheckContext) -> Iterator[Issue]:
    """Sampling parameters at documented values (temperature 0 and 2, top_p 1, seed) work."""
    yield from _accepted(ctx, "PARAM-001")


@check("params.message_forms_accepted", "PARAM-002")
def message_forms_accepted(ctx: CheckContext) -> Iterator[Issue]:
    """The `developer` role and content given as an array of text parts are accepted."""
    yield from _accepted(ctx, "PARAM-002")


@check("params.tagging_accepted", "PARAM-003")
def tagging_accepted(ctx: CheckContext) -> Iterator[Issue]:
    """Bookkeeping parameters (`user`, `metadata`, `store`) are accepted."""
    yield from _accepted(ctx, "PARAM-003")


@check("params.unknown_ignored", "PARAM-004")
def unknown_ignored(ctx: CheckContext) -> Iterator[Issue]:
    """An unknown top-level field is ignored rather than rejected."""
    yield from _accepted(ctx, "PARAM-004")


@check("params.null_as_absent", "PARAM-005")
def null_as_absent(ctx: CheckContext) -> Iterator[Issue]:
    """Optional parameters sent as explicit `null` are treated as absent."""
    yield from _accepted(ctx, "PARAM-005")
