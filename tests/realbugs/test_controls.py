"""Negative controls: spec-legal variations of the reference produce no finding at all."""

from __future__ import annotations

import pytest

from llmconform.model import Outcome

from controls import CONTROLS, Control
from mutant_kit import findings
from support import TEST_KEY, run_against

PAIRS = [(c, f) for c in CONTROLS for f in c.families]


@pytest.mark.parametrize(("control", "family"), PAIRS, ids=[f"{c.name}-{f}" for c, f in PAIRS])
def test_a_spec_legal_variation_is_no_finding(control: Control, family: str) -> None:
    report = run_against(control.app(TEST_KEY), apis=frozenset({family}))
    assert report.cases
    bad = {
        (c.case_id, f.requirement, f.message[:120])
        for c in report.cases
        for f in c.findings
        if f.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR)
    }
    assert bad == set()
    assert findings(report, Outcome.FAIL) == frozenset()
