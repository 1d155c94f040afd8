"""Open Responses checks on function calling: forced, forbidden and answered tool calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped, unused-ignore]

from llmconform.checks.common import excerpt
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.checks.responses.core import items_of, request_of, response_of
from llmconform.protocol.open_responses import as_list, cut_by_limit

__all__ = ["function_call", "no_function_call", "tool_round_trip"]


def _declared_tools(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tools = req.get("tools")
    return {
        t["name"]: t
        for t in (tools if isinstance(tools, list) else [])
        if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("name"), str)
    }


def _allowed_names(req: dict[str, Any], declared: dict[str, dict[str, Any]]) -> set[str]:
    choice = req.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {str(choice.get("name"))}
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        tools = choice.get("tools")
        return {
            str(t.get("name"))
            for t in (tools if isinstance(tools, list) else [])
            if isinstance(t, dict)
        }
    return set(declared)


@check("responses.function_call", "RESP-TOOL-001", "RESP-TOOL-002")
def function_call(ctx: CheckContext) -> Iterator[Issue]:
    """Forced tool use yields function_call items naming an allowed tool, with valid arguments.

    With `optional: true` (tool_choice auto) a missing call is fine, but any call made must
    still be well formed. A response cut by max_output_tokens may end before the call (the
    budget went to reasoning or text) or in the middle of its arguments: neither can be
    judged, so both are reported as inconclusive; the call's name and call_id, which come
    before its arguments, are still judged.
    """
    ex = ctx.primary
    req = request_of(ex)
    declared = _declared_tools(req)
    allowed = _allowed_names(req, declared)
    response = response_of(ex)
    cut = cut_by_limit(response)
    calls = items_of(response, "function_call")
    if not calls and not ctx.args.get("optional"):
        choice = excerpt(req.get("tool_choice"))
        yield Issue(
            "RESP-TOOL-001",
            f"the response was cut by max_output_tokens before any function call: cannot "
            f"tell whether tool_choice {choice} was honoured"
            if cut
            else f"tool_choice {choice} requires a function call but the output has no "
            "function_call item",
            "$.output",
            ex.index,
            IssueKind.INCONCLUSIVE if cut else IssueKind.VIOLATION,
        )
    # Only the last item of a cut response can be partial (the spec requires the incomplete
    # item to be the last one); earlier calls are whole and judged in full.
    last = len(as_list(response.get("output"))) - 1
    seen: set[str] = set()
    for pos, call in calls:
        where = f"$.output[{pos}]"
        name, call_id = call.get("name"), call.get("call_id")
        if not isinstance(call_id, str) or not call_id or call_id in seen:
            yield Issue(
                "RESP-TOOL-001",
                f"call_id {excerpt(call_id)} is not a unique non-empty string",
                where + ".call_id",
                ex.index,
            )
        seen.add(str(call_id))
        if name not in allowed:
            yield Issue(
                "RESP-TOOL-001",
                f"the call names {excerpt(name)}, not one of the allowed tools {sorted(allowed)}",
                where + ".name",
                ex.index,
            )
            continue
        yield from _argument_issues(
            call.get("arguments"), declared[str(name)], where, ex.index, cut and pos == last
        )


def _argument_issues(
    args: Any, tool: dict[str, Any], where: str, index: int, truncated: bool = False
) -> Iterator[Issue]:
    """Issues with one call's arguments; `truncated`: the token budget may have cut them."""
    if not isinstance(args, str):
        yield Issue(
            "RESP-TOOL-002",
            f"arguments is {excerpt(args)}, not a JSON string",
            where + ".arguments",
            index,
        )
        return
    try:
        value = json.loads(args)
    except json.JSONDecodeError as exc:
        # A prefix of a JSON object never parses, so arguments that do parse are whole and
        # judged below even in a cut call; only unparsable ones may be the budget's doing.
        yield Issue(
            "RESP-TOOL-002",
            f"arguments cut by max_output_tokens mid-JSON: cannot tell whether they would "
            f"have been valid: {excerpt(args)}"
            if truncated
            else f"arguments is not valid JSON ({exc.msg}): {excerpt(args)}",
            where + ".arguments",
            index,
            IssueKind.INCONCLUSIVE if truncated else IssueKind.VIOLATION,
        )
        return
    if not isinstance(value, dict):
        yield Issue(
            "RESP-TOOL-002",
            f"arguments decode to {excerpt(value)}, not an object",
            where + ".arguments",
            index,
        )
        return
    params = tool.get("parameters")
    if not isinstance(params, dict) or tool.get("strict") is False:
        # strict defaults to true (the server then guarantees the schema); a tool declared
        # strict: false leaves schema adherence to the model, judged only by accuracy sets.
        return
    try:
        errors = list(Draft202012Validator(params).iter_errors(value))
    except SchemaError:  # the case's own schema is broken: nothing to judge against
        raise Unverifiable("the declared parameters schema is not a valid JSON Schema") from None
    for err in errors[:3]:
        yield Issue(
            "RESP-TOOL-002",
            f"arguments do not match the parameters schema: {err.message[:120]}",
            where + ".arguments",
            index,
        )


@check("responses.no_function_call", "RESP-TOOL-003")
def no_function_call(ctx: CheckContext) -> Iterator[Issue]:
    """With tool_choice "none" the output holds no function_call item."""
    ex = ctx.primary
    for pos, _ in items_of(response_of(ex), "function_call"):
        yield Issue(
            "RESP-TOOL-003",
            "tool_choice 'none' but the output has a function_call",
            f"$.output[{pos}]",
            ex.index,
        )


@check("responses.tool_round_trip", "RESP-TOOL-004")
def tool_round_trip(ctx: CheckContext) -> Iterator[Issue]:
    """A function_call_output sent back with its call is answered with a completed message.

    An answer cut by max_output_tokens counts when it holds a message; one cut before any
    message cannot be judged. When the first response was cut before its call, there was
    nothing to answer: inconclusive rather than a failure.
    """
    ex = ctx.primary
    if ex.index == 0:
        if ex.status == 200 and cut_by_limit(_response_or_empty(ctx.exchanges[0])):
            yield Issue(
                "RESP-TOOL-004",
                "the first response was cut by max_output_tokens before a whole function "
                "call, so there was no call to answer: cannot tell",
                "$.status",
                ex.index,
                IssueKind.INCONCLUSIVE,
            )
            return
        raise Unverifiable("the first step produced no function call to answer")
    if ex.status != 200:
        yield Issue(
            "RESP-TOOL-004",
            f"sending the function_call_output back got status {ex.status}",
            exchange=ex.index,
        )
        return
    response = response_of(ex)
    cut = cut_by_limit(response)
    answered = bool(items_of(response, "message"))
    if cut and not answered:
        yield Issue(
            "RESP-TOOL-004",
            "the answer to a function_call_output was cut by max_output_tokens before any "
            "message: cannot tell whether the round trip is answered",
            "$.output",
            ex.index,
            IssueKind.INCONCLUSIVE,
        )
    elif not answered or not (cut or response.get("status") == "completed"):
        yield Issue(
            "RESP-TOOL-004",
            f"the answer to a function_call_output has status "
            f"{excerpt(response.get('status'))} and no message item",
            "$.output",
            ex.index,
        )


def _response_or_empty(ex: Exchange) -> dict[str, Any]:
    """The exchange's response object, or {} when it has none (the status check says why)."""
    try:
        return response_of(ex)
    except Unverifiable:
        return {}
