"""HTTP-level checks: status codes, content types, JSON bodies."""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.context import CheckContext
from llmconform.checks.registry import Issue, check


@check("http.ok", "HTTP-001")
def ok(ctx: CheckContext) -> Iterator[Issue]:
    """A valid request is answered with status 200."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "HTTP-001",
            f"expected status 200 for a valid request, got {ex.status}",
            exchange=ex.index,
        )


@check("http.json", "HTTP-002")
def json_body(ctx: CheckContext) -> Iterator[Issue]:
    """A non-streamed answer is `application/json` and its body parses as JSON."""
    ex = ctx.primary
    if ex.content_type != "application/json":
        got = ex.capture.header("content-type")
        yield Issue(
            "HTTP-002", f"Content-Type is {got!r}, expected application/json", exchange=ex.index
        )
    _ = ex.json  # raises Unverifiable with the parse error when the body is not JSON
