"""Fold case results into a run report (pure): per-requirement outcomes and the verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from llmconform.engine.profiles import judge_profiles
from llmconform.errors import ExitCode
from llmconform.model import (
    CaseResult,
    Outcome,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
    worst,
)


def requirement_results(
    cases: Sequence[CaseResult], requirements: Mapping[str, Requirement]
) -> list[RequirementResult]:
    """Each requirement's outcome: the worst over the cases that checked it.

    A requirement no executed case covered is `skip` (not tested), never `pass`.
    """
    # Indexed once: scanning every case for every requirement cost 4 ms a run.
    checked_by: dict[str, list[CaseResult]] = {}
    for case in cases:
        for rid in dict.fromkeys(case.requirements):
            checked_by.setdefault(rid, []).append(case)
    out: list[RequirementResult] = []
    for req in requirements.values():
        outcomes: list[Outcome] = []
        case_ids: list[str] = []
        nfind = 0
        for case in checked_by.get(req.id, ()):
            case_ids.append(case.case_id)
            mine = [f for f in case.findings if f.requirement == req.id]
            nfind += len(mine)
            if case.outcome is Outcome.ERROR and not mine:
                outcomes.append(Outcome.ERROR)
            else:
                outcomes.append(worst([f.outcome for f in mine]))
        outcome = worst(outcomes, default=Outcome.SKIP) if case_ids else Outcome.SKIP
        out.append(RequirementResult(req, outcome, tuple(case_ids), nfind))
    return out


def verdict(cases: Sequence[CaseResult], complete: bool = True) -> Outcome:
    """FAIL on any failure; else ERROR if anything broke or the run stopped; else WARN/PASS."""
    outcomes = {c.outcome for c in cases}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    if Outcome.ERROR in outcomes or not complete:
        return Outcome.ERROR
    if Outcome.WARN in outcomes:
        return Outcome.WARN
    return Outcome.PASS


def build_report(
    info: RunInfo,
    cases: Sequence[CaseResult],
    requirements: Mapping[str, Requirement],
    *,
    strict: bool = False,
    profiles: Sequence[str] | None = None,
    waived: AbstractSet[str] = frozenset(),
    profile_apis: Mapping[str, AbstractSet[str]] | None = None,
) -> RunReport:
    """The run report renderers consume; `profiles` are the claimed ones (default: all).

    A profile in `profile_apis` is judged on the requirement outcomes of its APIs' cases
    only; the report's requirement table stays over every case."""
    counts = Counter(c.outcome.value for c in cases)
    req_results = tuple(requirement_results(cases, requirements))
    scoped = {
        name: requirement_results([c for c in cases if c.api in apis], requirements)
        for name, apis in (profile_apis or {}).items()
    }
    return RunReport(
        info=info,
        cases=tuple(cases),
        requirements=req_results,
        verdict=verdict(cases, info.complete),
        counts={o.value: counts.get(o.value, 0) for o in Outcome},
        profiles=judge_profiles(
            req_results,
            strict=strict,
            complete=info.complete,
            only=profiles,
            waived=waived,
            scoped=scoped,
        ),
    )


def exit_code(report: RunReport) -> ExitCode:
    """0 conformant (warnings allowed), 1 conformance failures, 3 could not complete."""
    if report.verdict is Outcome.FAIL:
        return ExitCode.FAILURES
    if report.verdict is Outcome.ERROR:
        return ExitCode.COULD_NOT_RUN
    return ExitCode.OK
