"""Anthropic Messages checks on tool use: forced, forbidden and answered tool calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# jsonschema ships no type hints (see schema_validation).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped, unused-ignore]

from llmconform.checks.anthropic.core import message_of, request_of
from llmconform.checks.common import excerpt, schema_issues
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.protocol.anthropic_messages import tool_uses

__all__ = ["tool_forced", "tool_none", "tool_round_trip", "tool_use_blocks"]


def _tools(ex: Exchange) -> dict[str, Any]:
    tools = request_of(ex).get("tools")
    return {
        t["name"]: t.get("input_schema")
        for t in (tools if isinstance(tools, list) else [])
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    }


@check("ant.tool_forced", "ANT-TOOL-001")
def tool_forced(ctx: CheckContext) -> Iterator[Issue]:
    """With tool_choice any (or tool), the answer calls a tool (that tool), stop_reason tool_use."""
    ex = ctx.primary
    choice = request_of(ex).get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type") not in ("any", "tool"):
        raise ValueError("ant.tool_forced needs a request with tool_choice any or tool")
    message = message_of(ex)
    calls = tool_uses(message)
    kind = choice["type"]
    wanted = choice.get("name") if kind == "tool" else None
    if not calls:
        yield Issue(
            "ANT-TOOL-001", f"tool_choice {kind!r} but no tool_use block", "$.content", ex.index
        )
    elif wanted is not None and all(c.get("name") != wanted for c in calls):
        names = [c.get("name") for c in calls]
        yield Issue(
            "ANT-TOOL-001", f"tool_choice names {wanted!r} but the calls are {names}", "", ex.index
        )
    if message.get("stop_reason") != "tool_use":
        yield Issue(
            "ANT-TOOL-001",
            f"a forced tool call ended with stop_reason {excerpt(message.get('stop_reason'))}, "
            "expected 'tool_use'",
            "$.stop_reason",
            ex.index,
        )


@check("ant.tool_use_blocks", "ANT-TOOL-002", "ANT-TOOL-003", "ANT-TOOL-004")
def tool_use_blocks(ctx: CheckContext) -> Iterator[Issue]:
    """tool_use blocks name a requested tool with an id and an object input valid against its
    input_schema; stop_reason is "tool_use" exactly when the message calls a tool."""
    ex = ctx.primary
    message = message_of(ex)
    tools = _tools(ex)
    calls = tool_uses(message)
    for i, call in enumerate(calls):
        where = f"tool_use[{i}]"
        if not isinstance(call.get("id"), str) or not call["id"]:
            yield Issue("ANT-TOOL-002", "tool_use block has no id", where, ex.index)
        name, args = call.get("name"), call.get("input")
        if name not in tools:
            yield Issue(
                "ANT-TOOL-002",
                f"tool_use names {excerpt(name)}, not a requested tool",
                where,
                ex.index,
            )
            continue
        if not isinstance(args, dict):
            yield Issue(
                "ANT-TOOL-002", f"tool_use input is {excerpt(args)}, not an object", where, ex.index
            )
            continue
        yield from _input_issues(args, tools[name], where, ex.index)
    has_calls = bool(calls)
    if has_calls != (message.get("stop_reason") == "tool_use"):
        yield Issue(
            "ANT-TOOL-004",
            f"stop_reason is {excerpt(message.get('stop_reason'))} and the message has "
            f"{len(calls)} tool_use block(s)",
            "$.stop_reason",
            ex.index,
        )


def _input_issues(args: dict[str, Any], schema: Any, where: str, index: int) -> Iterator[Issue]:
    if not isinstance(schema, dict):
        return
    try:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(args), key=lambda e: list(e.path))
    except SchemaError as exc:
        raise Unverifiable(
            f"the case's input_schema is not a valid schema: {exc.message}"
        ) from None
    for err in errors[:3]:
        path = "".join(f"[{p!r}]" for p in err.path)
        yield Issue(
            "ANT-TOOL-003",
            f"input{path} is not valid for input_schema: {err.message}",
            where,
            index,
        )


@check("ant.tool_none", "ANT-TOOL-005")
def tool_none(ctx: CheckContext) -> Iterator[Issue]:
    """With tool_choice none, the answer calls no tool."""
    ex = ctx.primary
    calls = tool_uses(message_of(ex))
    if calls:
        yield Issue(
            "ANT-TOOL-005",
            f"tool_choice none but {len(calls)} tool_use block(s)",
            "$.content",
            ex.index,
        )


def _cut_by_max_tokens(ex: Exchange) -> bool:
    try:
        return message_of(ex).get("stop_reason") == "max_tokens"
    except Unverifiable:
        return False


@check("ant.tool_round_trip", "ANT-TOOL-006")
def tool_round_trip(ctx: CheckContext) -> Iterator[Issue]:
    """A user turn answering the tool_use with a matching tool_result is accepted and answered."""
    if len(ctx.exchanges) < 2:
        if ctx.exchanges and _cut_by_max_tokens(ctx.exchanges[0]):
            # The model talked past max_tokens before calling the tool: model behaviour.
            yield Issue(
                "ANT-TOOL-006",
                "the first answer was cut by max_tokens before any tool_use: nothing to answer",
                exchange=ctx.exchanges[0].index,
                kind=IssueKind.INCONCLUSIVE,
            )
            return
        raise Unverifiable("the first answer carried no tool_use block, so no tool_result was sent")
    ex = ctx.exchanges[-1]
    if ex.status != 200:
        yield Issue(
            "ANT-TOOL-006",
            f"the tool_result turn was answered with status {ex.status}, expected 200",
            exchange=ex.index,
        )
        return
    message = message_of(ex)
    yield from schema_issues(message, "anthropic/message", "ANT-TOOL-006", ex.index)
    if not message.get("content") and message.get("stop_reason") != "max_tokens":
        yield Issue("ANT-TOOL-006", "the answer to the tool_result is empty", "$.content", ex.index)
