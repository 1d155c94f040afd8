"""Chat completion checks. They judge `Exchange.completion`, so they apply to a non-streamed
body and to the completion a stream folds into alike."""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.common import (
    choices_of,
    early_stop,
    excerpt,
    no_usage_stop,
    over_limit,
    reports_tokens,
    requested_n,
    schema_issues,
    stop_sequences,
    stopped_early,
    token_limit,
)
from llmconform.checks.context import CheckContext
from llmconform.checks.registry import Issue, IssueKind, check

# `created` above this is milliseconds (or worse): 1e11 s is the year 5138.
_MS_THRESHOLD = 100_000_000_000
_DAY = 86_400


@check("chat.schema", "CHAT-001")
def schema(ctx: CheckContext) -> Iterator[Issue]:
    """The body conforms to the `chat.completion` schema."""
    ex = ctx.primary
    yield from schema_issues(ex.json, "openai/chat.completion", "CHAT-001", ex.index)


def in_milliseconds(created: object) -> bool:
    """Whether a `created` integer is milliseconds (or worse) rather than Unix seconds."""
    return isinstance(created, int) and not isinstance(created, bool) and created >= _MS_THRESHOLD


def created_issues(created: object, sent_at: float, where: str, exchange: int) -> Iterator[Issue]:
    """`created` must be Unix seconds (CHAT-002) and should be about now (CHAT-003)."""
    if not isinstance(created, int) or isinstance(created, bool):
        return  # the schema check reports the type
    if in_milliseconds(created):
        yield Issue(
            "CHAT-002",
            f"created={created} looks like milliseconds, not Unix seconds",
            where,
            exchange,
        )
    elif sent_at and abs(created - sent_at) > _DAY:
        yield Issue(
            "CHAT-003",
            f"created={created} is more than a day away from the request time ({int(sent_at)})",
            where,
            exchange,
        )


@check("chat.created", "CHAT-002", "CHAT-003")
def created(ctx: CheckContext) -> Iterator[Issue]:
    """`created` is the creation time in Unix seconds."""
    ex = ctx.primary
    yield from created_issues(
        ex.completion.get("created"), ex.capture.sent_at, "$.created", ex.index
    )


@check("chat.choices", "CHAT-004")
def choices(ctx: CheckContext) -> Iterator[Issue]:
    """There is one choice per requested `n`, with indices 0..n-1 each exactly once."""
    ex = ctx.primary
    n = requested_n(ex)
    got = choices_of(ex.completion)
    indices = sorted(c["index"] for c in got if isinstance(c.get("index"), int))
    if indices != list(range(n)):
        yield Issue(
            "CHAT-004",
            f"n={n} asked for choice indices {list(range(n))}, got {indices}",
            "$.choices",
            ex.index,
        )


@check("chat.message", "CHAT-005")
def message(ctx: CheckContext) -> Iterator[Issue]:
    """Each choice's message is from the assistant and carries text unless it calls a tool,
    refuses, answers in audio (text in `audio.transcript`) or was cut by the token limit before
    any text."""
    ex = ctx.primary
    for c in choices_of(ex.completion):
        where = f"$.choices[{c.get('index')}].message"
        msg = c.get("message")
        if not isinstance(msg, dict):
            yield Issue("CHAT-005", "choice has no message object", where, ex.index)
            continue
        if msg.get("role") != "assistant":
            yield Issue(
                "CHAT-005",
                f"message role is {excerpt(msg.get('role'))}, expected 'assistant'",
                where + ".role",
                ex.index,
            )
        has_text = isinstance(msg.get("content"), str)
        # A generation cut by the token limit may end before any visible text (a reasoning
        # model can spend the whole budget thinking); null content is then the honest answer.
        cut = c.get("finish_reason") == "length"
        # With audio output the text is message.audio.transcript and content is null.
        answered = msg.get("tool_calls") or msg.get("refusal") or msg.get("audio")
        if not has_text and not cut and not answered:
            yield Issue(
                "CHAT-005",
                "message has neither text content nor tool calls",
                where + ".content",
                ex.index,
            )


