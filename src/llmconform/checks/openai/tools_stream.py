"""Function-calling checks for streamed Chat Completions: the tool-call fragments themselves.

`tools.stream_fragments` judges the fragments rather than the completion they fold into,
because the openai SDK's stream accumulator merges them by `index` and concatenates every
string field: a fragment without an integer index, or a later fragment repeating the id or
name, breaks such clients. `tools.stream_matches` compares a streamed answer with a
non-streamed one.
Kept apart from `tools`, whose checks judge a completion alike for both transports; `tools`
imports this module so that one import registers every function-calling check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import choices_of, excerpt
from llmconform.checks.context import CheckContext, Exchange
from llmconform.checks.openai.tools import tool_calls
from llmconform.checks.registry import Issue, check

__all__ = ["stream_fragments", "stream_matches"]


def _fragments(ex: Exchange) -> Iterator[tuple[int, int, int, Any]]:
    """(event index, choice index, position in its list, fragment) of streamed tool calls."""
    for p in ex.payloads:
        choices = p.value.get("choices") if isinstance(p.value, dict) else None
        for ch in choices if isinstance(choices, list) else []:
            delta = ch.get("delta") if isinstance(ch, dict) else None
            items = delta.get("tool_calls") if isinstance(delta, dict) else None
            for pos, frag in enumerate(items if isinstance(items, list) else []):
                yield p.event_index, ch.get("index", 0), pos, frag


@check("tools.stream_fragments", "TOOLS-STREAM-001", "TOOLS-STREAM-002")
def stream_fragments(ctx: CheckContext) -> Iterator[Issue]:
    """Every tool-call fragment has an integer `index`; a call's first fragment carries its
    id, type and name, and later fragments never repeat a non-empty id or name."""
    ex = ctx.primary
    seen: set[tuple[Any, Any]] = set()
    missing_index = 0
    for ev, choice, pos, frag in _fragments(ex):
        where = f"event[{ev}].choices[{choice}].delta.tool_calls[{pos}]"
        if not isinstance(frag, dict):
            yield Issue("TOOLS-STREAM-001", "tool-call fragment is not an object", where, ex.index)
            continue
        index = frag.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            missing_index += 1
            if missing_index == 1:
                yield Issue(
                    "TOOLS-STREAM-001",
                    f"tool-call fragment has index {excerpt(index)}; the openai SDK's "
                    "accumulator needs an integer index on every fragment",
                    where,
                    ex.index,
                )
            index = pos  # keep judging the rest as a lenient client would
        raw_fn = frag.get("function")
        fn: dict[str, Any] = raw_fn if isinstance(raw_fn, dict) else {}
        key = (choice, index)
        if key not in seen:
            seen.add(key)
            yield from _first_fragment(frag, fn, where, ex.index)
            continue
        for field, value in (("id", frag.get("id")), ("function.name", fn.get("name"))):
            if isinstance(value, str) and value:
                yield Issue(
                    "TOOLS-STREAM-002",
                    f"a later fragment repeats {field}={excerpt(value)}; accumulating clients "
                    "concatenate it into a wrong value",
                    f"{where}.{field}",
                    ex.index,
                )
    if missing_index > 1:
        yield Issue(
            "TOOLS-STREAM-001",
            f"{missing_index} tool-call fragments in all lack an integer index",
            exchange=ex.index,
        )


def _first_fragment(frag: dict[str, Any], fn: Any, where: str, exchange: int) -> Iterator[Issue]:
    if not isinstance(frag.get("id"), str) or not frag["id"]:
        yield Issue(
            "TOOLS-STREAM-002",
            f"the first fragment of a call has id {excerpt(frag.get('id'))}",
            where + ".id",
            exchange,
        )
    if frag.get("type") != "function":
        yield Issue(
            "TOOLS-STREAM-002",
            f"the first fragment of a call has type {excerpt(frag.get('type'))}, "
            "expected 'function'",
            where + ".type",
            exchange,
        )
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str) or not name:
        yield Issue(
            "TOOLS-STREAM-002",
            f"the first fragment of a call has function.name {excerpt(name)}",
            where + ".function.name",
            exchange,
        )


@check("tools.stream_matches", "TOOLS-STREAM-003")
def stream_matches(ctx: CheckContext) -> Iterator[Issue]:
    """A streamed answer folds into the tool calls a non-streamed one has: the same functions,
    argument keys and finish_reason (`step` and `against` name the two exchanges).

    Only what does not depend on sampling is compared: the two requests are separate samples
    (a server may ignore temperature and seed). A call cut at the token limit (`length`) has
    sampled arguments, so only the function names are compared; when neither answer made a
    call, both are sampled text and their finish_reason may differ ('stop' vs 'length')."""
    ex = ctx.primary
    other = ctx.exchanges[int(ctx.args.get("against", 0))]
    mine = {c.get("index"): c for c in choices_of(ex.completion)}
    for c in choices_of(other.completion):
        s = mine.get(c.get("index"))
        where = f"$.choices[{c.get('index')}]"
        if s is None:
            yield Issue("TOOLS-STREAM-003", "the stream lacks this choice", where, ex.index)
            continue
        cut = "length" in (c.get("finish_reason"), s.get("finish_reason"))
        want, got = _call_shape(c), _call_shape(s)
        if cut:  # arguments cut at a sampled point: names only
            want = [(i, t, n, "") for i, t, n, _ in want]
            got = [(i, t, n, "") for i, t, n, _ in got]
        if want != got:
            yield Issue(
                "TOOLS-STREAM-003",
                f"the stream folds into tool calls {got}, the same request without "
                f"streaming gave {want}",
                where + ".message.tool_calls",
                ex.index,
            )
        called = bool(want or got)
        if called and not cut and c.get("finish_reason") != s.get("finish_reason"):
            yield Issue(
                "TOOLS-STREAM-003",
                f"streamed finish_reason {excerpt(s.get('finish_reason'))} differs from "
                f"{excerpt(c.get('finish_reason'))} without streaming",
                where + ".finish_reason",
                ex.index,
            )


def _call_shape(choice: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...] | str]]:
    """Per call: type of id, type, name, and the argument keys (or the JSON problem)."""
    out: list[tuple[str, str, str, tuple[str, ...] | str]] = []
    for call in tool_calls(choice):
        if not isinstance(call, dict):
            out.append(("?", "?", "?", "not an object"))
            continue
        raw_fn = call.get("function")
        fn: dict[str, Any] = raw_fn if isinstance(raw_fn, dict) else {}
        args = fn.get("arguments")
        keys: tuple[str, ...] | str
        try:
            value = json.loads(args) if isinstance(args, str) else None
            keys = tuple(sorted(value)) if isinstance(value, dict) else "arguments not an object"
        except json.JSONDecodeError:
            keys = "arguments not JSON"
        out.append(
            (
                "id" if isinstance(call.get("id"), str) and call["id"] else "no id",
                str(call.get("type")),
                str(fn.get("name")),
                keys,
            )
        )
    return out
