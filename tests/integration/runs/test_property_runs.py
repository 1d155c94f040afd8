"""Property cases end to end: the reference passes, each broken server is flagged by exactly the
property case that can see its fault, and a replayed cassette gives the same findings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from llmconform.engine.plan import CORE_CAPABILITIES
from llmconform.model import Outcome, RunReport
from llmconform.reference.app import create_app
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.targets import open_target

from property_faults import BODY_FAULTS, MISTYPED_OPTIONS_IGNORED, broken_app
from support import TEST_KEY, RunAgainst, outcomes

PROPERTY_CASES = {"prop.valid_requests", "prop.invalid_requests"}
CAPS = CORE_CAPABILITIES | {"auth", "n"}

# fault -> (the case that fails, requirements it fails)
EXPECTED = {
    "crash_on_emoji_zwj": ("prop.valid_requests", {"PROP-001"}),
    "crash_on_invalid_utf8": ("prop.invalid_requests", {"PROP-003"}),
    "lossy_utf8_decoding": ("prop.invalid_requests", {"PROP-002"}),
    "detail_body_on_invalid_utf8": ("prop.invalid_requests", {"PROP-005"}),
    "crash_on_deep_nesting": ("prop.invalid_requests", {"PROP-003"}),
}


def test_the_reference_passes_both_properties(suite_run: RunAgainst) -> None:
    report = suite_run(create_app(api_key=TEST_KEY), keyword="prop", apis=frozenset({"openai"}))
    results = {c.case_id: c for c in report.cases}
    assert set(results) == PROPERTY_CASES
    for case in results.values():
        assert case.outcome is Outcome.PASS, [f.message for f in case.findings]
        assert len(case.exchanges) == 25
    assert sum(1 for e in results["prop.invalid_requests"].exchanges if e.status == 400) == 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_body_fault_is_flagged_by_exactly_one_property_case(
    suite_run: RunAgainst, name: str
) -> None:
    assert set(EXPECTED) == set(BODY_FAULTS)
    report = suite_run(broken_app(name, TEST_KEY), apis=frozenset({"openai"}), capabilities=CAPS)
    case_id, requirements = EXPECTED[name]
    assert outcomes(report, Outcome.ERROR) == set()
    assert outcomes(report, Outcome.FAIL) == {case_id}
    assert outcomes(report, Outcome.WARN) == set()
    (case,) = [c for c in report.cases if c.case_id == case_id]
    failing = [f for f in case.findings if f.outcome is Outcome.FAIL]
    assert {f.requirement for f in failing} == requirements
    assert all(f.path.startswith("sample[") and "request: " in f.message for f in failing)


def test_a_server_ignoring_mistyped_options_answers_200_to_invalid_input(
    suite_run: RunAgainst,
) -> None:
    app = broken_app(MISTYPED_OPTIONS_IGNORED.name, TEST_KEY)
    report = suite_run(app, apis=frozenset({"openai"}), capabilities=CAPS)
    # Lenient, not broken: it warns (PROP-004, SHOULD), like the fixed ERR-003 cases.
    assert "prop.invalid_requests" not in outcomes(report, Outcome.FAIL)
    (case,) = [c for c in report.cases if c.case_id == "prop.invalid_requests"]
    assert case.outcome is Outcome.WARN
    accepted = [f for f in case.findings if f.requirement == "PROP-004"]
    assert accepted and all("status 200" in f.message for f in accepted)


def _replay(cassette: Path, keyword: str) -> RunReport:
    request = RunSettings(target=f"replay:{cassette}", keyword=keyword, out_dir=cassette.parent)
    with open_target(request.target) as target:
        return execute_run(request, target, Console(file=io.StringIO()))


def _findings(report: RunReport) -> dict[str, list[tuple[str, str, str, int, str]]]:
    return {
        c.case_id: [(f.requirement, f.path, f.message, f.exchange, f.outcome) for f in c.findings]
        for c in report.cases
    }


def test_a_replayed_cassette_gives_the_same_findings(suite_run: RunAgainst, tmp_path: Path) -> None:
    cassette = tmp_path / "cassette.jsonl"
    live = suite_run(
        broken_app("crash_on_invalid_utf8", TEST_KEY),
        keyword="prop",
        apis=frozenset({"openai"}),
        record=cassette,
        out_dir=tmp_path,
    )
    assert outcomes(live, Outcome.FAIL) == {"prop.invalid_requests"}
    replayed = _replay(cassette, "prop")
    assert _findings(replayed) == _findings(live)
    # One case alone, by its id.
    alone = _replay(cassette, "prop.invalid_requests")
    assert _findings(alone) == {"prop.invalid_requests": _findings(live)["prop.invalid_requests"]}
