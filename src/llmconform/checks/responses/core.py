"""Open Responses checks: the response object, errors and authentication.

A check reads `response_of(ex)`: the body of a non-streamed answer, or the response carried
by the terminal event of a stream, so the same semantic rule covers both transports. Stream
framing and event-order rules live in `responses.stream`, honoured parameters in
`responses.params`, function calling in `responses.tools`, multi-step cases in
`scenarios.responses`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import excerpt, not_client_error, schema_issues, unexpected_status
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.protocol.open_responses import as_list, cut_by_limit

_MS_THRESHOLD = 100_000_000_000  # 5138 AD in seconds; 1973 in milliseconds
_DAY = 86_400
TERMINAL = ("response.completed", "response.failed", "response.incomplete")
# Members the Open Responses spec (2026-04-24) marks required on ResponseResource.
SPEC_FIELDS = (
    "id",
    "object",
    "created_at",
    "completed_at",
    "status",
    "incomplete_details",
    "model",
    "previous_response_id",
    "instructions",
    "output",
    "error",
    "tools",
    "tool_choice",
    "truncation",
    "parallel_tool_calls",
    "text",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "top_logprobs",
    "temperature",
    "reasoning",
    "usage",
    "max_output_tokens",
    "max_tool_calls",
    "store",
    "background",
    "service_tier",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
)


def response_of(ex: Exchange) -> dict[str, Any]:
    """The response object of an exchange: the JSON body, or a stream's terminal response."""
    if ex.is_stream:
        for p in reversed(ex.payloads):
            v = p.value
            if (
                isinstance(v, dict)
                and v.get("type") in TERMINAL
                and isinstance(v.get("response"), dict)
            ):
                return dict(v["response"])
        raise Unverifiable("the stream carried no terminal event with a response object")
    body = ex.json
    if not isinstance(body, dict):
        raise Unverifiable("response body is not a JSON object")
    return body


def request_of(ex: Exchange) -> dict[str, Any]:
    """The JSON request body (empty for raw requests)."""
    return ex.request_json if isinstance(ex.request_json, dict) else {}


def items_of(response: dict[str, Any], kind: str) -> list[tuple[int, dict[str, Any]]]:
    """(position, item) of the output items of one type."""
    output = response.get("output")
    return [
        (i, it)
        for i, it in enumerate(output if isinstance(output, list) else [])
        if isinstance(it, dict) and it.get("type") == kind
    ]


