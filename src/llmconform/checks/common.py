"""Shared helpers for checks: schema findings, request parameter lookups, value excerpts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.context import Exchange
from llmconform.checks.registry import Issue, IssueKind
from llmconform.schema.validation import validate

SCHEMA = "urn:llmconform:schema:"
MAX_SCHEMA_ISSUES = 5


def excerpt(value: Any, limit: int = 60) -> str:
    """A short repr of a value from the target, safe to put in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schema_issues(
    instance: Any, schema: str, requirement: str, exchange: int, prefix: str = ""
) -> Iterator[Issue]:
    """One issue per schema error (at most a few, then a count of the rest)."""
    errors = validate(instance, SCHEMA + schema)
    for err in errors[:MAX_SCHEMA_ISSUES]:
        path = prefix + err.path.removeprefix("$") if prefix else err.path
        yield Issue(requirement, f"{schema}: {err.message}", path, exchange)
    if len(errors) > MAX_SCHEMA_ISSUES:
        more = len(errors) - MAX_SCHEMA_ISSUES
        yield Issue(requirement, f"{schema}: {more} more schema error(s)", prefix or "$", exchange)


def invalid_utf8(requirement: str, ex: Exchange) -> Iterator[Issue]:
    """An issue when an event stream's bytes are not UTF-8 (shared by every API's framing
    check). Event streams are UTF-8 only; decoders replace bad bytes with U+FFFD, so clients
    silently get other text than was sent, where the same bytes in a JSON body fail to parse."""
    if ex.sse_observations.invalid_utf8:
        yield Issue(
            requirement,
            "the event stream is not valid UTF-8; clients decode the bad bytes as U+FFFD "
            "and read other text than was sent",
            exchange=ex.index,
        )


def requested_n(ex: Exchange) -> int:
    """The `n` the request asked for (default 1)."""
    body = ex.request_json
    n = body.get("n") if isinstance(body, dict) else None
    return n if isinstance(n, int) and n > 0 else 1


def token_limit(ex: Exchange) -> int | None:
    """`max_completion_tokens` if sent, else `max_tokens`, else None."""
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    for key in ("max_completion_tokens", "max_tokens"):
        if isinstance(body.get(key), int):
            return int(body[key])
    return None


def stop_sequences(ex: Exchange) -> list[str]:
    """The `stop` sequences the request sent, as a list."""
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    stop = body.get("stop")
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list):
        return [s for s in stop if isinstance(s, str) and s]
    return []


def choices_of(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The well-formed choice objects of a completion."""
    choices = completion.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict)]


def stopped_early(tokens: Any, cap: int) -> bool:
    """Whether usage shows fewer generated tokens than the limit allowed (`cap`)."""
    return reports_tokens(tokens) and tokens < cap


def early_stop(requirement: str, tokens: int, cap: int, path: str, exchange: int) -> Issue:
    """An undecided length requirement: the model ended on its own before the limit.

    A model may finish its answer before any limit is reached; the exchange then shows
    nothing about how the server ends a cut generation, which is neither a pass nor a fail."""
    return Issue(
        requirement,
        f"the model stopped on its own after {tokens} token(s), before the limit of {cap}: "
        "this exchange cannot show how a cut generation ends (undecided)",
        path,
        exchange,
        IssueKind.INCONCLUSIVE,
    )


def no_usage_stop(requirement: str, cap: int, path: str, exchange: int) -> Issue:
    """An undecided length requirement: "stop" with no token count to compare with the limit.

    Without usage (a stream that did not ask for it), a natural end before the limit and a
    server that says "stop" for a cut cannot be told apart; a case that asks for usage
    decides it."""
    return Issue(
        requirement,
        f"finish_reason is 'stop' and the answer reports no usage: whether the model ended "
        f"on its own before the limit of {cap} cannot be told (undecided)",
        path,
        exchange,
        IssueKind.INCONCLUSIVE,
    )


def reports_tokens(tokens: Any) -> bool:
    """Whether a usage count is a usable token count."""
    return isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0


def over_limit(requirement: str, usage: Any, cap: int, exchange: int) -> Iterator[Issue]:
    """An issue when `usage.completion_tokens` exceeds `cap` (the limit times the choices)."""
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > cap:
        yield Issue(
            requirement,
            f"completion_tokens={tokens} exceeds the limit of {cap}",
            "$.usage.completion_tokens",
            exchange,
        )


def not_client_error(requirement: str, ex: Exchange) -> Iterator[Issue]:
    """An issue unless the status is a 4xx: an invalid request answered 2xx hides the error
    in a success, a 5xx gets it retried (shared by every API's error cases)."""
    if ex.status is None or not 400 <= ex.status < 500:
        yield Issue(
            requirement,
            f"an invalid request was answered with status {ex.status}, expected a 4xx client error",
            exchange=ex.index,
        )


def unexpected_status(requirement: str, ex: Exchange, expect: Any) -> Iterator[Issue]:
    """An issue unless the status is `expect` (a status or a list of them)."""
    allowed = expect if isinstance(expect, list) else [expect]
    if ex.status not in allowed:
        yield Issue(
            requirement,
            f"expected status {' or '.join(map(str, allowed))}, got {ex.status}",
            exchange=ex.index,
        )
