"""engine.aggregate and engine.profiles: requirement outcomes, the verdict, exit codes, profiles."""

from __future__ import annotations

import pytest

from llmconform.engine.aggregate import build_report, exit_code, requirement_results, verdict
from llmconform.engine.profiles import judge_profile, judge_profiles, profile_names
from llmconform.model import (
    CaseResult,
    Finding,
    Level,
    Outcome,
    ProfileVerdict,
    Requirement,
    RequirementResult,
    RunInfo,
)

A = Requirement("A-1", Level.MUST, "a", "a must", profiles=("core", "extra"))
B = Requirement("B-1", Level.SHOULD, "b", "b should", profiles=("core",))
C = Requirement("C-1", Level.MUST, "c", "c must", profiles=("extra",))
D = Requirement("D-1", Level.MAY, "d", "d may")
REQS = {r.id: r for r in (A, B, C, D)}


def finding(req: Requirement, outcome: Outcome) -> Finding:
    return Finding(req.id, req.level, "chk", "msg", outcome)


def case(case_id: str, outcome: Outcome, covers: tuple[str, ...], *findings: Finding) -> CaseResult:
    return CaseResult(case_id, case_id, "openai-chat", outcome, findings, covers)


def by_id(results: list[RequirementResult]) -> dict[str, RequirementResult]:
    return {r.requirement.id: r for r in results}


def test_requirement_outcomes_fold_the_cases_that_covered_them() -> None:
    cases = [
        case("c1", Outcome.PASS, ("A-1", "B-1")),
        case("c2", Outcome.WARN, ("B-1",), finding(B, Outcome.WARN), finding(B, Outcome.WARN)),
        case("c3", Outcome.SKIP, ()),  # skipped cases cover nothing
    ]
    out = by_id(requirement_results(cases, REQS))
    assert list(out) == ["A-1", "B-1", "C-1", "D-1"]  # catalog order
    assert (out["A-1"].outcome, out["A-1"].cases, out["A-1"].findings) == (
        Outcome.PASS,
        ("c1",),
        0,
    )
    assert (out["B-1"].outcome, out["B-1"].cases, out["B-1"].findings) == (
        Outcome.WARN,
        ("c1", "c2"),
        2,
    )
    # Untested is never "pass".
    assert out["C-1"].outcome is Outcome.SKIP and out["C-1"].cases == ()
    assert out["D-1"].outcome is Outcome.SKIP


def test_an_errored_case_errors_the_requirements_it_had_no_finding_for() -> None:
    cases = [
        case("c1", Outcome.PASS, ("A-1", "B-1")),
        case("c2", Outcome.ERROR, ("A-1", "B-1"), finding(B, Outcome.FAIL)),
    ]
    out = by_id(requirement_results(cases, REQS))
    assert out["A-1"].outcome is Outcome.ERROR  # we do not know: the case broke
    assert out["B-1"].outcome is Outcome.FAIL  # a real finding says more than the error


def test_a_failure_anywhere_fails_the_requirement() -> None:
    cases = [
        case("c1", Outcome.FAIL, ("A-1",), finding(A, Outcome.FAIL)),
        case("c2", Outcome.PASS, ("A-1",)),
    ]
    assert by_id(requirement_results(cases, REQS))["A-1"].outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("outcomes", "complete", "expected"),
    [
        ([Outcome.PASS, Outcome.SKIP], True, Outcome.PASS),
        ([Outcome.PASS, Outcome.UNSUPPORTED], True, Outcome.PASS),
        ([Outcome.PASS, Outcome.WARN], True, Outcome.WARN),
        ([Outcome.WARN, Outcome.ERROR], True, Outcome.ERROR),
        ([Outcome.ERROR, Outcome.FAIL], True, Outcome.FAIL),  # a failure outranks an error
        ([Outcome.PASS], False, Outcome.ERROR),  # an incomplete run is not a pass
        ([Outcome.FAIL], False, Outcome.FAIL),
        ([], True, Outcome.SKIP),  # nothing tested is never a pass
        ([Outcome.SKIP, Outcome.SKIP], True, Outcome.SKIP),
        ([Outcome.UNSUPPORTED, Outcome.SKIP], True, Outcome.SKIP),
    ],
)
def test_verdict_order(outcomes: list[Outcome], complete: bool, expected: Outcome) -> None:
    cases = [case(f"c{i}", o, ()) for i, o in enumerate(outcomes)]
    assert verdict(cases, complete) is expected


def info(complete: bool = True) -> RunInfo:
    return RunInfo("0.0.0", "2025.1", "url", "m", "2025-01-01T00:00:00Z", complete=complete)