@check("responses.ok", "RESP-HTTP-001")
def ok(ctx: CheckContext) -> Iterator[Issue]:
    """A valid request is answered with status 200."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "RESP-HTTP-001",
            f"expected status 200 for a valid request, got {ex.status}",
            "",
            ex.index,
        )


@check("responses.json", "RESP-HTTP-002")
def json_body(ctx: CheckContext) -> Iterator[Issue]:
    """A non-streamed answer is `application/json` and parses as JSON."""
    ex = ctx.primary
    if ex.content_type != "application/json":
        got = ex.capture.header("content-type")
        yield Issue(
            "RESP-HTTP-002",
            f"Content-Type is {got!r}, expected application/json",
            exchange=ex.index,
        )
    _ = ex.json


@check("responses.schema", "RESP-001")
def schema(ctx: CheckContext) -> Iterator[Issue]:
    """The response object conforms to the `responses/response` schema."""
    ex = ctx.primary
    yield from schema_issues(response_of(ex), "responses/response", "RESP-001", ex.index)


@check("responses.created_at", "RESP-002", "RESP-003")
def created_at(ctx: CheckContext) -> Iterator[Issue]:
    """`created_at` is Unix seconds (MUST), close to the request time (SHOULD)."""
    ex = ctx.primary
    value = response_of(ex).get("created_at")
    if not isinstance(value, int) or isinstance(value, bool):
        return  # the schema check reports the type
    if value >= _MS_THRESHOLD:
        yield Issue(
            "RESP-002", f"created_at={value} looks like milliseconds", "$.created_at", ex.index
        )
    elif ex.capture.sent_at and abs(value - ex.capture.sent_at) > _DAY:
        yield Issue(
            "RESP-003",
            f"created_at={value} is more than a day from the request time",
            "$.created_at",
            ex.index,
        )


@check("responses.spec_fields", "RESP-004")
def spec_fields(ctx: CheckContext) -> Iterator[Issue]:
    """Every member the spec marks required on the response object is present."""
    ex = ctx.primary
    response = response_of(ex)
    missing = [k for k in SPEC_FIELDS if k not in response]
    if missing:
        yield Issue("RESP-004", f"the response lacks {', '.join(missing)}", "$", ex.index)


@check("responses.message", "RESP-005")
def message(ctx: CheckContext) -> Iterator[Issue]:
    """A text answer: status completed, no error, an assistant message with output_text.

    A response cut by max_output_tokens is "incomplete" with that reason instead; its text
    still comes in an assistant message, unless the budget ran out before any text (a
    reasoning model may spend it all thinking): then whether a message would have come
    cannot be told.
    """
    ex = ctx.primary
    response = response_of(ex)
    cut = cut_by_limit(response)
    if response.get("status") != "completed" and not cut:
        yield Issue(
            "RESP-005",
            f"status is {excerpt(response.get('status'))}, expected 'completed' (or "
            "'incomplete' with reason 'max_output_tokens')",
            "$.status",
            ex.index,
        )
    # A cut response names its reason in incomplete_details; error is null either way.
    for key in ("error",) if cut else ("error", "incomplete_details"):
        if response.get(key) is not None:
            yield Issue(
                "RESP-005",
                f"{key} is {excerpt(response.get(key))}, expected null",
                f"$.{key}",
                ex.index,
            )
    texts = [
        part
        for _, item in items_of(response, "message")
        if item.get("role") == "assistant"
        for part in as_list(item.get("content"))
        if isinstance(part, dict) and part.get("type") in ("output_text", "refusal")
    ]
    if not texts:
        yield Issue(
            "RESP-005",
            "the response was cut by max_output_tokens before any output_text: cannot tell "
            "whether the answer would have come as an assistant message"
            if cut
            else "output has no assistant message with an output_text part",
            "$.output",
            ex.index,
            IssueKind.INCONCLUSIVE if cut else IssueKind.VIOLATION,
        )


USAGE_DETAILS = (
    ("input_tokens_details", "cached_tokens"),
    ("output_tokens_details", "reasoning_tokens"),
)


@check("responses.usage", "RESP-USAGE-001", "RESP-USAGE-002", "RESP-USAGE-003")
def usage(ctx: CheckContext) -> Iterator[Issue]:
    """Usage is reported with its token details, and total_tokens = input + output tokens."""
    ex = ctx.primary
    u = response_of(ex).get("usage")
    if not isinstance(u, dict):
        yield Issue("RESP-USAGE-001", "the response reports no usage", "$.usage", ex.index)
        return
    raw = [u.get(k) for k in ("input_tokens", "output_tokens", "total_tokens")]
    counts = [c for c in raw if isinstance(c, int) and not isinstance(c, bool) and c >= 0]
    if len(counts) != len(raw):
        yield Issue(
            "RESP-USAGE-002",
            f"usage counts are not non-negative integers: {excerpt(raw)}",
            "$.usage",
            ex.index,
        )
    elif counts[2] != counts[0] + counts[1]:
        yield Issue(
            "RESP-USAGE-002",
            f"total_tokens={counts[2]} but input_tokens + output_tokens = {counts[0] + counts[1]}",
            "$.usage",
            ex.index,
        )
    for key, field in USAGE_DETAILS:
        details = u.get(key)
        count = details.get(field) if isinstance(details, dict) else None
        if not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
            yield Issue(
                "RESP-USAGE-003",
                f"usage.{key} is {excerpt(details)}: expected an object with an integer {field}",
                f"$.usage.{key}",
                ex.index,
            )


@check("responses.error_status", "RESP-ERR-001", expects_error=True)
def error_status(ctx: CheckContext) -> Iterator[Issue]:
    """An invalid request gets a 4xx: never a 2xx (error hidden in a success) nor a 5xx."""
    yield from not_client_error("RESP-ERR-001", ctx.primary)


@check("responses.error_expect", "RESP-ERR-003", expects_error=True)
def error_expect(ctx: CheckContext) -> Iterator[Issue]:
    """The error uses the status the spec gives it (`expect`: a status or a list)."""
    yield from unexpected_status("RESP-ERR-003", ctx.primary, ctx.args.get("expect", 400))


@check("responses.error_envelope", "RESP-ERR-002", "RESP-ERR-004")
def error_envelope(ctx: CheckContext) -> Iterator[Issue]:
    """An error is a JSON body `{"error": {"message", "type", "param", "code"}}`, not a stream."""
    ex = ctx.primary
    if ex.status is None or ex.status < 400:
        return  # responses.error_status reports the status
    if ex.content_type != "application/json":
        yield Issue(
            "RESP-ERR-002",
            f"error response Content-Type is "
            f"{ex.capture.header('content-type')!r}, expected application/json",
            exchange=ex.index,
        )
    body = ex.json
    issues = list(schema_issues(body, "responses/error", "RESP-ERR-002", ex.index))
    yield from issues
    err = body.get("error") if isinstance(body, dict) else None
    if not issues and isinstance(err, dict):
        missing = [k for k in ("type", "param", "code") if k not in err]
        if missing:
            yield Issue(
                "RESP-ERR-004", f"the error object lacks {', '.join(missing)}", "$.error", ex.index
            )


@check("responses.auth", "RESP-AUTH-001", expects_error=True)
def auth(ctx: CheckContext) -> Iterator[Issue]:
    """A missing or wrong API key is answered with 401."""
    ex = ctx.primary
    if ex.status != 401:
        yield Issue(
            "RESP-AUTH-001",
            f"a request with a bad or missing API key got status {ex.status}, expected 401",
            exchange=ex.index,
        )
