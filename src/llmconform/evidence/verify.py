"""Recompute a run's verdicts from its cassette and compare them with its report (pure).

Every difference is returned as one line a person can act on. An empty list means the
report is exactly what the evidence and this edition's checks produce, over exactly the
cases its recorded options select: a case left out of both the report and the cassette is a
difference too, however consistent the rest looks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from llmconform.catalog.loader import Catalog
from llmconform.engine.aggregate import build_report
from llmconform.engine.evaluate import evaluate, strictly
from llmconform.engine.plan import skip_reason
from llmconform.engine.sdk_cases import absent_reason, sdk_of
from llmconform.engine.select import FilterError, run_cases
from llmconform.engine.waivers import apply_waivers, waived_requirements
from llmconform.evidence.cassette import Cassette
from llmconform.model import CaseResult, Finding, Outcome, RunReport
from llmconform.settings.run import read_options


def _finding_key(f: Finding) -> tuple[str, str, str, str, str]:
    return (f.requirement, f.check, f.outcome.value, f.path, f.message)


def _compare_case(reported: CaseResult, recomputed: CaseResult) -> list[str]:
    diffs: list[str] = []
    if reported.outcome is not recomputed.outcome:
        diffs.append(
            f"case {reported.case_id}: report says {reported.outcome.value}, the "
            f"evidence gives {recomputed.outcome.value}"
        )
    mine = sorted(_finding_key(f) for f in reported.findings)
    theirs = sorted(_finding_key(f) for f in recomputed.findings)
    if mine != theirs:
        diffs.append(
            f"case {reported.case_id}: findings differ from the evidence "
            f"({len(mine)} reported, {len(theirs)} recomputed)"
        )
    return diffs


def _selection_diffs(report: RunReport, catalog: Catalog) -> list[str]:
    """The cases the report's own options select (APIs, claimed profiles, `-k`), derived by
    the run's selection code, against the cases it lists: each one missing, extra or repeated.

    Without this, removing a failing case from both the report and the cassette (and fixing
    the hash and verdicts) would leave nothing to compare it with."""
    opts, _ = read_options(report.info.options)  # type problems are reported by verify_report
    apis = opts.get("apis")
    if not isinstance(apis, list) or not apis:
        return ["the report does not record the APIs it tested: its set of cases cannot be checked"]
    keyword, claimed = opts.get("filter"), opts.get("profiles") or []
    if (
        not isinstance(keyword, str | None)
        or not isinstance(claimed, list)
        or not all(isinstance(p, str) for p in claimed)
    ):
        return ["the report's filter or profiles are malformed: its set of cases cannot be checked"]
    try:
        expected = run_cases(catalog, apis, claimed, keyword)
    except FilterError as exc:
        return [f"the report's filter cannot be applied: {exc}"]
    diffs: list[str] = []
    reported = [c.case_id for c in report.cases]
    seen: set[str] = set()
    for case_id in reported:
        if case_id in seen:
            diffs.append(f"case {case_id} is in the report more than once")
        seen.add(case_id)
    expected_ids = {c.id for c in expected}
    for case in expected:
        if case.id not in seen:
            diffs.append(
                f"case {case.id} is missing from the report (the run's APIs, profiles and "
                "filter select it)"
            )
    for case_id in sorted(seen - expected_ids):
        if case_id in catalog.cases:  # an unknown id is reported as such below
            diffs.append(
                f"case {case_id} is in the report but the run's APIs, profiles and filter "
                "do not select it"
            )
    return diffs


def verify_report(
    report: RunReport,
    cassette: Cassette,
    catalog: Catalog,
    edition: str,
    *,
    cassette_sha256: str | None = None,
    allow_filtered: bool = False,
) -> list[str]:
    """Differences between `report` and what `cassette` yields under this edition's checks,
    over the cases the report's options select. `allow_filtered` accepts a `-k` run as the
    partial run it is; its cases are still checked against its filter."""
    info = report.info
    opts, diffs = read_options(info.options)  # an unknown key or a wrong type is a difference
    if info.edition != edition:
        diffs.append(
            f"the report is for edition {info.edition}; this llmconform implements "
            f"{edition}: verify it with the matching llmconform version"
        )
    digest = catalog.digest()
    if opts.get("catalog_digest") != digest:
        diffs.append("the report's catalog digest differs from this edition's requirement set")
    if cassette.header.get("catalog_digest") != opts.get("catalog_digest"):
        diffs.append("the cassette was recorded with a different catalog than the report names")
    recorded = (opts.get("cassette") or {}).get("sha256")
    if recorded is None:
        diffs.append("the report names no cassette hash: the evidence cannot be tied to it")
    elif cassette_sha256 is not None and recorded != cassette_sha256:
        diffs.append(
            "the cassette's content hash differs from the one in the report "
            "(the cassette or the report was changed)"
        )
    if opts.get("filter") and not allow_filtered:
        diffs.append(
            f"the run was filtered (-k {opts['filter']!r}): it does not cover the "
            "edition (pass --allow-filtered to verify it as a partial run)"
        )
    if not info.complete:
        diffs.append("the run is marked incomplete")
    # The cassette's header was written by the run itself: a report claiming other
    # capabilities (to hide cases as 'skipped') or another model was edited afterwards.
    recorded_caps = cassette.header.get("capabilities")
    if recorded_caps is not None and sorted(recorded_caps) != sorted(info.capabilities):
        diffs.append(
            f"the report claims capabilities {sorted(info.capabilities)}, the cassette was "
            f"recorded with {sorted(recorded_caps)}"
        )
    recorded_model = cassette.header.get("model")
    if recorded_model is not None and recorded_model != info.model:
        diffs.append(
            f"the report names model {info.model!r}, the cassette was recorded with "
            f"{recorded_model!r}"
        )
    if opts.get("catalog_digest") == digest:  # another catalog selects other cases: said above
        diffs += _selection_diffs(report, catalog)

    settings = cassette.header.get("settings") or {}
    capabilities = set(info.capabilities)
    sdks_missing = set(cassette.header.get("sdks_missing") or ())
    recomputed: list[CaseResult] = []
    reported_ids = [c.case_id for c in report.cases]
    for extra in sorted(set(cassette.cases) - set(reported_ids)):
        diffs.append(f"case {extra} is in the evidence but missing from the report")
    for reported in report.cases:
        case = catalog.cases.get(reported.case_id)
        if case is None:
            diffs.append(f"case {reported.case_id} is not part of this edition")
            continue
        captures = cassette.cases.get(case.id)
        if captures is None:
            reason = skip_reason(case, capabilities)
            sdk = sdk_of(case)
            if reason is None and sdk is not None and sdk in sdks_missing:
                reason = absent_reason(sdk)  # the recording run had no such SDK installed
            if reported.outcome is Outcome.SKIP and reason is not None:
                recomputed.append(reported)  # skipped for an undeclared capability: no evidence
                continue
            diffs.append(
                f"case {case.id} ({reported.outcome.value}) has no evidence in the cassette"
            )
            continue
        if any(c.cut for c in captures):
            # Cut for the run's evidence budget (oversized answers): judged whole at run
            # time, it cannot be judged again; the run said so in the cassette.
            recomputed.append(reported)
            continue
        result = evaluate(case, captures, catalog.requirements, info.model, settings)
        recomputed.append(replace(result, duration_ms=reported.duration_ms))

    # The run's waivers, as recorded, apply again (their expiry was judged at run time).
    recorded_waivers = [w for w in opts.get("waivers") or [] if w.get("status") != "expired"]
    recomputed, _ = apply_waivers(recomputed, recorded_waivers, dt.date.min)
    if opts.get("strict"):  # as the run judged its cases
        waived = waived_requirements(opts.get("waivers") or [])
        recomputed = [strictly(c, waived) for c in recomputed]
    by_id = {c.case_id: c for c in recomputed}
    for reported in report.cases:
        if reported.case_id in by_id:
            diffs += _compare_case(reported, by_id[reported.case_id])

    rebuilt = build_report(
        info,
        recomputed,
        catalog.requirements,
        strict=bool(opts.get("strict")),
        profiles=_names(opts.get("profiles")) or None,
        waived=waived_requirements(opts.get("waivers") or []),
        profile_apis=catalog.profile_apis,
        case_requires={c.id: c.requires for c in catalog.cases.values()},
    )
    if rebuilt.verdict is not report.verdict:
        diffs.append(
            f"verdict: report says {report.verdict.value}, the evidence gives "
            f"{rebuilt.verdict.value}"
        )
    mine = {p.name: p.verdict for p in report.profiles}
    theirs = {p.name: p.verdict for p in rebuilt.profiles}
    for name in sorted(set(mine) | set(theirs)):
        if mine.get(name) != theirs.get(name):
            diffs.append(
                f"profile {name}: report says {mine.get(name)}, the evidence gives "
                f"{theirs.get(name)}"
            )
    return diffs


def _names(value: object) -> list[str]:
    """A list of names from a report option; anything else (a crafted report) is none."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return []
