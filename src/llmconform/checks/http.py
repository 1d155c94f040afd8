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


def _prefix_issue(ctx: CheckContext, requirement: str, prefix: str) -> Iterator[Issue]:
    ex = ctx.primary
    body = ex.json if ex.status == 200 and not ex.is_stream else None
    value = body.get("id") if isinstance(body, dict) else None
    if isinstance(value, str) and not value.startswith(prefix):
        yield Issue(
            requirement,
            f"id {value[:40]!r} does not start with {prefix!r} as the reference service's ids "
            "do (clients treat ids as opaque: only reported)",
            "$.id",
            ex.index,
        )


# The id prefixes of each API's reference service; no spec asks for them, so each is a MAY.
@check("id.chat_prefix", "CHAT-ID-001")
def chat_prefix(ctx: CheckContext) -> Iterator[Issue]:
    """A chat completion id starts with "chatcmpl-" (MAY)."""
    yield from _prefix_issue(ctx, "CHAT-ID-001", "chatcmpl-")


@check("id.completion_prefix", "CMPL-ID-001")
def completion_prefix(ctx: CheckContext) -> Iterator[Issue]:
    """A legacy completion id starts with "cmpl-" (MAY)."""
    yield from _prefix_issue(ctx, "CMPL-ID-001", "cmpl-")


@check("id.message_prefix", "ANT-ID-001")
def message_prefix(ctx: CheckContext) -> Iterator[Issue]:
    """An Anthropic message id starts with "msg_" (MAY)."""
    yield from _prefix_issue(ctx, "ANT-ID-001", "msg_")


@check("id.response_prefix", "RESP-ID-001")
def response_prefix(ctx: CheckContext) -> Iterator[Issue]:
    """A Responses id starts with "resp_" (MAY)."""
    yield from _prefix_issue(ctx, "RESP-ID-001", "resp_")
