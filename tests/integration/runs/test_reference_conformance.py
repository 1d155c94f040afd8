"""The reference server is the suite's first test subject: it must pass every case."""

from __future__ import annotations

from llmconform.engine.evaluate import RATE_REQUIREMENT, REUSE_REQUIREMENT
from llmconform.model import Outcome
from llmconform.reference.app import create_app

from support import TEST_KEY, RunAgainst

# Profiles whose cases are opt-in (they cost many requests): not part of a default run.
OPT_IN_PROFILES = {"performance", "accuracy"}


def test_reference_passes_every_case(suite_run: RunAgainst) -> None:
    restricted = "sk-restricted-reference-test-0123"
    report = suite_run(
        create_app(api_key=TEST_KEY, restricted_key=restricted),
        include_sdk=True,
        restricted_key=restricted,
    )
    assert report.info.complete
    bad = {
        c.case_id: [f.message for f in c.findings] or c.reason
        for c in report.cases
        if c.outcome is not Outcome.PASS
    }
    assert bad == {}
    assert len(report.cases) >= 30
    assert report.verdict is Outcome.PASS
    untested = [
        r.requirement.id
        for r in report.requirements
        if r.outcome is Outcome.SKIP
        and not set(r.requirement.profiles) & OPT_IN_PROFILES
        and r.requirement.id != RATE_REQUIREMENT  # tested only when a 429 is met
        and r.requirement.id != REUSE_REQUIREMENT  # only when a closed connection is met
    ]
    assert untested == []
    certified = {p.name for p in report.profiles if p.verdict.value == "certified"}
    assert certified == {p.name for p in report.profiles} - OPT_IN_PROFILES
