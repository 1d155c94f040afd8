"""Server-sent event stream checks for Chat Completions: framing, terminator, chunk invariants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import excerpt, invalid_utf8, schema_issues
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.openai.chat import created_issues
from llmconform.checks.registry import Issue, IssueKind, check


def _ev(i: int) -> str:
    return f"event[{i}]"


def is_error_payload(value: Any) -> bool:
    """A stream payload that is an error envelope (`{"error": …}`) rather than a chunk."""
    return isinstance(value, dict) and value.get("error") is not None


def is_prompt_filter_preamble(chunk: dict[str, Any]) -> bool:
    """Azure OpenAI's first chunk: only `prompt_filter_results`, with empty choices and an empty
    id, model and a zero `created`. It belongs to no completion, so the invariants that tie the
    chunks of one completion together do not apply to it."""
    return chunk.get("choices") == [] and isinstance(chunk.get("prompt_filter_results"), list)


def _error_message(value: dict[str, Any]) -> str:
    err = value.get("error")
    text = err.get("message") if isinstance(err, dict) else err
    if isinstance(text, str):
        return text if len(text) <= 200 else text[:199] + "…"
    return excerpt(err, 200)


def completion_chunks(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    """(event index, chunk) of the chunks that make up the completion: JSON objects that are
    neither error payloads nor Azure's filter preamble."""
    return [
        (p.event_index, p.value)
        for p in ex.payloads
        if isinstance(p.value, dict)
        and not is_error_payload(p.value)
        and not is_prompt_filter_preamble(p.value)
    ]


