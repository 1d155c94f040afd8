"""Each deliberately broken Anthropic server is flagged by exactly the cases that test it."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.engine.plan import ALL_CAPABILITIES
from llmconform.model import Outcome

from anthropic_faults import BearerOnly, broken
from support import TEST_KEY, RunAgainst, outcomes

STREAMS = {
    "anthropic.stream.basic",
    "anthropic.stream.max_tokens",
    "anthropic.stream.stop_sequence",
    "anthropic.stream.multi_turn",
    "anthropic.stream.tool_use",
    "anthropic.stream.thinking",
}
TEXT_STREAMS = STREAMS - {"anthropic.stream.tool_use"}
ERRORS_400 = {
    "anthropic.error.malformed_json",
    "anthropic.error.missing_max_tokens",
    "anthropic.error.missing_messages",
    "anthropic.error.missing_model",
    "anthropic.error.empty_messages",
    "anthropic.error.invalid_role",
    "anthropic.error.invalid_stream_request",
}
ERRORS_404 = {"anthropic.error.unknown_model", "anthropic.error.unknown_model_stream"}
AUTH = {"anthropic.auth.invalid_key", "anthropic.auth.missing_key"}
SUCCESS = STREAMS | {
    "anthropic.basic",
    "anthropic.system_and_blocks",
    "anthropic.multi_turn",
    "anthropic.max_tokens",
    "anthropic.stop_sequence",
    "anthropic.tools.any",
    "anthropic.tools.named",
    "anthropic.tools.auto",
    "anthropic.tools.none",
    "anthropic.tools.round_trip",
    "anthropic.thinking",
}

# (fault, cases expected to FAIL, cases expected to WARN)
CASES: list[tuple[str, set[str], set[str]]] = [
    ("no_message_stop", STREAMS, set()),
    ("no_block_stop", STREAMS, set()),
    ("wrong_delta_type", TEXT_STREAMS, set()),
    ("indices_from_one", STREAMS, set()),
    ("unnamed_events", STREAMS, set()),
    ("tool_json_broken", {"anthropic.stream.tool_use"}, set()),
    ("max_tokens_as_end_turn", {"anthropic.max_tokens", "anthropic.stream.max_tokens"}, set()),
    (
        "stop_sequences_ignored",
        {"anthropic.stop_sequence", "anthropic.stream.stop_sequence"},
        set(),
    ),
    ("openai_errors", set(), ERRORS_400 | ERRORS_404 | AUTH),
    ("invalid_utf8_in_streams", STREAMS, set()),
]


def _check(report: Any, failing: set[str], warning: set[str]) -> None:
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == failing
    assert outcomes(report, Outcome.WARN) == warning
    for case in report.cases:
        if case.case_id in failing:
            assert any(f.outcome is Outcome.FAIL and f.message for f in case.findings)


@pytest.mark.parametrize(("name", "failing", "warning"), CASES, ids=[c[0] for c in CASES])
def test_broken_anthropic_server_is_flagged_exactly(
    suite_run: RunAgainst, name: str, failing: set[str], warning: set[str]
) -> None:
    report = suite_run(
        broken(name, TEST_KEY), apis=frozenset({"anthropic"}), capabilities=ALL_CAPABILITIES
    )
    _check(report, failing, warning)


def test_bearer_only_auth_fails_every_success_case(suite_run: RunAgainst) -> None:
    report = suite_run(
        BearerOnly(TEST_KEY), apis=frozenset({"anthropic"}), capabilities=ALL_CAPABILITIES
    )
    # Errors still come back as 4xx in the right shape, but with 401 instead of 400/404.
    _check(report, SUCCESS, ERRORS_400 | ERRORS_404)
