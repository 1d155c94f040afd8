"""Log probability checks: `logprobs` and `top_logprobs` are honoured, not just accepted.

A non-streamed choice carries `logprobs.content`; in a stream every chunk's choice carries
the entries of its own delta, and the entries of one choice concatenate in stream order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import choices_of, excerpt
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, check

Entries = dict[int, list[Any]]


def logprob_entries(ex: Exchange) -> tuple[Entries, list[Issue]]:
    """Per choice index, the `logprobs.content` entries (streamed ones joined in order), and
    LOGPROBS-001 issues for choices that carry no such list."""
    found: Entries = {}
    issues: list[Issue] = []
    if ex.is_stream:
        for p in ex.payloads:
            for ch in _choices(p.value):
                lp = ch.get("logprobs")
                content = lp.get("content") if isinstance(lp, dict) else None
                if isinstance(content, list):
                    found.setdefault(ch.get("index", 0), []).extend(content)
        for c in choices_of(ex.completion):
            if c.get("index") not in found and (c.get("message") or {}).get("content"):
                issues.append(_absent(c.get("index"), ex.index))
        return found, issues
    for c in choices_of(ex.completion):
        lp = c.get("logprobs")
        content = lp.get("content") if isinstance(lp, dict) else None
        if isinstance(content, list):
            found[c.get("index", 0)] = content
        else:
            issues.append(_absent(c.get("index"), ex.index))
    return found, issues


def _choices(chunk: Any) -> list[dict[str, Any]]:
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def _absent(index: Any, exchange: int) -> Issue:
    return Issue(
        "LOGPROBS-001",
        f"logprobs were requested but choice {index} carries no logprobs.content list",
        f"$.choices[{index}].logprobs",
        exchange,
    )


def _is_logprob(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value <= 0
    )


@check("logprobs.entries", "LOGPROBS-001", "LOGPROBS-002")
def entries(ctx: CheckContext) -> Iterator[Issue]:
    """Each entry has a string token, a log probability <= 0, `bytes`, and `top_logprobs`."""
    ex = ctx.primary
    found, issues = logprob_entries(ex)
    yield from issues
    for index, items in sorted(found.items()):
        for k, entry in enumerate(items):
            where = f"$.choices[{index}].logprobs.content[{k}]"
            problems = list(_entry_problems(entry, top=True))
            for req, text in problems[:1]:  # one issue per choice is enough evidence
                yield Issue(req, f"{text} (first of {len(problems)} problem(s))", where, ex.index)
            if problems:
                break


def _entry_problems(entry: Any, *, top: bool) -> Iterator[tuple[str, str]]:
    if not isinstance(entry, dict):
        yield "LOGPROBS-001", f"entry is {excerpt(entry)}, not an object"
        return
    if not isinstance(entry.get("token"), str):
        yield "LOGPROBS-001", f"token is {excerpt(entry.get('token'))}, not a string"
    if not _is_logprob(entry.get("logprob")):
        yield "LOGPROBS-001", f"logprob is {excerpt(entry.get('logprob'))}, not a number <= 0"
    raw = entry.get("bytes", ...)
    if raw is ...:
        yield "LOGPROBS-002", "entry has no 'bytes' field"
    elif raw is not None and not (
        isinstance(raw, list) and all(isinstance(b, int) and 0 <= b <= 255 for b in raw)
    ):
        yield "LOGPROBS-002", f"bytes is {excerpt(raw)}, not a list of byte values or null"
    if top:
        alts = entry.get("top_logprobs")
        if not isinstance(alts, list):
            yield "LOGPROBS-001", f"top_logprobs is {excerpt(alts)}, not a list"
            return
        for alt in alts:
            for req, text in _entry_problems(alt, top=False):
                yield req, "in top_logprobs: " + text


@check("logprobs.top", "LOGPROBS-003", "LOGPROBS-005")
def top(ctx: CheckContext) -> Iterator[Issue]:
    """`top_logprobs: N` gives at most N alternatives per position, and N where it can."""
    ex = ctx.primary
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    want = body.get("top_logprobs")
    if not isinstance(want, int):
        raise ValueError("logprobs.top needs a request with top_logprobs")
    found, _ = logprob_entries(ex)
    if not found:
        raise Unverifiable("no logprobs.content entries to judge")
    for index, items in sorted(found.items()):
        counts = [
            len(e["top_logprobs"])
            for e in items
            if isinstance(e, dict) and isinstance(e.get("top_logprobs"), list)
        ]
        too_many = [n for n in counts if n > want]
        where = f"$.choices[{index}].logprobs.content"
        if too_many:
            yield Issue(
                "LOGPROBS-003",
                f"top_logprobs={want} was requested but a position lists {max(too_many)}",
                where,
                ex.index,
            )
        elif counts and want not in counts:
            # The spec lets a position list fewer, but never reaching N means N was ignored.
            yield Issue(
                "LOGPROBS-005",
                f"top_logprobs={want} was requested but no position lists {want} "
                f"(counts seen: {sorted(set(counts))})",
                where,
                ex.index,
            )


@check("logprobs.concat", "LOGPROBS-004")
def concat(ctx: CheckContext) -> Iterator[Issue]:
    """The entries' tokens concatenate to the message content."""
    ex = ctx.primary
    found, _ = logprob_entries(ex)
    for c in choices_of(ex.completion):
        items = found.get(c.get("index", 0))
        msg = c.get("message") if isinstance(c.get("message"), dict) else {}
        content = msg.get("content") if isinstance(msg, dict) else None
        if items is None or not isinstance(content, str):
            continue
        joined = "".join(e["token"] for e in items if isinstance(e, dict) and _tok(e))
        if joined != content:
            at = next(
                (i for i, (a, b) in enumerate(zip(joined, content, strict=False)) if a != b),
                min(len(joined), len(content)),
            )
            yield Issue(
                "LOGPROBS-004",
                f"the tokens join to {excerpt(joined)}, the content is {excerpt(content)} "
                f"(they differ from offset {at})",
                f"$.choices[{c.get('index')}].logprobs.content",
                ex.index,
            )


def _tok(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("token"), str)
