"""Error-response checks: status classes, the OpenAI error envelope, authentication."""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.common import excerpt, not_client_error, schema_issues, unexpected_status
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, check


@check("error.client_status", "ERR-001", expects_error=True)
def client_status(ctx: CheckContext) -> Iterator[Issue]:
    """An invalid request gets a 4xx status: never 2xx (error hidden in a 200) nor 5xx."""
    yield from not_client_error("ERR-001", ctx.primary)


@check("error.not_5xx", "ERR-002")
def not_5xx(ctx: CheckContext) -> Iterator[Issue]:
    """Client input never produces a 5xx server error."""
    ex = ctx.primary
    if ex.status is not None and ex.status >= 500:
        yield Issue(
            "ERR-002",
            f"the request produced a server error (status {ex.status})",
            exchange=ex.index,
        )


@check("error.rejects", "ERR-003", expects_error=True)
def rejects(ctx: CheckContext) -> Iterator[Issue]:
    """An out-of-range parameter is rejected with a 4xx rather than silently accepted."""
    ex = ctx.primary
    if ex.status is not None and ex.status < 400:
        yield Issue(
            "ERR-003",
            f"an out-of-range parameter was accepted (status {ex.status})",
            exchange=ex.index,
        )


@check("error.status", "ERR-004", expects_error=True)
def status(ctx: CheckContext) -> Iterator[Issue]:
    """The error uses the status code OpenAI documents for it (`expect`)."""
    yield from unexpected_status("ERR-004", ctx.primary, ctx.args.get("expect", 400))


@check("error.envelope", "ERR-005", "ERR-006", "ERR-001", "ERR-007")
def envelope(ctx: CheckContext) -> Iterator[Issue]:
    """An error status carries `{"error": {"message", "type", "param", "code"}}` as JSON; an
    error of any common shape behind a success status (a body or a stream event) is ERR-001."""
    ex = ctx.primary
    if ex.status is None or ex.status < 400:
        # No error status. An error body behind a success status is the worst case: clients
        # parse it as a result, or iterate a stream that never raises. That breaks ERR-001's
        # "never 2xx" whatever the error's shape; anything else is left to the status checks.
        hidden = _hidden_error(ex)
        if hidden is not None:
            path, what = hidden
            yield Issue("ERR-001", f"{what} was sent with status {ex.status}", path, ex.index)
        return
    if ex.content_type != "application/json":
        yield Issue(
            "ERR-005",
            f"error response Content-Type is "
            f"{ex.capture.header('content-type')!r}, expected application/json",
            exchange=ex.index,
        )
    body = ex.json
    if isinstance(body, dict) and "detail" in body and "error" not in body:
        yield Issue(
            "ERR-005",
            f"error body is {{'detail': {excerpt(body['detail'])}}} "
            "(a framework default), not the OpenAI error envelope",
            "$",
            ex.index,
        )
        return
    issues = list(schema_issues(body, "openai/error", "ERR-005", ex.index))
    yield from issues
    err = body.get("error") if isinstance(body, dict) else None
    if not issues and isinstance(err, dict):
        missing = [k for k in ("type", "param", "code") if k not in err]
        if missing or not isinstance(err.get("type"), str):
            yield Issue(
                "ERR-006",
                f"error object lacks {missing or ['a string type']} "
                "(OpenAI always sends type, param and code)",
                "$.error",
                ex.index,
            )
        yield from _field_types(err, ex.index)


def _field_types(err: dict[str, object], exchange: int) -> Iterator[Issue]:
    """`code` and `param` are strings or null (ERR-007); "None" is Python's None as text."""
    for key in ("code", "param"):
        if key not in err or err[key] is None:
            continue
        value = err[key]
        if not isinstance(value, str):
            yield Issue(
                "ERR-007",
                f"error.{key} is {type(value).__name__} {excerpt(value)}, not a string or null",
                f"$.error.{key}",
                exchange,
            )
        elif value == "None":
            yield Issue(
                "ERR-007",
                f"error.{key} is the string 'None': a Python None turned into text, where "
                "null was meant",
                f"$.error.{key}",
                exchange,
            )


def _error_key(value: object) -> str | None:
    """The JSON path of the error in `value` when it is an error body in a common shape: the
    OpenAI/Anthropic `{"error": …}`, FastAPI's `{"detail": …}`, vLLM's flat
    `{"object": "error", …}`. None for anything else (a result, `"error": null`)."""
    if not isinstance(value, dict):
        return None
    error = value.get("error")
    if isinstance(error, (dict, str)) and error:  # not null, false, "" or {} beside a result
        return "$.error"
    # Every OpenAI result object names its `object`; a `detail` without one is a framework's
    # error body.
    if "detail" in value and "object" not in value:
        return "$.detail"
    if value.get("object") == "error":
        return "$"
    return None


def _hidden_error(ex: Exchange) -> tuple[str, str] | None:
    """(path, description) of an error inside a response whose status claims success: the
    JSON body itself, or an event of a stream (whatever its Content-Type says)."""
    try:
        body = ex.json
    except Unverifiable:
        pass  # not one JSON document: maybe an event stream
    else:
        key = _error_key(body)
        return None if key is None else (key, "an error body")
    for p in ex.payloads:
        key = _error_key(p.value)
        if key is not None:
            return f"event[{p.event_index}]{key.removeprefix('$')}", "an error event"
    return None


@check("auth.rejected", "AUTH-001", expects_error=True)
def auth_rejected(ctx: CheckContext) -> Iterator[Issue]:
    """A missing or wrong API key is answered with 401."""
    ex = ctx.primary
    if ex.status != 401:
        yield Issue(
            "AUTH-001",
            f"a request with a bad or missing API key got status {ex.status}, expected 401",
            exchange=ex.index,
        )


@check("auth.forbidden", "AUTH-002", "AUTH-003", expects_error=True)
def auth_forbidden(ctx: CheckContext) -> Iterator[Issue]:
    """A key that authenticates but lacks permission is refused, with 403."""
    ex = ctx.primary
    if ex.status is None or ex.status < 400:
        yield Issue(
            "AUTH-002",
            f"a key without permission was served (status {ex.status})",
            exchange=ex.index,
        )
    elif ex.status != 403:
        yield Issue(
            "AUTH-003",
            f"a key without permission got status {ex.status}; 403 says "
            "'authenticated but not allowed' (401 means the key itself is wrong)",
            exchange=ex.index,
        )