@check("chat.length", "CHAT-LEN-001", "CHAT-LEN-002")
def length(ctx: CheckContext) -> Iterator[Issue]:
    """A small token limit ends generation with `finish_reason: "length"` and is never exceeded."""
    ex = ctx.primary
    limit = token_limit(ex)
    if limit is None:
        raise ValueError("chat.length needs a request with max_tokens or max_completion_tokens")
    usage = ex.completion.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    cap = limit * requested_n(ex)
    for c in choices_of(ex.completion):
        where = f"$.choices[{c.get('index')}].finish_reason"
        if c.get("finish_reason") == "stop" and stopped_early(tokens, cap):
            yield early_stop("CHAT-LEN-001", int(tokens or 0), cap, where, ex.index)
        elif c.get("finish_reason") == "stop" and not reports_tokens(tokens):
            yield no_usage_stop("CHAT-LEN-001", cap, where, ex.index)
        elif c.get("finish_reason") != "length":
            yield Issue(
                "CHAT-LEN-001",
                f"generation was limited to {limit} tokens but "
                f"finish_reason is {excerpt(c.get('finish_reason'))}, expected 'length'",
                f"$.choices[{c.get('index')}].finish_reason",
                ex.index,
            )
    yield from over_limit(
        "CHAT-LEN-002", ex.completion.get("usage"), limit * requested_n(ex), ex.index
    )


@check("chat.stop", "CHAT-STOP-001")
def stop(ctx: CheckContext) -> Iterator[Issue]:
    """No choice's text contains a requested stop sequence."""
    ex = ctx.primary
    stops = stop_sequences(ex)
    if not stops:
        raise ValueError("chat.stop needs a request with `stop`")
    for c in choices_of(ex.completion):
        msg = c.get("message") if isinstance(c.get("message"), dict) else {}
        text = msg.get("content") if isinstance(msg, dict) else None
        for s in stops:
            if isinstance(text, str) and s in text:
                yield Issue(
                    "CHAT-STOP-001",
                    f"content contains the stop sequence {s!r} at offset {text.index(s)}",
                    f"$.choices[{c.get('index')}].message",
                    ex.index,
                )


@check("usage.present", "USAGE-001")
def usage_present(ctx: CheckContext) -> Iterator[Issue]:
    """The response reports token usage."""
    ex = ctx.primary
    if not isinstance(ex.completion.get("usage"), dict):
        yield Issue("USAGE-001", "the response carries no usage object", "$.usage", ex.index)


@check("usage.arithmetic", "USAGE-002")
def usage_arithmetic(ctx: CheckContext) -> Iterator[Issue]:
    """Usage counts are non-negative integers and total = prompt + completion."""
    ex = ctx.primary
    usage = ex.completion.get("usage")
    if not isinstance(usage, dict):
        return  # reported by usage.present or stream.usage_chunk
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    values = {k: usage.get(k) for k in keys}
    bad = [k for k, v in values.items() if not _count(v)]
    if bad:
        yield Issue(
            "USAGE-002", f"usage fields {bad} are not non-negative integers", "$.usage", ex.index
        )
        return
    p, c, t = (int(values[k] or 0) for k in keys)  # all checked by _count above
    if t != p + c:
        yield Issue(
            "USAGE-002",
            f"total_tokens={t} but prompt_tokens + completion_tokens = {p} + {c} = {p + c}",
            "$.usage.total_tokens",
            ex.index,
        )


def _count(value: object) -> bool:
    """A token count: a non-negative int (bool is an int in Python, but not a count)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@check("chat.reasoning_fields", "CHAT-INFO-001")
def reasoning_fields(ctx: CheckContext) -> Iterator[Issue]:
    """Reports non-standard reasoning fields as information (never a failure)."""
    ex = ctx.primary
    for c in choices_of(ex.completion):
        msg = c.get("message")
        if isinstance(msg, dict):
            for key in ("reasoning_content", "reasoning"):
                if key in msg:
                    yield Issue(
                        "CHAT-INFO-001",
                        f"message carries non-standard field {key!r}",
                        f"$.choices[{c.get('index')}].message.{key}",
                        ex.index,
                        IssueKind.INFO,
                    )