@check("stream.content_type", "STREAM-001")
def content_type(ctx: CheckContext) -> Iterator[Issue]:
    """A stream is answered with status 200 and `Content-Type: text/event-stream`."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "STREAM-001",
            f"expected status 200 for a valid stream request, got {ex.status}",
            exchange=ex.index,
        )
    if ex.content_type != "text/event-stream":
        yield Issue(
            "STREAM-001",
            f"Content-Type is {ex.capture.header('content-type')!r}, expected text/event-stream",
            exchange=ex.index,
        )


@check("stream.framing", "STREAM-002")
def framing(ctx: CheckContext) -> Iterator[Issue]:
    """The stream is UTF-8, every payload is a `data:` field and every event ends with a blank
    line."""
    ex = ctx.primary
    obs = ex.sse_observations
    yield from invalid_utf8("STREAM-002", ex)
    if obs.json_like_lines:
        yield Issue(
            "STREAM-002",
            f"{obs.json_like_lines} line(s) carry a JSON payload without "
            "the 'data: ' field name; clients ignore them",
            exchange=ex.index,
        )
    elif obs.lines_without_colon:
        yield Issue(
            "STREAM-002",
            f"{obs.lines_without_colon} line(s) carry no field name",
            exchange=ex.index,
        )
    if obs.incomplete_tail:
        yield Issue(
            "STREAM-002",
            "the stream ended inside an event (no blank line after the last "
            "field), so clients drop it",
            exchange=ex.index,
        )
    if obs.unknown_fields and not obs.json_like_lines:
        yield Issue(
            "STREAM-002",
            f"unknown SSE field name(s) {list(obs.unknown_fields)} are ignored by clients",
            exchange=ex.index,
            kind=IssueKind.INFO,
        )
    if not ex.events:
        yield Issue("STREAM-002", "no server-sent event was received", exchange=ex.index)
    if ex.bad_payloads:
        i, text = ex.bad_payloads[0]
        yield Issue(
            "STREAM-002",
            f"{len(ex.bad_payloads)} event(s) carry data that is not JSON, first: {text!r}",
            _ev(i),
            ex.index,
        )


@check("stream.done", "STREAM-003", "STREAM-004")
def done(ctx: CheckContext) -> Iterator[Issue]:
    """The stream ends with `data: [DONE]` and nothing follows it."""
    ex = ctx.primary
    if ex.done_index is None:
        yield Issue("STREAM-003", "the stream never sent 'data: [DONE]'", exchange=ex.index)
        return
    extra = len(ex.events) - ex.done_index - 1
    if extra:
        yield Issue(
            "STREAM-004",
            f"{extra} event(s) follow 'data: [DONE]'",
            _ev(ex.done_index + 1),
            ex.index,
        )


# Delta fields whose *text* the chunk schema does not constrain beyond "a string"
# (tests/test_shape_key.py pins this against the schema).
TEXT_FIELDS = ("content", "reasoning_content", "reasoning", "refusal")


def shape_key(chunk: Any) -> str | None:
    """The chunk with its free-text delta strings blanked: chunks with equal keys are equally
    valid, so a stream of thousands of text deltas is schema-validated once per shape."""
    if not isinstance(chunk, dict):
        return None
    choices = chunk.get("choices")
    if isinstance(choices, list):
        blanked = []
        for choice in choices:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                delta = {
                    k: ("" if k in TEXT_FIELDS and isinstance(v, str) else v)
                    for k, v in delta.items()
                }
                choice = {**choice, "delta": delta}
            blanked.append(choice)
        chunk = {**chunk, "choices": blanked}
    try:
        return json.dumps(chunk, sort_keys=True)
    except (TypeError, ValueError):
        return None


@check("stream.chunk_schema", "STREAM-005", "STREAM-ERR-001", "STREAM-010")
def chunk_schema(ctx: CheckContext) -> Iterator[Issue]:
    """Every payload is a `chat.completion.chunk` (MUST; first failing chunks shown). An error
    payload is no chunk: it is judged apart, under STREAM-ERR-001 (SHOULD), because OpenAI
    itself reports a mid-generation failure that way once the 200 is sent."""
    ex = ctx.primary
    reported = 0
    valid_shapes: set[str] = set()
    for p in ex.payloads:
        if is_error_payload(p.value):
            issues = list(_error_event_issues(p.value, _ev(p.event_index), ex.index))
        else:
            shape = shape_key(p.value)
            if shape in valid_shapes:
                continue  # same chunk but for its text: already validated
            issues = list(
                schema_issues(
                    p.value,
                    "openai/chat.completion.chunk",
                    "STREAM-005",
                    ex.index,
                    _ev(p.event_index),
                )
            )
            if not issues and shape is not None:
                valid_shapes.add(shape)
        yield from issues
        reported += bool(issues)
        if reported >= 3:
            break
    yield from _loose_chunks(ex)


def _loose_chunks(ex: Exchange) -> Iterator[Issue]:
    """What the chunk schema tolerates and the OpenAI spec does not (STREAM-010): the first
    chunk of each kind is reported."""
    seen: set[str] = set()
    for p in ex.payloads:
        value = p.value
        choices = value.get("choices") if isinstance(value, dict) else None
        for c in choices if isinstance(choices, list) else []:
            if not isinstance(c, dict):
                continue
            raw = c.get("delta")
            delta: dict[str, Any] = raw if isinstance(raw, dict) else {}
            found = {
                "finish_reason": "finish_reason" not in c,
                "role": "role" in delta and delta["role"] is None,
                "tool_calls": "tool_calls" in delta and delta["tool_calls"] is None,
            }
            for kind, bad in found.items():
                if not bad or kind in seen:
                    continue
                seen.add(kind)
                what = (
                    "a choice without the finish_reason key (send null until the end)"
                    if kind == "finish_reason"
                    else f"delta.{kind}: null (leave the key out instead)"
                )
                yield Issue("STREAM-010", f"the stream has {what}", _ev(p.event_index), ex.index)


def _error_event_issues(value: dict[str, Any], where: str, exchange: int) -> Iterator[Issue]:
    """An error inside a stream: reported (the exchange failed, the SDKs raise on it), and its
    shape judged: the SDKs turn only `{"error": {"message": …}}` into a readable exception."""
    yield Issue(
        "STREAM-ERR-001", f"the stream carried an error: {_error_message(value)}", where, exchange
    )
    err = value.get("error")
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):
        yield Issue(
            "STREAM-ERR-001",
            f'the error event is not {{"error": {{"message": string, …}}}}: {excerpt(value)}',
            where + ".error",
            exchange,
        )


@check("stream.consistent", "STREAM-006", "STREAM-007")
def consistent(ctx: CheckContext) -> Iterator[Issue]:
    """All chunks share one `id` (MUST) and one `created` and `model` (SHOULD)."""
    ex = ctx.primary
    chunks = completion_chunks(ex)
    for key, req in (("id", "STREAM-006"), ("created", "STREAM-007"), ("model", "STREAM-007")):
        # Compared as JSON text: in Python False == 0 and 1 == 1.0, on the wire they differ.
        texts = [json.dumps(c.get(key), sort_keys=True) for _, c in chunks]
        if len(set(texts)) > 1:
            distinct = dict.fromkeys(excerpt(c.get(key)) for _, c in chunks)
            first_diff = next(ev for (ev, _), t in zip(chunks, texts, strict=True) if t != texts[0])
            yield Issue(
                req,
                f"chunks disagree on {key!r}: {', '.join(list(distinct)[:3])}",
                _ev(first_diff),
                ex.index,
            )


@check("stream.created", "CHAT-002", "CHAT-003")
def created(ctx: CheckContext) -> Iterator[Issue]:
    """Every chunk's `created` is Unix seconds near the request time."""
    ex = ctx.primary
    for ev, c in completion_chunks(ex)[:1]:  # consistency across chunks: stream.consistent
        yield from created_issues(
            c.get("created"), ex.capture.sent_at, _ev(ev) + ".created", ex.index
        )


