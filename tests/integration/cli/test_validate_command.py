"""`llmconform validate FILE --as KIND`: schemas and single-capture checks over saved bodies."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.cli.validate import _anthropic_status, kinds


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["validate", *args], input=stdin, catch_exceptions=False)


def completion(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
    return {**body, **changes}


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def sse(*payloads: Any, done: bool = True) -> bytes:
    events = [f"data: {json.dumps(p)}\n\n" for p in payloads]
    if done:
        events.append("data: [DONE]\n\n")
    return "".join(events).encode()


GOOD_STREAM = (
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hi"}),
    chunk({}, "stop"),
)


@pytest.fixture
def write(tmp_path: Path) -> Any:
    def _write(data: bytes | dict[str, Any], name: str = "body") -> str:
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
        return str(path)

    return _write


def test_a_good_chat_completion_is_valid(write: Any) -> None:
    result = invoke(write(completion()), "--as", "chat.completion")
    assert result.exit_code == 0, result.output
    assert "as chat.completion: valid - 0 failed" in result.output


def test_a_completion_with_created_in_milliseconds_fails(write: Any) -> None:
    result = invoke(write(completion(created=int(time.time() * 1000))), "--as", "chat.completion")
    assert result.exit_code == 1
    assert "CHAT-002" in result.output


def test_a_detail_body_is_not_an_openai_error(write: Any) -> None:
    result = invoke(write({"detail": "x"}), "--as", "error")
    assert result.exit_code == 1
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("FAIL")]
    assert "ERR-005" in line and "MUST" in line and "{'detail': 'x'}" in line
    assert "INVALID" in result.output


def test_a_real_error_envelope_is_valid(write: Any) -> None:
    body = {
        "error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
    }
    assert invoke(write(body), "--as", "error").exit_code == 0


def test_a_stream_without_done_fails_stream_003(write: Any) -> None:
    result = invoke(write(sse(*GOOD_STREAM, done=False)), "--as", "sse")
    assert result.exit_code == 1
    failing = [ln for ln in result.output.splitlines() if ln.startswith("FAIL")]
    assert len(failing) == 1 and "STREAM-003" in failing[0], result.output


def test_a_good_stream_is_valid_and_role_first_is_checked(write: Any) -> None:
    assert invoke(write(sse(*GOOD_STREAM)), "--as", "sse").exit_code == 0
    no_role = (chunk({"content": "Hi"}), chunk({}, "stop"))
    result = invoke(write(sse(*no_role)), "--as", "sse")
    assert result.exit_code == 1 and "STREAM-008" in result.output


def test_stdin_and_json_output(write: Any) -> None:
    result = invoke("-", "--as", "sse", "--json", stdin=sse(*GOOD_STREAM, done=False))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["kind"] == "sse" and data["exit_code"] == 1 and data["counts"]["fail"] == 1
    [finding] = [f for f in data["findings"] if f["outcome"] == "fail"]
    assert finding["requirement"] == "STREAM-003" and finding["level"] == "MUST"


def test_request_file_sets_the_expected_number_of_choices(write: Any) -> None:
    body = write(completion())
    request = write({"model": "m", "messages": [], "n": 2}, "request.json")
    result = invoke(body, "--as", "chat.completion", "--request", request)
    assert result.exit_code == 1 and "CHAT-004" in result.output


def test_schema_only_kind_reports_schema_errors(write: Any) -> None:
    result = invoke(write({"model": "m"}), "--as", "chat.request")
    assert result.exit_code == 1
    assert "schema:openai/chat.request" in result.output and "messages" in result.output
    ok = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert invoke(write(ok), "--as", "chat.request").exit_code == 0


def test_not_json_fails_rather_than_passes(write: Any) -> None:
    assert invoke(write(b"<html>oops</html>"), "--as", "chat.completion").exit_code == 1
    assert invoke(write(b"<html>oops</html>"), "--as", "model").exit_code == 1


def test_anthropic_error_status_follows_its_type_unless_given(write: Any) -> None:
    body = write({"type": "error", "error": {"type": "authentication_error", "message": "no"}})
    assert "ANT-ERR-004" not in invoke(body, "--as", "anthropic.error").output
    result = invoke(body, "--as", "anthropic.error", "--status", "400")
    assert "ANT-ERR-004" in result.output


def test_unknown_kind_lists_the_allowed_kinds(write: Any) -> None:
    result = invoke(write(completion()), "--as", "chat.completions")
    assert result.exit_code == 2
    for kind in ("chat.completion", "sse", "responses.sse", "anthropic.sse", "error", "model.list"):
        assert kind in result.stderr


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "missing.json"), "--as", "chat.completion")
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_kinds_cover_every_document_schema_and_the_streams() -> None:
    names = set(kinds())
    assert {"sse", "responses.sse", "anthropic.sse", "completion.sse"} <= names
    assert {"chat.completion.chunk", "responses.response", "anthropic.message", "model"} <= names
    assert not any(name.endswith("common") for name in names)


# A body in UTF-16 or UTF-32 is not JSON a client reads (RFC 8259 §8.1: UTF-8); `run` judges
# bodies strictly as UTF-8, so `validate` must not quietly accept what `run` fails.
OTHER_ENCODINGS = ("utf-16", "utf-16-le", "utf-32", "utf-32-be")


@pytest.mark.parametrize("encoding", OTHER_ENCODINGS)
@pytest.mark.parametrize("kind", ["model", "chat.completion"])
def test_json_in_another_encoding_than_utf8_fails(write: Any, kind: str, encoding: str) -> None:
    doc = {"id": "m", "object": "model", "created": int(time.time()), "owned_by": "o"}
    if kind == "chat.completion":
        doc = completion()
    assert invoke(write(json.dumps(doc).encode()), "--as", kind).exit_code == 0
    result = invoke(write(json.dumps(doc).encode(encoding)), "--as", kind)
    assert result.exit_code == 1, result.output
    assert "not JSON" in result.output


def test_a_leading_utf8_bom_is_tolerated_as_by_run(write: Any) -> None:
    doc = {"id": "m", "object": "model", "created": int(time.time()), "owned_by": "o"}
    assert invoke(write(json.dumps(doc).encode("utf-8-sig")), "--as", "model").exit_code == 0


@pytest.mark.parametrize("encoding", OTHER_ENCODINGS)
def test_anthropic_error_status_is_not_read_from_a_body_that_is_not_utf8(encoding: str) -> None:
    text = json.dumps({"type": "error", "error": {"type": "authentication_error", "message": "x"}})
    assert _anthropic_status(text.encode("utf-8-sig")) == 401
    assert _anthropic_status(text.encode(encoding)) is None
