"""The accuracy profile end to end: scripted targets of known accuracy, and the reference server.

Each scripted run's expected decision is computed from the Wilson statistics on the exact counts
the script produces, and also stated outright, so a change to either side is caught.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.catalog.accuracy_sets import load_set
from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.plan import ALL_CAPABILITIES, CORE_CAPABILITIES
from llmconform.engine.select import selected
from llmconform.metrics.stats import decide, items_to_decide, wilson
from llmconform.model import Outcome, ProfileVerdict, RunReport
from llmconform.reference.app import create_app

from accuracy_scripted import scripted_app
from support import run_against

SETS = ("arithmetic", "sentiment", "json_schema", "tools", "instructions")


def _run(app: Any, keyword: str = "accuracy", **options: Any) -> RunReport:
    return run_against(
        app,
        profiles=("accuracy",),
        capabilities=options.pop("capabilities", frozenset(ALL_CAPABILITIES)),
        api_key=None,
        keyword=keyword,
        **options,
    )


def _by_case(report: RunReport) -> dict[str, Any]:
    return {c.case_id: c for c in report.cases}


def test_accuracy_cases_are_opt_in() -> None:
    catalog = load_catalog(known_checks=known_checks())
    cases = [c for c in catalog.cases.values() if c.id.startswith("accuracy.")]
    assert {c.id for c in cases} == {f"accuracy.{s}" for s in SETS}
    apis = frozenset({"openai"})
    for case in cases:
        assert not selected(case, catalog, apis, set())  # a plain run leaves them out
        assert not selected(case, catalog, apis, {"core"})
        assert selected(case, catalog, apis, {"accuracy"})


def test_a_model_right_on_every_item_passes_every_set() -> None:
    report = _run(scripted_app(lambda name, k: True))
    cases = _by_case(report)
    assert set(cases) == {f"accuracy.{s}" for s in SETS}
    for name in SETS:
        result = cases[f"accuracy.{name}"]
        m = result.metrics["accuracy"]
        n = len(load_set(name).items)
        assert result.outcome is Outcome.PASS, result.findings
        assert (m["successes"], m["answered"], m["decision"]) == (n, n, "pass")
        assert m["wilson95"][0] >= m["threshold"]
    assert cases["accuracy.sentiment"].metrics["accuracy"]["macro_f1"] == 1.0
    for result in cases.values():  # the report can carry the metrics as strict JSON
        json.dumps(result.metrics, allow_nan=False)
    (profile,) = report.profiles
    assert profile.verdict is ProfileVerdict.CERTIFIED


def test_a_model_right_on_thirty_percent_fails_every_set() -> None:
    report = _run(scripted_app(lambda name, k: k % 10 < 3))
    cases = _by_case(report)
    for name in SETS:
        aset = load_set(name)
        right = sum(1 for k in range(len(aset.items)) if k % 10 < 3)
        result = cases[f"accuracy.{name}"]
        m = result.metrics["accuracy"]
        assert m["successes"] == right
        assert decide(wilson(right, len(aset.items)), aset.threshold) == "fail"
        assert m["decision"] == "fail" and result.outcome is Outcome.FAIL
        (finding,) = [f for f in result.findings if f.outcome is Outcome.FAIL]
        assert finding.requirement == f"ACC-{_short(name)}-001"
        assert "below the threshold" in finding.message
    (profile,) = report.profiles
    assert profile.verdict is ProfileVerdict.NOT_CERTIFIED and len(profile.failing) == 5


def _short(name: str) -> str:
    return {
        "arithmetic": "ARITH",
        "sentiment": "SENT",
        "json_schema": "JSON",
        "tools": "TOOL",
        "instructions": "INSTR",
    }[name]


def test_a_rate_near_the_threshold_is_inconclusive_with_the_items_that_would_decide() -> None:
    # 52 of 60 right (86.7 %) against 0.85: the Wilson interval [0.758, 0.931] holds 0.85.
    # The other sets are answered right, so the profile as a whole hinges on this one.
    report = _run(scripted_app(lambda name, k: name != "arithmetic" or k % 8 != 0))
    result = _by_case(report)["accuracy.arithmetic"]
    m = result.metrics["accuracy"]
    assert (m["successes"], m["answered"]) == (52, 60)
    assert m["wilson95"][0] < 0.85 < m["wilson95"][1]
    more = items_to_decide(52, 60, 0.85)
    assert more is not None and more > 100 and m["items_to_decide"] == more
    assert result.outcome is Outcome.SKIP  # undecided is never a pass
    (finding,) = result.findings
    assert f"about {more} more items" in finding.message
    (profile,) = report.profiles
    assert profile.verdict is ProfileVerdict.INCONCLUSIVE and profile.passed == 4


def test_http_error_answers_count_as_wrong_and_are_reported() -> None:
    app = scripted_app(lambda name, k: True, status=lambda name, k: 500 if k < 20 else 200)
    (result,) = _run(app, keyword="accuracy.arithmetic").cases
    m = result.metrics["accuracy"]
    assert (m["successes"], m["answered"], m["http_errors"]) == (40, 60, 20)
    assert m["decision"] == decide(wilson(40, 60), 0.85) == "fail"
    assert any("20 items got an HTTP error answer" in f.message for f in result.findings)


@pytest.mark.parametrize("capabilities", [frozenset(ALL_CAPABILITIES), CORE_CAPABILITIES])
def test_the_echoing_reference_server_is_never_scored_as_passing(
    capabilities: frozenset[str],
) -> None:
    report = _run(create_app(), capabilities=capabilities)
    cases = _by_case(report)
    for name in SETS:
        result = cases[f"accuracy.{name}"]
        if name in ("json_schema", "tools") and capabilities == CORE_CAPABILITIES:
            assert result.outcome is Outcome.SKIP and "needs capability" in result.reason
            continue
        m = result.metrics["accuracy"]
        assert result.outcome is Outcome.FAIL and m["decision"] == "fail", name
        assert m["answered"] == len(load_set(name).items) and m["rate"] < 0.5
    # It echoes: arithmetic reads an operand, sentiment names every label, json is empty.
    wrong = cases["accuracy.arithmetic"].metrics["accuracy"]["wrong"][0]
    assert wrong["why"].startswith("read ")
    (profile,) = report.profiles
    assert profile.verdict is ProfileVerdict.NOT_CERTIFIED