def _choice_events(ex: Exchange) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """(event index, choice) pairs per choice index, in stream order."""
    per: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for p in ex.payloads:
        choices = p.value.get("choices") if isinstance(p.value, dict) else None
        for ch in choices if isinstance(choices, list) else []:
            if isinstance(ch, dict) and isinstance(ch.get("index"), int):
                per.setdefault(ch["index"], []).append((p.event_index, ch))
    return per


@check("stream.role_first", "STREAM-008")
def role_first(ctx: CheckContext) -> Iterator[Issue]:
    """The first delta of each choice carries `role: "assistant"`."""
    ex = ctx.primary
    for index, items in sorted(_choice_events(ex).items()):
        ev, choice = items[0]
        delta = choice.get("delta")
        role = delta.get("role") if isinstance(delta, dict) else None
        if role != "assistant":
            yield Issue(
                "STREAM-008",
                f"first delta of choice {index} has role {excerpt(role)}, expected 'assistant'",
                _ev(ev) + ".delta",
                ex.index,
            )


# Marks a stream that ended with no output and no finish_reason (engine/aggregate counts them).
EARLY_END = "the stream ended early"


def _carries_output(choice: dict[str, Any]) -> bool:
    raw = choice.get("delta")
    delta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return any(delta.get(k) for k in ("content", "tool_calls", "function_call", "refusal", "audio"))


def _early_end(ctx: CheckContext) -> str:
    text = f"; {EARLY_END}: nothing but the opening chunk arrived before [DONE]"
    concurrency = ctx.settings.get("concurrency")
    if isinstance(concurrency, int) and concurrency > 1:
        text += (
            f" (with --concurrency {concurrency}, a server that interrupts a running "
            "generation when another request arrives ends streams like this: rerun with "
            "--concurrency 1 to tell the two apart)"
        )
    return text


