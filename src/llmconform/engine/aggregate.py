"""Fold case results into a run report (pure): per-requirement outcomes and the verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from llmconform.checks.openai.stream import EARLY_END
from llmconform.engine.evaluate import strictly
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

# What an inconclusive finding (outcome `skip`: the evidence could not decide) overrides.
_UNDECIDED_OVER = frozenset({Outcome.PASS, Outcome.UNSUPPORTED})


def fold_requirement(outcomes: Sequence[Outcome], default: Outcome = Outcome.PASS) -> Outcome:
    """One requirement's outcome from its findings (or its cases' outcomes for it).

    The worst wins, except that an undecided finding (`skip`, e.g. "p99 gate inconclusive:
    n=0") is never outweighed by a pass or a note: a requirement whose evidence was
    insufficient somewhere is undecided, so a MUST stays uncertified. A warning, failure or
    error still outranks it (those were decided, or broke)."""
    found = worst(list(outcomes), default=default)
    if Outcome.SKIP in outcomes and found in _UNDECIDED_OVER:
        return Outcome.SKIP
    return found


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
                outcomes.append(fold_requirement([f.outcome for f in mine]))
        outcome = fold_requirement(outcomes, default=Outcome.SKIP) if case_ids else Outcome.SKIP
        out.append(RequirementResult(req, outcome, tuple(case_ids), nfind))
    return out


def verdict(cases: Sequence[CaseResult], complete: bool = True, strict: bool = False) -> Outcome:
    """FAIL on any failure (with `strict`, on any warning too); else ERROR if anything broke
    or the run stopped; else SKIP when nothing was tested (every case skipped, or none);
    else WARN/PASS. A run that tested nothing is never a pass."""
    outcomes = {c.outcome for c in cases}
    if Outcome.FAIL in outcomes or (strict and Outcome.WARN in outcomes):
        return Outcome.FAIL
    if Outcome.ERROR in outcomes or not complete:
        return Outcome.ERROR
    if not outcomes - {Outcome.SKIP, Outcome.UNSUPPORTED}:
        return Outcome.SKIP  # skipped or declined: no requirement was verified
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
    case_requires: Mapping[str, Sequence[str]] | None = None,
) -> RunReport:
    """The run report renderers consume; `profiles` are the claimed ones (default: all).

    A profile in `profile_apis` is judged on the requirement outcomes of its APIs' cases
    only; the report's requirement table stays over every case. With `strict`, every warning
    is a failure: of its case, its requirements, its profiles and the run. `case_requires`
    (case id -> the capabilities it needs) lets the notes name the `--capability` flags
    that would run an API whose cases were all skipped."""
    if strict:
        cases = [strictly(c, waived) for c in cases]
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
        verdict=verdict(cases, info.complete),  # strictly() has judged the warnings already
        counts={o.value: counts.get(o.value, 0) for o in Outcome},
        profiles=judge_profiles(
            req_results,
            strict=strict,
            complete=info.complete,
            only=profiles,
            waived=waived,
            scoped=scoped,
        ),
        notes=tuple(verdict_notes(cases, info.capabilities, case_requires or {}, strict=strict)),
    )


def verdict_notes(
    cases: Sequence[CaseResult],
    capabilities: Sequence[str],
    case_requires: Mapping[str, Sequence[str]],
    *,
    strict: bool = False,
) -> list[str]:
    """Why the verdict reads as it does, for the renderers to print beside it."""
    notes: list[str] = []
    if strict:
        notes.append("strict: every SHOULD warning counts as a failure (--strict)")
    if not any(c.outcome is not Outcome.SKIP for c in cases):
        notes.append(
            f"nothing was tested: all {len(cases)} case(s) were skipped"
            if cases
            else "nothing was tested: no case was selected"
        )
    early = [c.case_id for c in cases if any(EARLY_END in f.message for f in c.findings)]
    if early:
        notes.append(
            f"{len(early)} case(s) got streams that {EARLY_END.removeprefix('the stream ')} "
            f"(no output, no finish_reason), e.g. {early[0]}: if the run used --concurrency "
            "above 1, rerun them with --concurrency 1; some servers interrupt a running "
            "generation when another request arrives"
        )
    declared = set(capabilities)
    by_api: dict[str, list[CaseResult]] = {}
    for case in cases:
        by_api.setdefault(case.api, []).append(case)
    for api, mine in by_api.items():
        if any(c.outcome is not Outcome.SKIP for c in mine):
            continue
        missing = [[r for r in case_requires.get(c.case_id, ()) if r not in declared] for c in mine]
        if not all(missing):
            continue  # some were skipped for another reason (an SDK not installed, …)
        # The capabilities every case lacks (the API's own, e.g. `responses`) run them;
        # failing that, the union of what they lack.
        common = [r for r in missing[0] if all(r in m for m in missing[1:])]
        flags = common or list(dict.fromkeys(r for m in missing for r in m))
        hint = " ".join(f"--capability {r}" for r in flags)
        notes.append(
            f"{api}: all {len(mine)} case(s) were skipped for undeclared capabilities; "
            f"add {hint} to run them"
        )
    return notes


def exit_code(report: RunReport) -> ExitCode:
    """0 conformant (warnings allowed), 1 conformance failures (with --strict, warnings too),
    3 could not complete, 5 nothing was tested."""
    if report.verdict is Outcome.FAIL:
        return ExitCode.FAILURES
    if report.verdict is Outcome.ERROR:
        return ExitCode.COULD_NOT_RUN
    if report.verdict is Outcome.SKIP:
        return ExitCode.NOTHING_TESTED
    return ExitCode.OK
