"""Checks for the legacy Completions API (`POST /completions`).

Most checks judge `completion_of(ex)`: the body, or the completion a stream folds into (text
fragments joined per choice, the last non-null finish_reason, the usage chunk's usage), so
they apply to streamed and non-streamed answers alike. Stream framing and `[DONE]` are the
generic `stream.*` checks; the chunk-level rules of completion streams are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check

_LOGPROB_ARRAYS = ("tokens", "token_logprobs", "top_logprobs", "text_offset")


def prompts_of(ex: Exchange) -> list[str | None]:
    """The prompts a request sent: texts, or None for a token-id prompt (text unknown)."""
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    if isinstance(prompt, list) and prompt and all(isinstance(p, list) for p in prompt):
        return [None] * len(prompt)
    return [None]  # one token-id array (or something a check cannot read)


def fold_completion_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The completion a stream of `text_completion` chunks amounts to.

    Per choice index: text fragments joined, logprobs arrays concatenated, the last non-null
    finish_reason. The last non-null `usage` becomes the usage.
    """
    head = chunks[0]
    folded: dict[str, Any] = {k: head.get(k) for k in ("id", "object", "created", "model")}
    per: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        if chunk.get("usage") is not None:
            folded["usage"] = chunk["usage"]
        for ch in choices_of(chunk):
            index = ch.get("index")
            if not isinstance(index, int):
                continue
            acc = per.setdefault(index, {"index": index, "text": "", "finish_reason": None})
            if isinstance(ch.get("text"), str):
                acc["text"] += ch["text"]
            if ch.get("finish_reason") is not None:
                acc["finish_reason"] = ch["finish_reason"]
            lp = ch.get("logprobs")
            if isinstance(lp, dict):
                merged = acc.setdefault("logprobs", {k: [] for k in _LOGPROB_ARRAYS})
                for key in _LOGPROB_ARRAYS:
                    merged[key].extend(lp.get(key) or [])
    folded["choices"] = [per[i] for i in sorted(per)]
    return folded


def completion_of(ex: Exchange) -> dict[str, Any]:
    """The completion an exchange produced: the body, or the stream's chunks folded."""
    if ex.is_stream:
        if not ex.chunk_objects:
            raise Unverifiable("the stream carried no JSON chunk")
        return fold_completion_chunks(ex.chunk_objects)
    body = ex.json
    if not isinstance(body, dict):
        raise Unverifiable("response body is not a JSON object")
    return body


def _text(choice: dict[str, Any]) -> str | None:
    text = choice.get("text")
    return text if isinstance(text, str) else None


def _where(choice: dict[str, Any], field: str = "") -> str:
    return f"$.choices[{choice.get('index')}]" + (f".{field}" if field else "")


@check("completions.schema", "CMPL-001")
def schema(ctx: CheckContext) -> Iterator[Issue]:
    """The body conforms to the `text_completion` schema."""
    ex = ctx.primary
    yield from schema_issues(ex.json, "openai/completion", "CMPL-001", ex.index)


@check("completions.chunk_schema", "CMPL-STREAM-001")
def chunk_schema(ctx: CheckContext) -> Iterator[Issue]:
    """Every streamed payload is a `text_completion` chunk (first failing chunks shown)."""
    ex = ctx.primary
    failing = 0
    for p in ex.payloads:
        where = f"event[{p.event_index}]"
        issues = list(
            schema_issues(p.value, "openai/completion.chunk", "CMPL-STREAM-001", ex.index, where)
        )
        yield from issues
        failing += bool(issues)
        if failing >= 3:
            break


@check("completions.choices", "CMPL-002")
def choices(ctx: CheckContext) -> Iterator[Issue]:
    """There are `n` choices per prompt, with indices 0..prompts*n-1 each exactly once."""
    ex = ctx.primary
    want = len(prompts_of(ex)) * requested_n(ex)
    found = choices_of(completion_of(ex))
    got = sorted(c["index"] for c in found if isinstance(c.get("index"), int))
    if got != list(range(want)):
        yield Issue(
            "CMPL-002",
            f"{len(prompts_of(ex))} prompt(s) with n={requested_n(ex)} ask for choice indices "
            f"0..{want - 1}, got {excerpt(got)}",
            "$.choices",
            ex.index,
        )