@pytest.mark.parametrize(
    ("outcome", "complete", "code"),
    [
        (Outcome.PASS, True, 0),
        (Outcome.WARN, True, 0),
        (Outcome.FAIL, True, 1),
        (Outcome.ERROR, True, 3),
        (Outcome.PASS, False, 3),
    ],
)
def test_exit_code(outcome: Outcome, complete: bool, code: int) -> None:
    report = build_report(info(complete), [case("c", outcome, ())], REQS)
    assert exit_code(report) == code


def test_build_report_counts_every_outcome_and_judges_profiles() -> None:
    cases = [
        case("c1", Outcome.PASS, ("A-1", "B-1", "C-1")),
        case("c2", Outcome.SKIP, ()),
        case("c3", Outcome.WARN, ("B-1",), finding(B, Outcome.WARN)),
    ]
    report = build_report(info(), cases, REQS)
    assert report.counts == {
        "pass": 1,
        "warn": 1,
        "fail": 0,
        "skip": 1,
        "unsupported": 0,
        "error": 0,
    }
    assert report.verdict is Outcome.WARN
    assert [p.name for p in report.profiles] == ["core", "extra"]
    assert {p.name: p.verdict for p in report.profiles} == {
        "core": ProfileVerdict.CERTIFIED,
        "extra": ProfileVerdict.CERTIFIED,
    }
    strict = build_report(info(), cases, REQS, strict=True, profiles=["core"])
    assert [(p.name, p.verdict) for p in strict.profiles] == [
        ("core", ProfileVerdict.NOT_CERTIFIED)
    ]


def rr(req: Requirement, outcome: Outcome) -> RequirementResult:
    return RequirementResult(req, outcome, ("c",) if outcome is not Outcome.SKIP else ())


def test_profile_names_in_first_seen_order() -> None:
    results = [rr(D, Outcome.PASS), rr(C, Outcome.PASS), rr(A, Outcome.PASS)]
    assert profile_names(results) == ["extra", "core"]


def test_certified_when_every_must_passed() -> None:
    results = [rr(A, Outcome.PASS), rr(B, Outcome.WARN), rr(C, Outcome.PASS)]
    core = judge_profile("core", results)
    assert core.verdict is ProfileVerdict.CERTIFIED
    assert (core.requirements, core.passed, core.warned, core.failing) == (2, 1, 1, ())
    assert core.reason == ""


def test_not_certified_on_a_failed_requirement() -> None:
    results = [rr(A, Outcome.FAIL), rr(B, Outcome.PASS), rr(C, Outcome.SKIP)]
    extra = judge_profile("extra", results)
    # A failure decides even though another MUST was not tested.
    assert extra.verdict is ProfileVerdict.NOT_CERTIFIED
    assert extra.failing == ("A-1",)
    assert (extra.failed, extra.skipped) == (1, 1)


def test_strict_turns_a_should_warning_into_not_certified() -> None:
    results = [rr(A, Outcome.PASS), rr(B, Outcome.WARN)]
    assert judge_profile("core", results).verdict is ProfileVerdict.CERTIFIED
    strict = judge_profile("core", results, strict=True)
    assert strict.verdict is ProfileVerdict.NOT_CERTIFIED
    assert strict.failing == ("B-1",)
    # The reason adds up with the columns: the requirement still reads "warn" (warned=1).
    assert (strict.failed, strict.warned) == (0, 1)
    assert strict.reason == "1 warning(s) failing under --strict"
    both = judge_profile("core", [rr(A, Outcome.FAIL), rr(B, Outcome.WARN)], strict=True)
    assert both.reason == "1 requirement(s) failed, 1 warning(s) failing under --strict"
    assert judge_profile("core", [rr(A, Outcome.FAIL)]).reason == "1 requirement(s) failed"


@pytest.mark.parametrize("untested", [Outcome.SKIP, Outcome.ERROR])
def test_inconclusive_when_a_must_is_untested_or_errored(untested: Outcome) -> None:
    results = [rr(A, Outcome.PASS), rr(C, untested)]
    extra = judge_profile("extra", results)
    assert extra.verdict is ProfileVerdict.INCONCLUSIVE
    assert "C-1" in extra.reason


def test_an_untested_should_does_not_block_certification() -> None:
    results = [rr(A, Outcome.PASS), rr(B, Outcome.SKIP)]
    assert judge_profile("core", results).verdict is ProfileVerdict.CERTIFIED


