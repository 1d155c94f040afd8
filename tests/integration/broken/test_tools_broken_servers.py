"""Each broken server is flagged by exactly the tools/structured/logprobs/params cases that
test what it breaks, and by no other case of the OpenAI suite; a stream framing fault is
flagged by every stream case, these and the core ones alike."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.engine.plan import CORE_CAPABILITIES
from llmconform.model import Outcome

from broken_servers import BrokenApp
from support import TEST_KEY, RunAgainst, outcomes
from tool_faults import FAULTS, UnknownFieldRejecter

CAPABILITIES = CORE_CAPABILITIES | {
    "auth",
    "tools",
    "parallel_tool_calls",
    "json_object",
    "json_schema",
    "logprobs",
}
STREAMED_CALLS = {
    "tools.stream_required",
    "tools.stream_parallel",
    "tools.stream_matches",
    "tools.stream_auto",
}
PLAIN_CALLS = {
    "tools.required",
    "tools.named",
    "tools.auto",
    "tools.parallel",
    "tools.round_trip",
    "tools.stream_matches",
}
# Every case of this selection that streams (the `n` cases are not selected): a framing
# fault fails each of them, since each judges the framing of the stream it receives.
EVERY_STREAM = STREAMED_CALLS | {
    "stream.basic",
    "stream.include_usage",
    "stream.length",
    "stream.length_usage",
    "stream.stop",
    "stream.multi_turn",
    "stream.usage_matches",
    "structured.json_object_stream",
    "structured.json_schema_stream",
    "logprobs.stream",
}

# fault name -> (cases expected to FAIL, cases expected to WARN)
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "tool_fragment_without_index": (STREAMED_CALLS, set()),
    "tool_fragment_repeats_id": (STREAMED_CALLS, set()),
    "arguments_as_object": (PLAIN_CALLS, set()),
    "finish_stop_with_tool_calls": (
        {
            "tools.required",
            "tools.auto",
            "tools.parallel",
            "tools.stream_required",
            "tools.stream_parallel",
            "tools.stream_auto",
        },
        set(),
    ),
    "tool_choice_none_ignored": ({"tools.none", "tools.round_trip"}, set()),
    "tool_choice_required_ignored": (
        {"tools.required", "tools.stream_required", "tools.round_trip"},
        set(),
    ),
    "named_tool_ignored": ({"tools.named"}, set()),
    "json_schema_output_invalid": ({"structured.json_schema"}, set()),
    "json_object_ignored": ({"structured.json_object", "structured.json_object_stream"}, set()),
    # N ignored (one alternative everywhere): LOGPROBS-005, a SHOULD (fewer is allowed).
    "top_logprobs_count_wrong": (set(), {"logprobs.basic", "logprobs.stream"}),
    "logprobs_tokens_not_concatenating": (set(), {"logprobs.basic"}),
    "invalid_utf8_in_streams": (EVERY_STREAM | {"prop.valid_requests"}, set()),
    "no_done": (EVERY_STREAM | {"prop.valid_requests"}, set()),
}


# fault name -> a requirement the findings must name (the flag is for the right reason)
REASON = {
    "tool_fragment_without_index": "TOOLS-STREAM-001",
    "tool_fragment_repeats_id": "TOOLS-STREAM-002",
    "arguments_as_object": "TOOLS-002",
    "finish_stop_with_tool_calls": "TOOLS-004",
    "tool_choice_none_ignored": "TOOLS-006",
    "tool_choice_required_ignored": "TOOLS-005",
    "named_tool_ignored": "TOOLS-005",
    "json_schema_output_invalid": "JSON-002",
    "json_object_ignored": "JSON-001",
    "top_logprobs_count_wrong": "LOGPROBS-005",
    "logprobs_tokens_not_concatenating": "LOGPROBS-004",
    "invalid_utf8_in_streams": "STREAM-002",
    "no_done": "STREAM-003",
}


def _assert_flagged(report: Any, failing: set[str], warning: set[str]) -> None:
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == failing
    assert outcomes(report, Outcome.WARN) == warning
    for case in report.cases:
        if case.case_id in failing | warning:
            assert any(f.outcome is not Outcome.PASS and f.message for f in case.findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fault_is_flagged_by_exactly_the_expected_cases(suite_run: RunAgainst, name: str) -> None:
    failing, warning = EXPECTED[name]
    report = suite_run(
        BrokenApp(FAULTS[name], TEST_KEY), apis=frozenset({"openai"}), capabilities=CAPABILITIES
    )
    _assert_flagged(report, failing, warning)
    named = {
        f.requirement for c in report.cases for f in c.findings if f.outcome is not Outcome.PASS
    }
    assert REASON[name] in named


def test_rejecting_unknown_fields_is_reported_never_a_warning(suite_run: RunAgainst) -> None:
    # OpenAI itself rejects unknown arguments: PARAM-004 is a MAY, reported as information,
    # so the reference API's own behaviour never warns (nor fails under --strict).
    report = suite_run(
        UnknownFieldRejecter(TEST_KEY), apis=frozenset({"openai"}), capabilities=CAPABILITIES
    )
    _assert_flagged(report, set(), set())
    assert report.verdict is Outcome.PASS
    (case,) = [c for c in report.cases if c.case_id == "params.unknown_field"]
    assert any(f.requirement == "PARAM-004" for f in case.findings)


def test_every_fault_has_an_expectation() -> None:
    assert set(FAULTS) == set(EXPECTED) == set(REASON)