@check("completions.length", "CMPL-LEN-001", "CMPL-LEN-002")
def length(ctx: CheckContext) -> Iterator[Issue]:
    """A small `max_tokens` ends every choice with "length" and is never exceeded."""
    ex = ctx.primary
    limit = token_limit(ex)
    if limit is None:
        raise ValueError("completions.length needs a request with max_tokens")
    completion = completion_of(ex)
    usage = completion.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    cap = limit * len(prompts_of(ex)) * requested_n(ex)
    for c in choices_of(completion):
        if c.get("finish_reason") == "stop" and stopped_early(tokens, cap):
            where = _where(c, "finish_reason")
            yield early_stop("CMPL-LEN-001", int(tokens or 0), cap, where, ex.index)
        elif c.get("finish_reason") == "stop" and not reports_tokens(tokens):
            yield no_usage_stop("CMPL-LEN-001", cap, _where(c, "finish_reason"), ex.index)
        elif c.get("finish_reason") != "length":
            yield Issue(
                "CMPL-LEN-001",
                f"generation was limited to {limit} tokens but finish_reason is "
                f"{excerpt(c.get('finish_reason'))}, expected 'length'",
                _where(c, "finish_reason"),
                ex.index,
            )
    yield from over_limit("CMPL-LEN-002", completion.get("usage"), cap, ex.index)


@check("completions.stop", "CMPL-STOP-001")
def stop(ctx: CheckContext) -> Iterator[Issue]:
    """No choice's text contains a requested stop sequence."""
    ex = ctx.primary
    stops = stop_sequences(ex)
    if not stops:
        raise ValueError("completions.stop needs a request with `stop`")
    for c in choices_of(completion_of(ex)):
        text = _text(c) or ""
        for s in stops:
            if s in text:
                yield Issue(
                    "CMPL-STOP-001",
                    f"text contains the stop sequence {s!r} at offset {text.index(s)}",
                    _where(c, "text"),
                    ex.index,
                )