def test_inconclusive_when_the_run_is_incomplete() -> None:
    results = [rr(A, Outcome.PASS), rr(B, Outcome.PASS)]
    core = judge_profile("core", results, complete=False)
    assert core.verdict is ProfileVerdict.INCONCLUSIVE
    assert core.reason == "the run did not complete"
    # ... but a failure is still a failure.
    failed = judge_profile("core", [rr(A, Outcome.FAIL)], complete=False)
    assert failed.verdict is ProfileVerdict.NOT_CERTIFIED


def test_not_tested_when_nothing_of_the_profile_ran() -> None:
    results = [rr(A, Outcome.SKIP), rr(B, Outcome.SKIP), rr(C, Outcome.PASS)]
    core = judge_profile("core", results)
    assert core.verdict is ProfileVerdict.NOT_TESTED
    assert core.skipped == 2
    unknown = judge_profile("no-such-profile", results)
    assert (unknown.verdict, unknown.requirements) == (ProfileVerdict.NOT_TESTED, 0)


def test_judge_profiles_defaults_to_every_profile_and_honours_only() -> None:
    results = [rr(A, Outcome.PASS), rr(B, Outcome.PASS), rr(C, Outcome.FAIL)]
    verdicts = {p.name: p.verdict for p in judge_profiles(results)}
    assert verdicts == {"core": ProfileVerdict.CERTIFIED, "extra": ProfileVerdict.NOT_CERTIFIED}
    only = judge_profiles(results, only=["extra"])
    assert [p.name for p in only] == ["extra"]


def test_a_scoped_profile_is_judged_on_its_own_apis_cases() -> None:
    # A-1 is shared; "core" is scoped to openai-chat, "extra" spans every API.
    other = CaseResult(
        "o", "o", "openai-completions", Outcome.FAIL, (finding(A, Outcome.FAIL),), ("A-1",)
    )
    mine = case("m", Outcome.PASS, ("A-1", "B-1"))
    report = build_report(info(), [mine, other], REQS, profile_apis={"core": {"openai-chat"}})
    verdicts = {p.name: p for p in report.profiles}
    assert verdicts["core"].verdict is ProfileVerdict.CERTIFIED
    assert verdicts["extra"].failing == ("A-1",)  # unscoped: every case counts
    assert by_id(list(report.requirements))["A-1"].outcome is Outcome.FAIL  # the table: all


def test_strict_fails_a_should_warning_but_keeps_a_waived_finding_waived() -> None:
    # B is a SHOULD: its warning fails the run under --strict. A waiver on a requirement is a
    # dated, reasoned acceptance: the warning it leaves stays a warning under --strict too.
    warned = case("c1", Outcome.WARN, ("B-1",), finding(B, Outcome.WARN))
    assert build_report(info(), [warned], REQS, strict=True).verdict is Outcome.FAIL
    waived = build_report(info(), [warned], REQS, strict=True, waived={"B-1"})
    assert waived.verdict is Outcome.WARN
    assert build_report(info(), [warned], REQS).verdict is Outcome.WARN


def test_an_inconclusive_finding_outweighs_a_pass_for_its_requirement() -> None:
    # PERF-002's shape: a note (pass) beside "p99 gate inconclusive: n=0" (skip).
    undecided = case(
        "perf", Outcome.PASS, ("A-1",), finding(A, Outcome.PASS), finding(A, Outcome.SKIP)
    )
    out = by_id(requirement_results([undecided], REQS))
    assert out["A-1"].outcome is Outcome.SKIP and out["A-1"].cases == ("perf",)
    report = build_report(info(), [undecided, case("c", Outcome.PASS, ("C-1",))], REQS)
    extra = {p.name: p for p in report.profiles}["extra"]
    assert extra.verdict is ProfileVerdict.INCONCLUSIVE and "A-1" in extra.reason


def test_an_inconclusive_case_outweighs_another_case_that_passed_the_requirement() -> None:
    cases = [
        case("c1", Outcome.PASS, ("A-1",)),
        case("c2", Outcome.PASS, ("A-1",), finding(A, Outcome.SKIP)),
    ]
    assert by_id(requirement_results(cases, REQS))["A-1"].outcome is Outcome.SKIP


@pytest.mark.parametrize("decided", [Outcome.WARN, Outcome.FAIL, Outcome.ERROR])
def test_a_decided_problem_still_outweighs_an_inconclusive_finding(decided: Outcome) -> None:
    cases = [case("c", decided, ("A-1",), finding(A, Outcome.SKIP), finding(A, decided))]
    assert by_id(requirement_results(cases, REQS))["A-1"].outcome is decided