@check("stream.finish_once", "STREAM-009", "STREAM-FINISH-001")
def finish_once(ctx: CheckContext) -> Iterator[Issue]:
    """No choice gets more than one non-null `finish_reason` nor output after it (MUST); each
    choice gets one (SHOULD: OpenAI's own gpt-audio streams end without any)."""
    ex = ctx.primary
    per = _choice_events(ex)
    if not per:
        yield Issue("STREAM-009", "no chunk carried a choice", exchange=ex.index)
    for index, items in sorted(per.items()):
        finals = [ev for ev, ch in items if ch.get("finish_reason") is not None]
        if not finals:
            message = f"choice {index} has 0 non-null finish_reason values, expected 1"
            if not any(_carries_output(ch) for _, ch in items):
                message += _early_end(ctx)
            yield Issue("STREAM-FINISH-001", message, exchange=ex.index)
            continue
        if len(finals) > 1:
            yield Issue(
                "STREAM-009",
                f"choice {index} has {len(finals)} non-null finish_reason "
                "values, expected at most 1",
                _ev(finals[1]),
                ex.index,
            )
            continue
        late = [ev for ev, ch in items if ev > finals[0] and _has_output(ch)]
        if late:
            yield Issue(
                "STREAM-009",
                f"choice {index} receives output after its finish_reason",
                _ev(late[0]),
                ex.index,
            )


def _has_output(choice: dict[str, Any]) -> bool:
    delta = choice.get("delta")
    return isinstance(delta, dict) and bool(delta.get("content") or delta.get("tool_calls"))


@check("stream.usage_chunk", "STREAM-USAGE-001", "STREAM-USAGE-002")
def usage_chunk(ctx: CheckContext) -> Iterator[Issue]:
    """With `include_usage`, exactly one last chunk carries usage and an empty `choices`."""
    ex = ctx.primary
    chunks = ex.chunk_objects
    with_usage = [i for i, c in enumerate(chunks) if c.get("usage") is not None]
    if not with_usage:
        yield Issue(
            "STREAM-USAGE-001",
            "stream_options.include_usage was set but no chunk carried usage",
            exchange=ex.index,
        )
        return
    last = with_usage[-1]
    if last != len(chunks) - 1:
        yield Issue(
            "STREAM-USAGE-001",
            "the usage chunk is not the last chunk before [DONE]",
            exchange=ex.index,
        )
    if chunks[last].get("choices") != []:
        yield Issue(
            "STREAM-USAGE-001",
            "the usage chunk must have an empty 'choices' list, got "
            f"{excerpt(chunks[last].get('choices'))}",
            exchange=ex.index,
        )
    if len(with_usage) > 1:
        yield Issue(
            "STREAM-USAGE-002",
            f"{len(with_usage)} chunks carry non-null usage; clients "
            "that sum usage over chunks over-count",
            exchange=ex.index,
        )


@check("stream.usage_matches", "STREAM-USAGE-004")
def usage_matches(ctx: CheckContext) -> Iterator[Issue]:
    """The streamed usage equals the non-streamed usage of the same prompt (`against` names
    the non-streamed exchange). prompt_tokens do not depend on sampling; completion_tokens
    are compared only when both answers have the same text (a server may ignore the seed)."""
    ex = ctx.primary
    other = ctx.exchanges[int(ctx.args.get("against", 0))]
    if ex.status != 200 or other.status != 200:
        raise Unverifiable(f"statuses {other.status} and {ex.status}, not 200 and 200")
    mine, theirs = ex.completion.get("usage"), other.completion.get("usage")
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        # No usage to compare: its absence is judged by the usage cases (STREAM-USAGE-001).
        which = "streamed" if not isinstance(mine, dict) else "non-streamed"
        yield Issue(
            "STREAM-USAGE-004",
            f"the {which} answer carries no usage, so the two cannot be compared",
            "$.usage",
            ex.index,
            IssueKind.INCONCLUSIVE,
        )
        return
    keys = ["prompt_tokens"]
    if _texts(ex.completion) == _texts(other.completion):
        keys.append("completion_tokens")
    for key in keys:
        if mine.get(key) != theirs.get(key):
            yield Issue(
                "STREAM-USAGE-004",
                f"the streamed usage has {key}={excerpt(mine.get(key))}, the same request "
                f"without streaming {key}={excerpt(theirs.get(key))}",
                f"$.usage.{key}",
                ex.index,
            )


def _texts(completion: dict[str, Any]) -> list[Any]:
    out = []
    for c in completion.get("choices") or []:
        message = c.get("message") if isinstance(c, dict) else None
        out.append(message.get("content") if isinstance(message, dict) else None)
    return out