@check("completions.echo", "CMPL-ECHO-001")
def echo(ctx: CheckContext) -> Iterator[Issue]:
    """With `echo: true`, each choice's text starts with its prompt."""
    ex = ctx.primary
    prompts = prompts_of(ex)
    n = requested_n(ex)
    for c in choices_of(completion_of(ex)):
        index = c.get("index")
        prompt = (
            prompts[index // n] if isinstance(index, int) and index < len(prompts) * n else None
        )
        text = _text(c)
        if prompt is None or text is None:
            raise Unverifiable(f"choice {excerpt(index)} has no text or no known prompt")
        if not text.startswith(prompt):
            yield Issue(
                "CMPL-ECHO-001",
                f"echo was requested but the text starts {excerpt(text[: len(prompt) + 10])}, "
                f"not with the prompt {excerpt(prompt)}",
                _where(c, "text"),
                ex.index,
            )


@check("completions.logprobs", "CMPL-LOGPROBS-001")
def logprobs(ctx: CheckContext) -> Iterator[Issue]:
    """With `logprobs: k`, each choice carries tokens, token_logprobs, top_logprobs and
    text_offset of equal length, at most k+1 alternatives per token, tokens joining to the text.
    """
    ex = ctx.primary
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    k = body.get("logprobs")
    if not isinstance(k, int):
        raise ValueError("completions.logprobs needs a request with an integer `logprobs`")
    for c in choices_of(completion_of(ex)):
        yield from _logprob_issues(c, k, ex.index)


def _logprob_issues(c: dict[str, Any], k: int, exchange: int) -> Iterator[Issue]:
    where = _where(c, "logprobs")
    lp = c.get("logprobs")
    if not isinstance(lp, dict):
        yield Issue(
            "CMPL-LOGPROBS-001", f"logprobs is {excerpt(lp)}, not an object", where, exchange
        )
        return
    bad = [key for key in _LOGPROB_ARRAYS if not isinstance(lp.get(key), list)]
    if bad:
        yield Issue("CMPL-LOGPROBS-001", f"logprobs lacks the array(s) {bad}", where, exchange)
        return
    arrays: dict[str, list[Any]] = {key: lp[key] for key in _LOGPROB_ARRAYS}
    lengths = {key: len(value) for key, value in arrays.items()}
    if len(set(lengths.values())) > 1:
        yield Issue("CMPL-LOGPROBS-001", f"arrays differ in length: {lengths}", where, exchange)
    # OpenAI: "the API will always return the logprob of the sampled token, so there may be
    # up to logprobs+1 elements" in each top_logprobs entry.
    for i, top in enumerate(arrays["top_logprobs"]):
        if top is not None and (not isinstance(top, dict) or len(top) > k + 1):
            yield Issue(
                "CMPL-LOGPROBS-001",
                f"top_logprobs[{i}] should map at most {k + 1} tokens to logprobs, "
                f"got {excerpt(top)}",
                f"{where}.top_logprobs[{i}]",
                exchange,
            )
            break
    tokens = arrays["tokens"]
    # Byte-fallback tokens ("bytes:\\xe2\\x80") do not join back to text; nothing to compare.
    readable = all(isinstance(t, str) and not t.startswith("bytes:") for t in tokens)
    if readable and _text(c) is not None and "".join(tokens) != _text(c):
        yield Issue(
            "CMPL-LOGPROBS-001",
            f"the tokens join to {excerpt(''.join(tokens))}, not to the choice's text "
            f"{excerpt(_text(c))}",
            f"{where}.tokens",
            exchange,
        )
    offsets = arrays["text_offset"]
    if any(not _count(o) for o in offsets) or offsets != sorted(offsets):
        yield Issue(
            "CMPL-LOGPROBS-001",
            f"text_offset is not a non-decreasing list of offsets: {excerpt(offsets)}",
            f"{where}.text_offset",
            exchange,
        )


@check("completions.suffix", "CMPL-SUFFIX-001", "CMPL-001")
def suffix(ctx: CheckContext) -> Iterator[Issue]:
    """`suffix` is accepted with a valid completion, or refused with a 400 (unsupported).

    An accepted request is held to the completion schema (a MUST), not to the MAY.
    """
    ex = ctx.primary
    if ex.status == 400:
        yield Issue(
            "CMPL-SUFFIX-001",
            "the server answered 400: suffix (insertion) is not supported",
            exchange=ex.index,
            kind=IssueKind.UNSUPPORTED,
        )
        return
    if ex.status != 200:
        yield Issue(
            "CMPL-SUFFIX-001",
            f"a request with suffix got status {ex.status}, expected 200 or a 400 refusal",
            exchange=ex.index,
        )
        return
    yield from schema_issues(ex.json, "openai/completion", "CMPL-001", ex.index)


@check("completions.finish_once", "CMPL-STREAM-002")
def finish_once(ctx: CheckContext) -> Iterator[Issue]:
    """In a stream, each choice gets exactly one non-null finish_reason and no text after it."""
    ex = ctx.primary
    per: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for p in ex.payloads:
        for ch in choices_of(p.value) if isinstance(p.value, dict) else []:
            if isinstance(ch.get("index"), int):
                per.setdefault(ch["index"], []).append((p.event_index, ch))
    if not per:
        yield Issue("CMPL-STREAM-002", "no chunk carried a choice", exchange=ex.index)
    for index, items in sorted(per.items()):
        finals = [ev for ev, ch in items if ch.get("finish_reason") is not None]
        if len(finals) != 1:
            yield Issue(
                "CMPL-STREAM-002",
                f"choice {index} has {len(finals)} non-null finish_reason values, expected 1",
                exchange=ex.index,
            )
            continue
        late = [ev for ev, ch in items if ev > finals[0] and _text(ch)]
        if late:
            yield Issue(
                "CMPL-STREAM-002",
                f"choice {index} receives text after its finish_reason",
                f"event[{late[0]}]",
                ex.index,
            )


@check("completions.usage", "CMPL-USAGE-001", "CMPL-USAGE-002")
def usage(ctx: CheckContext) -> Iterator[Issue]:
    """Usage is reported, its counts are non-negative integers and total = prompt + completion."""
    ex = ctx.primary
    found = completion_of(ex).get("usage")
    if not isinstance(found, dict):
        yield Issue("CMPL-USAGE-001", "the response carries no usage object", "$.usage", ex.index)
        return
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    bad = [k for k in keys if not _count(found.get(k))]
    if bad:
        yield Issue(
            "CMPL-USAGE-002",
            f"usage fields {bad} are not non-negative integers",
            "$.usage",
            ex.index,
        )
        return
    p, c, t = (int(found[k]) for k in keys)
    if t != p + c:
        yield Issue(
            "CMPL-USAGE-002",
            f"total_tokens={t} but prompt_tokens + completion_tokens = {p} + {c} = {p + c}",
            "$.usage.total_tokens",
            ex.index,
        )


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
