"""Hand-made captures for unit tests of the pure core: bodies, SSE streams, chunks, contexts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from llmconform.checks import CHECKS, CheckContext, Exchange, Issue
from llmconform.model import BodyChunk, Capture, Case, Request

T0 = 1_700_000_000  # a plausible `created`, also used as the request's wall-clock time


def sse(*payloads: Any, done: bool = True) -> bytes:
    """An SSE body: one `data:` event per payload (dicts are JSON-encoded), then `[DONE]`."""
    parts = [p if isinstance(p, str) else json.dumps(p) for p in payloads]
    if done:
        parts.append("[DONE]")
    return "".join(f"data: {p}\n\n" for p in parts).encode()


def split(body: bytes, size: int = 7) -> tuple[BodyChunk, ...]:
    """Cut a body into reads of `size` bytes (odd sizes cut lines and UTF-8 sequences)."""
    return tuple(BodyChunk(100 + i, body[i : i + size]) for i in range(0, len(body), size))


def capture(
    body: bytes | Any = b"",
    *,
    status: int | None = 200,
    stream: bool = False,
    request_json: Any = None,
    content_type: str | None = None,
    sent_at: float = float(T0),
    error: str | None = None,
    truncated: bool = False,
) -> Capture:
    """A Capture of one POST /chat/completions exchange; a non-bytes body is JSON-encoded."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if request_json is None:
        request_json = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        if stream:
            request_json["stream"] = True
    if content_type is None:
        content_type = "text/event-stream" if stream else "application/json"
    return Capture(
        Request("POST", "/chat/completions", json=request_json, stream=stream),
        status,
        (("content-type", content_type),),
        split(raw),
        t_sent_ns=0,
        sent_at=sent_at,
        t_headers_ns=50 if status is not None else None,
        t_end_ns=1_000_000,
        error=error,
        truncated=truncated,
    )


def case(*checks: str, case_id: str = "t.case", steps: Iterable[Any] = ()) -> Case:
    """A Case applying `checks` (names, no arguments)."""
    from llmconform.model import CheckRef

    return Case(
        case_id, "a test case", "openai-chat", tuple(steps), tuple(CheckRef(c) for c in checks)
    )


def run_check(
    name: str, *captures: Capture, args: Mapping[str, Any] | None = None, model: str = "m"
) -> list[Issue]:
    """Run one registered check over the captures (the last is the primary exchange)."""
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    ctx = CheckContext(case(name), exchanges, dict(args or {}), model)
    return list(CHECKS[name].fn(ctx))


def reqs(issues: Iterable[Issue]) -> list[str]:
    """The requirement ids of some issues, in order."""
    return [i.requirement for i in issues]


def completion(
    *,
    content: Any = "Hello.",
    finish_reason: Any = "stop",
    role: Any = "assistant",
    n: int = 1,
    created: Any = T0,
    usage: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid `chat.completion` body (override any field)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": created,
        "model": "m",
        "choices": [
            {
                "index": i,
                "message": {"role": role, "content": content, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
            for i in range(n)
        ],
        "usage": usage or {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    body.update(extra)
    return body


def chunk(
    delta: Mapping[str, Any] | None = None,
    *,
    finish_reason: Any = None,
    index: int = 0,
    choices: Any = None,
    **top: Any,
) -> dict[str, Any]:
    """A valid `chat.completion.chunk` with one choice (or `choices` as given)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": T0,
        "model": "m",
        "choices": choices
        if choices is not None
        else [{"index": index, "delta": dict(delta or {}), "finish_reason": finish_reason}],
    }
    body.update(top)
    return body


def good_stream(text: str = "Hello there.", *, n: int = 1) -> list[dict[str, Any]]:
    """The chunks of a well-formed stream: role first, content pieces, one finish_reason."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        out.append(chunk({"role": "assistant", "content": ""}, index=i))
        out.extend(chunk({"content": w}, index=i) for w in text.split(" "))
        out.append(chunk({}, finish_reason="stop", index=i))
    return out


def stream_capture(*chunks: Any, done: bool = True, **kwargs: Any) -> Capture:
    """A streamed exchange carrying these payloads as SSE."""
    return capture(sse(*chunks, done=done), stream=True, **kwargs)
