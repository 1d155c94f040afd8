"""Structured output checks: `response_format` json_object and json_schema are honoured.

Both judge `Exchange.completion`, so a stream is judged by the text its deltas fold into.
A choice cut by the token limit (`finish_reason: "length"`) may legitimately hold truncated
JSON and is skipped; a refusal (`message.refusal` set, no content) is a permitted answer for
structured outputs and is only reported as information. When every choice was skipped or
refused, nothing was verified: the requirement is inconclusive, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# jsonschema ships no type hints; see schema_validation for the `unused-ignore`.
from jsonschema.validators import (  # type: ignore[import-untyped, unused-ignore]
    Draft202012Validator,
    validator_for,
)

from llmconform.checks.common import choices_of, excerpt
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.schema.validation import schema_problem

MAX_ERRORS = 3


def instance_errors(instance: Any, schema: Any) -> list[str]:
    """Messages for the ways `instance` violates a client-supplied JSON Schema.

    The schema's own `$schema` picks the draft (2020-12 when absent). Local `$ref`s resolve
    within the schema; anything remote fails instead of being fetched.
    """
    if not isinstance(schema, dict | bool):
        raise Unverifiable(f"the request's schema is not a JSON Schema: {excerpt(schema)}")
    problem = schema_problem(schema)
    if problem:
        raise Unverifiable(f"the request's schema is invalid: {problem}")
    cls = validator_for(schema, default=Draft202012Validator)
    errors = sorted(cls(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for err in errors[:MAX_ERRORS]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        out.append(f"${where}: {err.message[:160]}")
    return out


def _texts(ctx: CheckContext) -> Iterator[tuple[Any, str, int]]:
    """(text, JSON path, exchange) of each choice that should hold the structured output."""
    ex = ctx.primary
    choices = choices_of(ex.completion)
    if not choices:
        raise Unverifiable("the completion has no choices")
    for c in choices:
        if c.get("finish_reason") == "length":
            continue  # cut by the token limit: truncated JSON is expected
        msg = c.get("message") if isinstance(c.get("message"), dict) else {}
        where = f"$.choices[{c.get('index')}].message.content"
        content = msg.get("content") if isinstance(msg, dict) else None
        if content is None and isinstance(msg, dict) and isinstance(msg.get("refusal"), str):
            continue
        yield content, where, ex.index


def _refusals(ctx: CheckContext, requirement: str, judged: int) -> Iterator[Issue]:
    ex = ctx.primary
    if not judged:
        yield Issue(
            requirement,
            "no choice could be judged (each was cut by the token limit or refused): "
            "the structured output is unverified",
            exchange=ex.index,
            kind=IssueKind.INCONCLUSIVE,
        )
    for c in choices_of(ex.completion):
        msg = c.get("message")
        if isinstance(msg, dict) and msg.get("content") is None and msg.get("refusal"):
            yield Issue(
                requirement,
                f"choice {c.get('index')} refused: {excerpt(msg['refusal'])}",
                f"$.choices[{c.get('index')}].message.refusal",
                ex.index,
                IssueKind.INFO,
            )


def _parse(content: Any, where: str, exchange: int, requirement: str) -> tuple[Any, Issue | None]:
    if not isinstance(content, str):
        return None, Issue(
            requirement, f"content is {excerpt(content)}, not a JSON text", where, exchange
        )
    try:
        return json.loads(content), None
    except json.JSONDecodeError as exc:
        return None, Issue(
            requirement,
            f"content is not valid JSON ({exc.msg} at offset {exc.pos}): {excerpt(content)}",
            where,
            exchange,
        )


@check("structured.json_object", "JSON-001")
def json_object(ctx: CheckContext) -> Iterator[Issue]:
    """With `response_format: json_object`, each choice's content is a JSON object."""
    judged = 0
    for content, where, exchange in _texts(ctx):
        judged += 1
        value, issue = _parse(content, where, exchange, "JSON-001")
        if issue:
            yield issue
        elif not isinstance(value, dict):
            yield Issue(
                "JSON-001",
                f"content parses as {type(value).__name__}, not a JSON object",
                where,
                exchange,
            )
    yield from _refusals(ctx, "JSON-001", judged)


def requested_schema(body: Any) -> Any:
    """The schema of `response_format.json_schema` in a request body."""
    fmt = body.get("response_format") if isinstance(body, dict) else None
    spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
    if not isinstance(spec, dict) or "schema" not in spec:
        raise ValueError("structured.json_schema needs a request with response_format.json_schema")
    return spec["schema"]


@check("structured.json_schema", "JSON-002")
def json_schema(ctx: CheckContext) -> Iterator[Issue]:
    """With a strict `json_schema` response format, each choice's content validates."""
    schema = requested_schema(ctx.primary.request_json)
    judged = 0
    for content, where, exchange in _texts(ctx):
        judged += 1
        value, issue = _parse(content, where, exchange, "JSON-002")
        if issue:
            yield issue
            continue
        for message in instance_errors(value, schema):
            yield Issue(
                "JSON-002", f"content violates the requested schema: {message}", where, exchange
            )
    yield from _refusals(ctx, "JSON-002", judged)
