"""Per-profile certification verdicts (pure).

A profile is the set of requirements that name it. Its verdict:
- not-certified: a MUST requirement failed (with `strict`, a SHOULD warning counts too);
- inconclusive: nothing failed, but a MUST requirement was not tested, undecided (an
  inconclusive finding outweighs a pass: engine.aggregate.fold_requirement) or errored,
  or the run was incomplete — an incomplete run certifies nothing;
- not-tested: no requirement of the profile was tested;
- certified: every MUST requirement was tested and passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from llmconform.model import Level, Outcome, ProfileResult, ProfileVerdict, RequirementResult


def profile_names(results: Sequence[RequirementResult]) -> list[str]:
    """Every profile named by a requirement, in first-seen order."""
    return list(dict.fromkeys(p for r in results for p in r.requirement.profiles))


def judge_profile(
    name: str,
    results: Sequence[RequirementResult],
    *,
    strict: bool = False,
    complete: bool = True,
    waived: AbstractSet[str] = frozenset(),
) -> ProfileResult:
    """The verdict of profile `name` over the run's requirement results; a waived MUST
    requirement never certifies."""
    mine = [r for r in results if name in r.requirement.profiles]
    count = {o: sum(1 for r in mine if r.outcome is o) for o in Outcome}
    failing = tuple(
        r.requirement.id
        for r in mine
        if r.outcome is Outcome.FAIL or (strict and r.outcome is Outcome.WARN)
    )
    untested_must = [
        r.requirement.id
        for r in mine
        if r.requirement.level is Level.MUST and r.outcome in (Outcome.SKIP, Outcome.ERROR)
    ]
    # A requirement a case checked but could not decide (too few samples) is "skip" with
    # covering cases: tested, undecided. Only one no case covered is untested.
    tested = [r for r in mine if r.outcome is not Outcome.SKIP or r.cases]
    waived_must = [
        r.requirement.id
        for r in mine
        if r.requirement.id in waived and r.requirement.level is Level.MUST
    ]
    failing = tuple(dict.fromkeys([*failing, *waived_must]))
    if failing:
        # Worded to add up with the failed/warned columns: under --strict a requirement that
        # still reads "warn" fails the profile too, and is counted as such.
        failed_now = sum(
            1 for r in mine if r.requirement.id in failing and r.outcome is Outcome.FAIL
        )
        strict_warns = sum(
            1 for r in mine if r.requirement.id in failing and r.outcome is Outcome.WARN
        )
        others = len(failing) - failed_now - strict_warns
        parts = [f"{failed_now + others} requirement(s) failed"] if failed_now + others else []
        if strict_warns:
            parts.append(f"{strict_warns} warning(s) failing under --strict")
        verdict, reason = ProfileVerdict.NOT_CERTIFIED, ", ".join(parts)
        if waived_must:
            reason += f" (waived MUST: {', '.join(waived_must)}; a waiver never certifies)"
    elif not tested:
        verdict, reason = ProfileVerdict.NOT_TESTED, "no requirement of this profile was tested"
    elif untested_must:
        verdict = ProfileVerdict.INCONCLUSIVE
        reason = (
            f"MUST requirement(s) not tested, undecided or errored: {', '.join(untested_must[:5])}"
        )
    elif not complete:
        verdict, reason = ProfileVerdict.INCONCLUSIVE, "the run did not complete"
    else:
        verdict, reason = ProfileVerdict.CERTIFIED, ""
    return ProfileResult(
        name=name,
        verdict=verdict,
        requirements=len(mine),
        passed=count[Outcome.PASS],
        warned=count[Outcome.WARN],
        failed=count[Outcome.FAIL],
        skipped=count[Outcome.SKIP],
        errored=count[Outcome.ERROR],
        failing=failing,
        reason=reason,
    )


def judge_profiles(
    results: Sequence[RequirementResult],
    *,
    strict: bool = False,
    complete: bool = True,
    only: Sequence[str] | None = None,
    waived: AbstractSet[str] = frozenset(),
    scoped: Mapping[str, Sequence[RequirementResult]] | None = None,
) -> tuple[ProfileResult, ...]:
    """Verdicts for the claimed profiles (`only`), or for every profile; a profile in
    `scoped` is judged on those results (its own APIs' cases) instead of `results`."""
    names = list(only) if only else profile_names(results)
    scoped = scoped or {}
    return tuple(
        judge_profile(n, scoped.get(n, results), strict=strict, complete=complete, waived=waived)
        for n in names
    )
