"""Function-calling checks for Chat Completions: call shape, tool_choice, finish_reason.

Checks over `Exchange.completion` judge a non-streamed body and the completion a stream
folds into alike; the streamed fragments themselves are judged in `tools_stream` (imported
at the end, so that one import registers every function-calling check). Model choices are
never judged: only what `tool_choice` makes mandatory or forbidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import choices_of, excerpt
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.openai.structured import instance_errors
from llmconform.checks.registry import Issue, IssueKind, check


def declared_functions(body: Any) -> dict[str, Any]:
    """Function name -> parameters schema, for the function tools a request declares."""
    tools = body.get("tools") if isinstance(body, dict) else None
    out: dict[str, Any] = {}
    for tool in tools if isinstance(tools, list) else []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            out[fn["name"]] = fn.get("parameters", {"type": "object"})
    return out


def forced_function(body: Any) -> str | None:
    """The function a `tool_choice` object names, if any."""
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    fn = choice.get("function") if isinstance(choice, dict) else None
    name = fn.get("name") if isinstance(fn, dict) else None
    return name if isinstance(name, str) else None


def tool_calls(choice: dict[str, Any]) -> list[Any]:
    """The tool calls of a choice's message (an empty list when there are none)."""
    msg = choice.get("message")
    calls = msg.get("tool_calls") if isinstance(msg, dict) else None
    return calls if isinstance(calls, list) else []


def _where(choice: dict[str, Any], k: int | None = None) -> str:
    base = f"$.choices[{choice.get('index')}].message.tool_calls"
    return base if k is None else f"{base}[{k}]"


@check("tools.calls", "TOOLS-001", "TOOLS-002", "TOOLS-003", "TOOLS-007", "TOOLS-009")
def calls(ctx: CheckContext) -> Iterator[Issue]:
    """Each tool call has an id, type "function", a declared name, and arguments that are a
    JSON string validating against that function's parameters; ids are distinct."""
    ex = ctx.primary
    declared = declared_functions(ex.request_json)
    for c in choices_of(ex.completion):
        items = tool_calls(c)
        truncated = c.get("finish_reason") == "length"
        for k, call in enumerate(items):
            yield from _call_issues(call, declared, _where(c, k), ex.index, truncated)
        ids = [call.get("id") for call in items if isinstance(call, dict) and call.get("id")]
        if len(set(ids)) != len(ids):
            yield Issue(
                "TOOLS-007",
                f"tool call ids repeat within one message: {excerpt(ids)}",
                _where(c),
                ex.index,
            )
        yield from _legacy_agrees(c, items, ex.index)


def _legacy_agrees(choice: dict[str, Any], items: list[Any], exchange: int) -> Iterator[Issue]:
    """The deprecated `function_call`, when sent with tool calls, matches the first (TOOLS-009)."""
    message = choice.get("message")
    legacy = message.get("function_call") if isinstance(message, dict) else None
    first = items[0] if items and isinstance(items[0], dict) else None
    if not isinstance(legacy, dict) or first is None:
        return
    raw = first.get("function")
    fn: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for key in ("name", "arguments"):
        if legacy.get(key) != fn.get(key):
            yield Issue(
                "TOOLS-009",
                f"function_call.{key} is {excerpt(legacy.get(key))} but the first tool call's "
                f"is {excerpt(fn.get(key))}",
                f"$.choices[{choice.get('index')}].message.function_call.{key}",
                exchange,
            )


def _call_issues(
    call: Any, declared: dict[str, Any], where: str, exchange: int, truncated: bool
) -> Iterator[Issue]:
    if not isinstance(call, dict):
        yield Issue("TOOLS-001", f"tool call is {excerpt(call)}, not an object", where, exchange)
        return
    if not isinstance(call.get("id"), str) or not call["id"]:
        yield Issue(
            "TOOLS-001",
            f"tool call id is {excerpt(call.get('id'))}; clients need it for tool_call_id",
            where + ".id",
            exchange,
        )
    if call.get("type") != "function":
        yield Issue(
            "TOOLS-001",
            f"tool call type is {excerpt(call.get('type'))}, expected 'function'",
            where + ".type",
            exchange,
        )
    fn = call.get("function")
    if not isinstance(fn, dict):
        yield Issue("TOOLS-001", "tool call has no function object", where + ".function", exchange)
        return
    name = fn.get("name")
    if name not in declared:
        yield Issue(
            "TOOLS-001",
            f"function name {excerpt(name)} is not one of the declared {sorted(declared)}",
            where + ".function.name",
            exchange,
        )
    args = fn.get("arguments")
    if not isinstance(args, str):
        yield Issue(
            "TOOLS-002",
            f"arguments is {type(args).__name__} {excerpt(args)}, not a string holding JSON",
            where + ".function.arguments",
            exchange,
        )
        return
    if truncated:
        return  # cut by the token limit: the arguments may end mid-JSON
    try:
        value = json.loads(args)
    except json.JSONDecodeError as exc:
        yield Issue(
            "TOOLS-002",
            f"arguments are not valid JSON ({exc.msg}): {excerpt(args)}",
            where + ".function.arguments",
            exchange,
        )
        return
    if not isinstance(value, dict):
        yield Issue(
            "TOOLS-002",
            f"arguments hold {type(value).__name__}, not a JSON object",
            where + ".function.arguments",
            exchange,
        )
        return
    if name in declared:
        for message in instance_errors(value, declared[name]):
            yield Issue(
                "TOOLS-003",
                f"arguments of {name!r} violate its parameters schema: {message}",
                where + ".function.arguments",
                exchange,
            )


