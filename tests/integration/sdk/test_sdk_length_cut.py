"""SDK features against a correct server whose answers end at the token limit.

The openai SDK's stream helper and `parse()` raise `LengthFinishReasonError` for any
finish_reason "length": that is the SDK's choice, and the server was right, so the feature
must read the completion the exception carries instead of reporting a failure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from typing import Any

import openai
import pytest

from llmconform.checks.sdk import _parse, _stream_helper, _tools_stream
from llmconform.reference.server import RunningServer, serve_in_thread
from llmconform.transport.sdk_features import chat_parse, chat_stream_helper, tools_stream_helper


def _chunk(delta: dict[str, Any], finish: str | None) -> bytes:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class CutAtLimit:
    """Every chat answer (streamed or not) stops at the token limit: finish_reason length."""

    def __init__(self, call: bool = False) -> None:
        self.call = call

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(raw)
        if self.call:
            fragment = {"index": 0, "id": "call_1", "type": "function"}
            fragment["function"] = {"name": "get_weather", "arguments": '{"ci'}
            delta: dict[str, Any] = {"role": "assistant", "tool_calls": [fragment]}
        else:
            delta = {"role": "assistant", "content": "Hello there, my"}
        if request.get("stream"):
            body = _chunk(delta, None) + _chunk({}, "length") + b"data: [DONE]\n\n"
            kind = b"text/event-stream"
        else:
            message_ = {k: v for k, v in delta.items()}
            choice = {"index": 0, "message": message_, "finish_reason": "length"}
            doc = {"id": "c", "object": "chat.completion", "created": 1, "model": "m"}
            body, kind = json.dumps({**doc, "choices": [choice]}).encode(), b"application/json"
        headers = [(b"content-type", kind)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def wait(work: Awaitable[Any]) -> Any:
    """Run one SDK feature to its end."""

    async def main() -> Any:
        return await work

    return asyncio.run(main())


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[RunningServer] = []

    def start(app: Any) -> openai.AsyncOpenAI:
        servers.append(serve_in_thread(app))
        return openai.AsyncOpenAI(base_url=servers[-1].url + "/v1", api_key="k", max_retries=0)

    yield start
    for s in servers:
        s.stop()


def test_the_stream_helper_reads_a_length_cut_answer_without_failing(serve: Any) -> None:
    summary: Any = wait(chat_stream_helper(serve(CutAtLimit()), {"model": "m"}))
    assert summary["finish_reason"] == "length" and summary["sdk_raised_length"] is True
    assert summary["content"] == "Hello there, my"
    assert list(_stream_helper(summary)) == []  # the server was right
    assert list(_stream_helper({**summary, "finish_reason": None}))  # a missing one still fails


def test_a_length_cut_call_or_parse_is_undecided_not_failed(serve: Any) -> None:
    client = serve(CutAtLimit(call=True))
    summary: Any = wait(tools_stream_helper(client, {"model": "m"}))
    assert summary["sdk_raised_length"] is True and summary["finish_reason"] == "length"
    problems = list(_tools_stream(summary))
    assert [p[2].value for p in problems if len(p) == 3] == ["inconclusive"]
    assert all(len(p) == 3 for p in problems)
    parsed: Any = wait(chat_parse(serve(CutAtLimit()), {"model": "m"}))
    assert parsed["sdk_raised_length"] is True
    assert [len(p) for p in _parse(parsed)] == [3]
    assert list(_parse({"parsed": None}))  # nothing parsed without a reason still fails
