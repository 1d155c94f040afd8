"""The SDK checks over hand-made outcome records (no SDK, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate
from llmconform.engine.sdk_cases import FEATURES
from llmconform.model import CaseResult, Outcome
from llmconform.transport.sdk_runner import outcome_capture

CATALOG = load_catalog(known_checks=known_checks())
CALL = {"id": "call_1", "type": "function", "name": "get_weather", "arguments": '{"city": "x"}'}
ANSWER = {"choices": 1, "content": "21 C", "finish_reason": "stop", "tool_calls": []}


def judge(case_id: str, result: Any, status: str = "ok") -> CaseResult:
    feature = FEATURES[case_id]
    record = {"status": status, "version": "1", "result": result}
    capture = outcome_capture(feature, record)
    return evaluate(CATALOG.cases[case_id], [capture], CATALOG.requirements)


def messages(result: CaseResult) -> str:
    return " | ".join(f.message for f in result.findings if f.outcome is not Outcome.PASS)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"choices": None}, "has no `choices`"),
        ({"choices": 0}, "empty `choices`"),
        ({"choices": 1, "content": None, "finish_reason": "stop"}, "content is NoneType"),
        ({"choices": 1, "content": "", "finish_reason": None}, "no finish_reason"),
    ],
)
def test_an_unusable_completion_fails(result: dict[str, Any], expected: str) -> None:
    verdict = judge("sdk.openai.chat.create", result)
    assert verdict.outcome is Outcome.FAIL and expected in messages(verdict)
    assert {f.requirement for f in verdict.findings} == {"SDK-OPENAI-001"}


def test_empty_text_is_any_model_output_and_passes() -> None:
    result = {"choices": 1, "content": "", "finish_reason": "length"}
    assert judge("sdk.openai.chat.create", result).outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ({**CALL, "arguments": {"city": "x"}}, "not a JSON object string"),
        ({**CALL, "arguments": "[1]"}, "not a JSON object string"),
        ({**CALL, "id": ""}, "no id"),
        ({**CALL, "name": "weather"}, "names 'weather'"),
    ],
)
def test_a_tool_call_a_client_cannot_dispatch_fails(call: dict[str, Any], expected: str) -> None:
    first = {"choices": 1, "content": None, "finish_reason": "tool_calls", "tool_calls": [call]}
    verdict = judge("sdk.openai.tools.round_trip", {"first": first, "second": ANSWER})
    assert verdict.outcome is Outcome.FAIL and expected in messages(verdict)


def test_the_stream_helper_must_have_parsed_the_strict_arguments() -> None:
    final = {"choices": 1, "finish_reason": "tool_calls", "tool_calls": [CALL], "events": {}}
    verdict = judge("sdk.openai.tools.stream_helper", final)
    assert "could not parse" in messages(verdict)
    ok = {**final, "tool_calls": [{**CALL, "parsed_arguments": {"city": "x"}}]}
    assert judge("sdk.openai.tools.stream_helper", ok).outcome is Outcome.PASS


def test_a_refusal_leaves_parse_undecided_and_no_parse_fails() -> None:
    refused = judge("sdk.openai.chat.parse", {"parsed": None, "refusal": "I can't."})
    assert refused.outcome is Outcome.SKIP
    assert judge("sdk.openai.chat.parse", {"parsed": None}).outcome is Outcome.FAIL
    partial = judge("sdk.openai.chat.parse", {"parsed": {"city": "Paris"}})
    assert "'country'" in messages(partial)


def test_embeddings_must_match_the_inputs() -> None:
    good = {"index": 0, "type": "list", "length": 4, "numeric": True}
    one = {"inputs": 2, "vectors": [good]}
    assert "1 embeddings for 2 inputs" in messages(judge("sdk.openai.embeddings.default", one))
    text = {"inputs": 1, "vectors": [{**good, "type": "str", "numeric": False}]}
    assert "is a str" in messages(judge("sdk.openai.embeddings.default", text))
    fine = {"inputs": 2, "vectors": [good, {**good, "index": 1}]}
    assert judge("sdk.openai.embeddings.float", fine).outcome is Outcome.PASS


def test_models_retrieve_must_return_the_model_asked_for() -> None:
    result = {"asked": "m", "ids": ["m"], "count": 1, "retrieved": "other"}
    assert "returned id 'other'" in messages(judge("sdk.openai.models", result))


def test_streamed_text_must_be_the_final_text() -> None:
    final = {"content_types": ["text"], "text": "ab", "stop_reason": "end_turn"}
    result = {**final, "output_tokens": 2, "streamed_text": "a"}
    assert "text_stream differs" in messages(judge("sdk.anthropic.stream", result))
    response = {"id": "r", "status": "completed", "output_types": [], "output_text": ""}
    verdict = judge("sdk.openai.responses.stream", {**response, "streamed_text": "hi"})
    assert "differs from the final output_text" in messages(verdict)


def test_an_sdk_exception_fails_with_its_message() -> None:
    feature = FEATURES["sdk.anthropic.tools"]
    record = {"status": "raised", "error": {"type": "TypeError", "message": "TypeError: bad"}}
    verdict = evaluate(
        CATALOG.cases["sdk.anthropic.tools"],
        [outcome_capture(feature, record)],
        CATALOG.requirements,
    )
    assert verdict.outcome is Outcome.FAIL
    text = messages(verdict)
    assert "`client.messages.create(tools" in text and "TypeError: bad" in text


def test_a_case_without_an_outcome_cannot_pass() -> None:
    verdict = evaluate(CATALOG.cases["sdk.openai.models"], [], CATALOG.requirements)
    assert verdict.outcome is Outcome.FAIL and "cannot verify" in messages(verdict)
