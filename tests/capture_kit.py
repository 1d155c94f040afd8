"""Hand-made captures for unit tests of checks: a request body and a response, no server."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from llmconform.checks import CHECKS, CheckContext, Exchange, Issue, Unverifiable
from llmconform.model import BodyChunk, Capture, Case, Request

CASE = Case("unit", "unit", "openai-chat", (), ())


def capture(
    request: dict[str, Any], body: Any = None, *, chunks: Iterable[Any] = (), status: int = 200
) -> Capture:
    """A capture of `request` answered with a JSON `body`, or with SSE `chunks` + [DONE]."""
    stream = bool(request.get("stream"))
    if stream:
        events = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
        raw = "".join(events).encode()
        ctype = "text/event-stream"
    else:
        raw = json.dumps(body).encode()
        ctype = "application/json"
    return Capture(
        request=Request("POST", "/chat/completions", json=request, stream=stream),
        status=status,
        headers=(("content-type", ctype),),
        chunks=(BodyChunk(0, raw),),
        t_sent_ns=0,
    )


def run(name: str, *captures: Capture, **args: Any) -> list[Issue]:
    """Run check `name` over the captures (an Unverifiable becomes one issue, as in the engine)."""
    ctx = CheckContext(CASE, tuple(Exchange(i, c) for i, c in enumerate(captures)), args)
    spec = CHECKS[name]
    try:
        return list(spec.fn(ctx))
    except Unverifiable as exc:
        return [Issue(spec.requirements[0], f"cannot verify: {exc}")]


def reqs(issues: list[Issue]) -> list[str]:
    """The requirement ids of the issues, in order."""
    return [i.requirement for i in issues]


def completion(*messages: dict[str, Any], finish: str = "stop", **choice: Any) -> dict[str, Any]:
    """A chat completion body with one choice per message."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": i, "message": {"role": "assistant", **m}, "finish_reason": finish, **choice}
            for i, m in enumerate(messages)
        ],
    }


def chunk(delta: dict[str, Any], finish: str | None = None, **choice: Any) -> dict[str, Any]:
    """A chunk with one choice (index 0)."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, **choice}],
    }