@check("tools.finish_reason", "TOOLS-004")
def finish_reason(ctx: CheckContext) -> Iterator[Issue]:
    """A choice that calls tools ends with `finish_reason: "tool_calls"` (and only then).

    When `tool_choice` names a function, OpenAI itself answers "stop", so that is accepted.
    """
    ex = ctx.primary
    allowed = {"tool_calls", "stop"} if forced_function(ex.request_json) else {"tool_calls"}
    for c in choices_of(ex.completion):
        reason = c.get("finish_reason")
        where = f"$.choices[{c.get('index')}].finish_reason"
        if tool_calls(c) and reason not in allowed | {"length"}:
            yield Issue(
                "TOOLS-004",
                f"the message calls tools but finish_reason is {excerpt(reason)}, expected "
                "'tool_calls'",
                where,
                ex.index,
            )
        elif not tool_calls(c) and reason == "tool_calls":
            yield Issue(
                "TOOLS-004", "finish_reason is 'tool_calls' but no tool is called", where, ex.index
            )


@check("tools.required", "TOOLS-005")
def required(ctx: CheckContext) -> Iterator[Issue]:
    """`tool_choice: "required"` or a named function makes every choice call a tool (that one)."""
    ex = ctx.primary
    forced = forced_function(ex.request_json)
    what = f"tool_choice names {forced!r}" if forced else "tool_choice is 'required'"
    for c in choices_of(ex.completion):
        items = tool_calls(c)
        if not items:
            yield Issue("TOOLS-005", f"{what} but no tool was called", _where(c), ex.index)
            continue
        for k, call in enumerate(items):
            fn = call.get("function") if isinstance(call, dict) else None
            name = fn.get("name") if isinstance(fn, dict) else None
            if forced and name != forced:
                yield Issue(
                    "TOOLS-005",
                    f"{what} but {excerpt(name)} was called",
                    _where(c, k) + ".function.name",
                    ex.index,
                )
    if not choices_of(ex.completion):
        raise Unverifiable("the completion has no choices")


@check("tools.none", "TOOLS-006")
def none(ctx: CheckContext) -> Iterator[Issue]:
    """`tool_choice: "none"` means no choice calls a tool."""
    ex = ctx.primary
    if not choices_of(ex.completion):
        raise Unverifiable("the completion has no choices")
    for c in choices_of(ex.completion):
        if tool_calls(c):
            yield Issue(
                "TOOLS-006",
                f"tool_choice is 'none' but {len(tool_calls(c))} tool call(s) came back",
                _where(c),
                ex.index,
            )


@check("tools.round_trip", "TOOLS-008")
def round_trip(ctx: CheckContext) -> Iterator[Issue]:
    """After a tool call, sending its result (`role: "tool"`, `tool_call_id`) gets an answer."""
    if len(ctx.exchanges) < 2:
        first = ctx.exchanges[0] if ctx.exchanges else None
        if (
            first is not None
            and first.status == 200
            and any(c.get("finish_reason") == "length" for c in choices_of(first.completion))
        ):
            # Cut by max_tokens before a call: how long a model talks is not the protocol.
            yield Issue(
                "TOOLS-008",
                "the first answer was cut by max_tokens before any tool call: nothing to answer",
                exchange=first.index,
                kind=IssueKind.INCONCLUSIVE,
            )
            return
        raise Unverifiable("the first request produced no tool call to answer")
    ex = ctx.exchanges[-1]
    if ex.status != 200:
        yield Issue(
            "TOOLS-008",
            f"the request carrying the tool result was answered with status {ex.status}",
            exchange=ex.index,
        )
        return
    for c in choices_of(ex.completion):
        msg = c.get("message") if isinstance(c.get("message"), dict) else {}
        where = f"$.choices[{c.get('index')}]"
        if not isinstance(msg, dict) or not isinstance(msg.get("content"), str):
            yield Issue("TOOLS-008", "the answer to a tool result has no text", where, ex.index)
        if c.get("finish_reason") not in ("stop", "length"):
            yield Issue(
                "TOOLS-008",
                f"the answer to a tool result ends with finish_reason "
                f"{excerpt(c.get('finish_reason'))}, expected 'stop' or 'length'",
                where + ".finish_reason",
                ex.index,
            )
