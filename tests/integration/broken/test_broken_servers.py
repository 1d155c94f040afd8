"""Each deliberately broken server is flagged by exactly the cases that test what it breaks."""

from __future__ import annotations

import pytest

from llmconform.engine.plan import CORE_CAPABILITIES
from llmconform.model import Outcome

from broken_servers import BrokenApp, Fault
from chat_faults import CASES
from support import TEST_KEY, RunAgainst, outcomes


@pytest.mark.parametrize(("fault", "failing", "warning"), CASES, ids=[c[0].name for c in CASES])
def test_broken_server_is_flagged_by_exactly_the_expected_cases(
    suite_run: RunAgainst, fault: Fault, failing: set[str], warning: set[str]
) -> None:
    # Only the chat core: the faults wrap every endpoint, and other APIs and optional
    # features have their own broken-server tests.
    report = suite_run(
        BrokenApp(fault, TEST_KEY),
        apis=frozenset({"openai"}),
        capabilities=CORE_CAPABILITIES | {"auth", "n"},
    )
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == failing
    assert outcomes(report, Outcome.WARN) == warning
    assert report.verdict is (Outcome.FAIL if failing else Outcome.WARN)
    for case in report.cases:
        if case.case_id in failing:
            assert any(f.outcome is Outcome.FAIL and f.message for f in case.findings)
