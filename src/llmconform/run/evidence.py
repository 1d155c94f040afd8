"""The evidence files a run writes next to its reports: the cassette of every exchange, and a
cassette of the failing property-based examples alone (replayable with `-k CASE`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llmconform import EDITION, __version__
from llmconform.evidence import cassette
from llmconform.model import Capture, CaseResult, Outcome
from llmconform.pytest.conformance_run import ConformanceRun
from llmconform.transport.targets import OpenTarget

__all__ = ["PROPERTY_TAG", "record_cassette", "record_failing_examples"]

PROPERTY_TAG = "property"  # property-based cases (engine/properties.py)


def record_cassette(
    path: Path,
    plugin: ConformanceRun,
    target: OpenTarget,
    model: str,
    redact_headers: frozenset[str] = frozenset(),
    apis: AbstractSet[str] = frozenset(),
    stated: Mapping[str, Any] | None = None,
    results: Sequence[CaseResult] = (),
) -> dict[str, str]:
    """Write every exchange of the run (redacted) to `path`; returns its name and hash.
    `apis` (the families the run tested) lets a replay test the same ones. `stated` (the
    report's times, completeness and options) and the `results`' durations are what the
    report will say that no exchange shows: recorded here, `verify` holds the report to them."""
    order = [cid for cid in plugin.catalog.cases if cid in plugin.captures]
    header: dict[str, Any] = {
        "edition": EDITION,
        "llmconform_version": __version__,
        "catalog_digest": plugin.catalog.digest(),
        "target": target.label,
        "model": model,
        "capabilities": sorted(plugin.capabilities),
        "settings": plugin.settings,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    header.update(stated or {})
    if results:
        header["durations_ms"] = {r.case_id: r.duration_ms for r in results}
    if apis:
        header["apis"] = sorted(apis)
    if plugin.missing_sdks:  # their cases were skipped, so the cassette has no exchange
        header["sdks_missing"] = sorted(plugin.missing_sdks)
    if plugin.stopped_early:  # cases left unsent after --max-failures N: no exchange either
        header["stopped_early"] = plugin.options.max_failures
    secrets = tuple(k for k in (target.api_key, plugin.restricted_key) if k)
    cases = {cid: plugin.captures[cid] for cid in order}
    digest = cassette.write(
        path,
        header,
        cases,
        secrets,
        frozenset(h.lower() for h in redact_headers),
        plugin.options.limits.evidence_bytes,
    )
    return {"path": path.name, "sha256": digest}


def record_failing_examples(
    path: Path, plugin: ConformanceRun, results: list[CaseResult], target: OpenTarget
) -> dict[str, str]:
    """Save the failing samples of property cases alone, as a cassette of their own, so that
    `--target replay:PATH -k CASE` replays just those examples. Empty when none failed."""
    failing: dict[str, list[Capture]] = {}
    for result in results:
        case = plugin.catalog.cases.get(result.case_id)
        if case is None or PROPERTY_TAG not in case.tags:
            continue
        bad = sorted(
            {f.exchange for f in result.findings if f.outcome in (Outcome.FAIL, Outcome.WARN)}
        )
        captures = plugin.captures.get(case.id, [])
        if bad:
            failing[case.id] = [captures[i] for i in bad if i < len(captures)]
    if not failing:
        return {}
    header = {
        "edition": EDITION,
        "catalog_digest": plugin.catalog.digest(),
        "target": target.label,
        "model": plugin.model,
        "capabilities": sorted(plugin.capabilities),
        "settings": plugin.settings,
        "note": "failing property-based examples only",
    }
    secrets = tuple(k for k in (target.api_key, plugin.restricted_key) if k)
    return {"path": path.name, "sha256": cassette.write(path, header, failing, secrets)}
