"""Recompute a run's report from its cassette and compare it with the report (pure).

Every difference is returned as one line a person can act on. An empty list means the
report is exactly what the evidence and this edition's checks produce, over exactly the
cases its recorded options select: a case left out of both the report and the cassette is a
difference too, however consistent the rest looks.

What is compared, and with what:
- derived from the evidence (the cassette's exchanges, this edition's catalog and the run's
  recorded options), field by field: every case (title, API, outcome, reason, findings,
  requirements, exchange summaries, metrics), every requirement result (statement, level,
  outcome, cases, findings), every profile with its tallies, the counts, the verdict and
  the notes;
- recorded by the run in the cassette's header: the whole `info` (see `evidence.header`),
  and each case's `duration_ms` (`durations_ms`: a replay has no clock to measure it with).
  A cassette too old to record durations gets only well-formed ones (finite, not negative)
  accepted, and its report's `started_at`/`finished_at` only well-formed date-times;
- anything else a report holds (a key llmconform does not write) cannot be verified and is
  refused.
The order of `cases` is the order the run judged them in, which nothing records; the
requirement results list their cases in that same order, and are compared as listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from llmconform.catalog.loader import Catalog
from llmconform.engine.aggregate import build_report
from llmconform.engine.evaluate import evaluate, skipped, stopped_early_reason, strictly
from llmconform.engine.plan import skip_reason
from llmconform.engine.sdk_cases import absent_reason, sdk_of
from llmconform.engine.select import run_cases
from llmconform.engine.waivers import apply_waivers, waived_requirements
from llmconform.evidence.cassette import Cassette
from llmconform.evidence.compare import diff_json, well_formed_duration
from llmconform.evidence.header import info_diffs
from llmconform.model import CaseResult, Outcome, RunReport
from llmconform.report.json_report import to_dict
from llmconform.settings.run import read_options


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
    # A filter that cannot be parsed (FilterError) is no report a run wrote: the caller
    # says so as a usage error.
    expected = run_cases(catalog, apis, claimed, keyword)
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
    document: Mapping[str, Any] | None = None,
) -> list[str]:
    """Differences between `report` and what `cassette` yields under this edition's checks,
    over the cases the report's options select. `allow_filtered` accepts a `-k` run as the
    partial run it is; its cases are still checked against its filter. `document` (the
    report's JSON as read) is held to the form llmconform writes, so nothing it holds
    escapes the comparison."""
    info = report.info
    opts, diffs = read_options(info.options)  # an unknown key or a wrong type is a difference
    if document is not None:
        diffs += [
            f"field {line.lstrip('.')} (llmconform does not write it: it cannot be verified)"
            for line in diff_json("", document, to_dict(report))
        ]
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
    # capabilities (to hide cases as 'skipped'), another model, target or options was
    # edited afterwards.
    diffs += info_diffs(info, cassette.header, cassette_sha256)
    if opts.get("catalog_digest") == digest:  # another catalog selects other cases: said above
        diffs += _selection_diffs(report, catalog)

    recomputed, missing = _recompute_cases(report, cassette, catalog)
    diffs += missing
    stopped = stopped_early(cassette)
    failing = (Outcome.FAIL, Outcome.WARN) if opts.get("strict") else (Outcome.FAIL,)
    if stopped > 0 and sum(r.outcome in failing for r in recomputed) < stopped:
        diffs.append(
            f"the cassette says the run stopped after {stopped} failing case(s); "
            "its evidence holds fewer"
        )
    # The run's waivers, as recorded, apply again (their expiry was judged at run time).
    waivers, malformed = _waivers(opts.get("waivers") or [])
    diffs += malformed
    recorded_waivers = [w for w in waivers if w.get("status") != "expired"]
    recomputed, _ = apply_waivers(recomputed, recorded_waivers, dt.date.min)
    waived = waived_requirements(waivers)
    if opts.get("strict"):  # as the run judged its cases
        recomputed = [strictly(c, waived) for c in recomputed]

    rebuilt = build_report(
        info,
        recomputed,
        catalog.requirements,
        strict=bool(opts.get("strict")),
        profiles=_names(opts.get("profiles")) or None,
        waived=waived,
        profile_apis=catalog.profile_apis,
        case_requires={c.id: c.requires for c in catalog.cases.values()},
    )
    # Everything derived, field by field, in the JSON form the report was read from; `info`
    # was held to the cassette's header above.
    mine, theirs = to_dict(report), to_dict(rebuilt)
    for key in ("verdict", "counts", "profiles", "cases", "requirements", "notes"):
        diffs += diff_json(key, mine.get(key, []), theirs.get(key, []))
    return diffs


def stopped_early(cassette: Cassette) -> int:
    """After how many failing cases the recording run stopped sending (--max-failures), or 0."""
    stopped = cassette.header.get("stopped_early")
    return stopped if isinstance(stopped, int) and not isinstance(stopped, bool) else 0


_WAIVER_KEYS = {"requirement", "reason", "expires", "status"}
_WAIVER_STATUS = {"applied", "unused", "expired"}


def _waivers(raw: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The report's waivers that have the form a run writes, and a line for each other."""
    good: list[dict[str, Any]] = []
    diffs: list[str] = []
    for i, w in enumerate(raw):
        ok = isinstance(w, dict) and set(w) == _WAIVER_KEYS and w["status"] in _WAIVER_STATUS
        if ok:
            try:
                dt.date.fromisoformat(str(w["expires"]))
            except ValueError:
                ok = False
        if ok:
            good.append(w)
        else:
            diffs.append(f"info.options.waivers[{i}] is not a waiver as a run records it")
    return good, diffs


def _recompute_cases(
    report: RunReport, cassette: Cassette, catalog: Catalog
) -> tuple[list[CaseResult], list[str]]:
    """Each reported case as the evidence gives it (in the report's order), and the
    reported cases the evidence cannot give at all."""
    info = report.info
    header = cassette.header
    settings = header.get("settings") or {}
    capabilities = set(info.capabilities)
    sdks_missing = set(header.get("sdks_missing") or ())
    durations = header.get("durations_ms")
    stopped = stopped_early(cassette)
    diffs: list[str] = []
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
            if reason is None and stopped > 0:
                reason = stopped_early_reason(stopped)  # never sent: the run had stopped
            if reported.outcome is Outcome.SKIP and reason is not None:
                recomputed.append(skipped(case, reason))  # no evidence needed: not run
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
        # A replay has no clock to measure the case's span with: the run recorded it.
        if isinstance(durations, dict):
            duration = durations.get(case.id)
            if not isinstance(duration, int | float) or isinstance(duration, bool):
                diffs.append(f"case {case.id}: the cassette records no duration for it")
                duration = reported.duration_ms
        else:  # an older cassette: only a well-formed value is accepted
            duration = reported.duration_ms
            if not well_formed_duration(duration):
                diffs.append(f"case {case.id}: duration_ms {duration!r} is not a duration")
        recomputed.append(replace(result, duration_ms=float(duration)))
    return recomputed, diffs


def _names(value: object) -> list[str]:
    """A list of names from a report option; anything else (a crafted report) is none."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return []
