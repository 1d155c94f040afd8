"""The SDK driver without a network: a fake `send` stands in for the executor."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.catalog.steps import PlanError, Variables
from llmconform.checks import known_checks
from llmconform.checks.sdk import OUTCOME_METHOD
from llmconform.engine.evaluate import evaluate
from llmconform.engine.expand import ExpandOptions, expand
from llmconform.engine.sdk_cases import FEATURES, Feature, load_sdk
from llmconform.model import (
    BodyChunk,
    Capture,
    Case,
    CaseWork,
    Limits,
    Outcome,
    ProfileVerdict,
    Request,
)
from llmconform.reference.app import create_app
from llmconform.transport.sdk_runner import PLACEHOLDER_KEY, drive

from sdk_support import ALL_SDK_CASES, PROFILE, run_sdk_profile
from support import TEST_KEY

CATALOG = load_catalog(known_checks=known_checks())
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}
    ],
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "Hi."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 1},
}


def _capture(
    request: Request, status: int | None, body: bytes, error: str | None = None
) -> Capture:
    now = time.perf_counter_ns()
    chunks = (BodyChunk(now, body),) if body else ()
    headers = (("content-type", "application/json"),)
    return Capture(request, status, headers, chunks, now, t_end_ns=now, error=error)


def _fake(answer: Callable[[Request], Capture]) -> tuple[list[Request], Any]:
    sent: list[Request] = []

    async def send(request: Request) -> Capture:
        sent.append(request)
        return answer(request)

    return sent, send


def _run(name: str, answer: Callable[[Request], Capture]) -> tuple[list[Request], list[Capture]]:
    sent, send = _fake(answer)
    values = Variables("m").as_dict()
    outcome = asyncio.run(drive(FEATURES[name], values, send, Limits(timeout_s=5)))
    return sent, outcome


def _judge(case_id: str, captures: list[Capture]) -> Any:
    return evaluate(CATALOG.cases[case_id], captures, CATALOG.requirements, "m")


@pytest.fixture(autouse=True)
def _sdks() -> None:
    if load_sdk("openai") is None or load_sdk("anthropic") is None:
        pytest.skip("the openai and anthropic SDKs are not both installed")


def test_openai_requests_carry_no_credentials_and_map_to_target_paths() -> None:
    sent, outcome = _run(
        "sdk.openai.chat.create", lambda r: _capture(r, 200, json.dumps(COMPLETION).encode())
    )
    [request] = sent
    assert (request.method, request.path, request.auth, request.auth_scheme) == (
        "POST",
        "/chat/completions",
        "default",  # the executor adds the configured key, as for every case
        "bearer",
    )
    names = {k.lower() for k, _ in request.headers}
    assert not names & {"authorization", "x-api-key", "host", "content-length"}
    assert PLACEHOLDER_KEY not in repr(request)
    assert request.content is not None and json.loads(request.content) == request.json
    assert request.json["model"] == "m" and request.json["max_tokens"] == 32
    [record] = outcome
    assert record.request.method == OUTCOME_METHOD and record.transport == "sdk"
    body = json.loads(record.body)
    assert body["status"] == "ok" and body["result"]["content"] == "Hi."
    assert _judge("sdk.openai.chat.create", [*map(_answered, sent), *outcome]).outcome is (
        Outcome.PASS
    )


def _answered(request: Request) -> Capture:
    return _capture(request, 200, b"{}")


def test_anthropic_requests_use_the_x_api_key_scheme_and_the_messages_path() -> None:
    sent, outcome = _run(
        "sdk.anthropic.create", lambda r: _capture(r, 200, json.dumps(MESSAGE).encode())
    )
    [request] = sent
    assert (request.path, request.auth_scheme) == ("/messages", "x-api-key")
    assert "anthropic-version" in {k.lower() for k, _ in request.headers}
    assert json.loads(outcome[0].body)["result"]["stop_reason"] == "end_turn"


def test_an_error_status_is_the_sdk_exception_and_a_failure() -> None:
    error = {"error": {"message": "nope", "type": "invalid_request_error"}}
    sent, outcome = _run(
        "sdk.openai.chat.create", lambda r: _capture(r, 400, json.dumps(error).encode())
    )
    body = json.loads(outcome[0].body)
    assert body["status"] == "raised"
    assert body["error"]["type"] == "openai.BadRequestError"
    result = _judge("sdk.openai.chat.create", [_capture(sent[0], 400, b"{}"), *outcome])
    assert result.outcome is Outcome.FAIL
    assert "raised" in result.findings[0].message


def test_a_stream_that_breaks_off_reaches_the_sdk_as_a_broken_stream() -> None:
    chunk = {**COMPLETION, "object": "chat.completion.chunk", "choices": []}
    partial = f"data: {json.dumps(chunk)}\n\n".encode()
    sent, outcome = _run(
        "sdk.openai.chat.stream", lambda r: _capture(r, 200, partial, "connection reset")
    )
    assert sent[0].stream is True
    body = json.loads(outcome[0].body)
    assert body["status"] == "raised" and "connection reset" in body["error"]["message"]


def test_no_response_at_all_is_an_error_not_a_failure() -> None:
    sent, outcome = _run("sdk.openai.chat.create", lambda r: _capture(r, None, b"", "refused"))
    assert json.loads(outcome[0].body)["status"] == "raised"
    captures = [_capture(sent[0], None, b"", "refused"), *outcome]
    assert _judge("sdk.openai.chat.create", captures).outcome is Outcome.ERROR


def test_an_exception_before_any_request_is_a_harness_error() -> None:
    async def misfit(client: Any, values: Any) -> Any:
        raise TypeError("create() got an unexpected keyword argument 'x'")

    feature = Feature("sdk.test.misfit", "openai", "client.misfit()", misfit)
    sent, send = _fake(lambda r: _capture(r, 200, b"{}"))
    [record] = asyncio.run(drive(feature, {}, send, Limits()))
    assert sent == []
    assert record.status is None and record.error is not None
    assert "before sending any request" in record.error


def test_an_absent_sdk_skips_the_case_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now raises ImportError
    sent, outcome = _run("sdk.openai.chat.create", lambda r: _capture(r, 200, b"{}"))
    assert sent == []
    result = _judge("sdk.openai.chat.create", outcome)
    assert result.outcome is Outcome.SKIP
    assert "openai Python SDK is not installed" in result.reason


def test_a_whole_run_without_the_sdks_skips_every_sdk_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    report = run_sdk_profile(create_app(api_key=TEST_KEY))
    assert {c.case_id for c in report.cases} == ALL_SDK_CASES
    assert {c.outcome for c in report.cases} == {Outcome.SKIP}
    assert all("SDK is not installed" in c.reason for c in report.cases)
    # Skipped before the exchanges, like an undeclared capability: nothing was sent, and
    # the profile is "not tested" (not "inconclusive", which says a test could not decide).
    assert all(c.exchanges == () and c.requirements == () for c in report.cases)
    [profile] = [p for p in report.profiles if p.name == PROFILE]
    assert profile.verdict is ProfileVerdict.NOT_TESTED
    assert profile.skipped == profile.requirements == 14


def test_sdk_cases_are_planned_as_drivers_and_unknown_features_refused() -> None:
    case = CATALOG.cases["sdk.openai.models"]
    [work] = expand(case, Variables("m"), ExpandOptions())
    assert isinstance(work, CaseWork) and work.driver is not None and work.requests == ()
    bogus = Case("x.sdk", "x", "openai-chat", (), (), scenario="sdk.nope", tags=("sdk",))
    with pytest.raises(PlanError, match="unknown SDK feature"):
        expand(bogus, Variables("m"), ExpandOptions())


def test_every_sdk_case_runs_by_default_and_names_a_registered_feature() -> None:
    cases = [c for c in CATALOG.cases.values() if "sdk" in c.tags]
    assert {c.id for c in cases} == ALL_SDK_CASES
    assert all("opt-in" not in c.tags and c.scenario in FEATURES for c in cases)
    assert {c.scenario for c in cases} == set(FEATURES)
