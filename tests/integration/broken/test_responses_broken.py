"""Each deliberately broken Responses server is flagged by exactly the expected cases."""

from __future__ import annotations

import pytest

from llmconform.model import Outcome
from llmconform.reference.app import create_app

from broken_servers import BrokenApp, Fault
from responses_faults import FAULTS
from support import TEST_KEY, RunAgainst, outcomes

CAPABILITIES = frozenset(
    {
        "responses",
        "streaming",
        "tools",
        "vision",
        "previous_response_id",
        "responses_compact",
        "auth",
    }
)


def test_reference_passes_every_responses_case(suite_run: RunAgainst) -> None:
    report = suite_run(
        create_app(api_key=TEST_KEY), apis=frozenset({"responses"}), capabilities=CAPABILITIES
    )
    bad = {
        c.case_id: [f.message for f in c.findings]
        for c in report.cases
        if c.outcome is not Outcome.PASS
    }
    assert bad == {}
    assert len(report.cases) >= 30
    assert all(c.api == "open-responses" for c in report.cases)
    covered = {r.requirement.id for r in report.requirements if r.outcome is not Outcome.SKIP}
    declared = {
        r.requirement.id for r in report.requirements if r.requirement.id.startswith("RESP-")
    }
    assert declared and declared <= covered


@pytest.mark.parametrize(("fault", "failing", "warning"), FAULTS, ids=[f[0].name for f in FAULTS])
def test_broken_responses_server_is_flagged_by_exactly_the_expected_cases(
    suite_run: RunAgainst, fault: Fault, failing: set[str], warning: set[str]
) -> None:
    report = suite_run(
        BrokenApp(fault, TEST_KEY), apis=frozenset({"responses"}), capabilities=CAPABILITIES
    )
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == failing
    assert outcomes(report, Outcome.WARN) == warning
    for case in report.cases:
        if case.case_id in failing:
            assert any(f.outcome is Outcome.FAIL and f.message for f in case.findings)
