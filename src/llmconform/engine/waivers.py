"""Waivers and CI baselines (pure): known problems, kept apart.

- A waiver names a requirement, a reason and an expiry date. Until it expires, that
  requirement's failures show as WAIVED (as warnings) in every report, and any profile with
  a waived MUST requirement is not certified: a waiver never certifies. An expired waiver is
  ignored, and the report says so.
- A baseline lists case ids known to fail. It only changes the exit code: a run fails when a
  case fails that is not in the baseline, or when a baseline entry no longer fails (stale).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import yaml

from llmconform.model import CaseResult, Finding, Outcome, RunReport, worst
from llmconform.settings.yaml_text import load_user_yaml

_WAIVABLE = (Outcome.FAIL, Outcome.WARN)


def apply_waivers(
    cases: Sequence[CaseResult], waivers: Iterable[Mapping[str, Any]], today: dt.date
) -> tuple[list[CaseResult], list[dict[str, Any]]]:
    """Cases with waived findings turned into warnings, and each waiver's status."""
    status: list[dict[str, Any]] = []
    active: dict[str, dict[str, Any]] = {}
    for waiver in waivers:
        expired = dt.date.fromisoformat(str(waiver["expires"])) < today
        entry = {**waiver, "status": "expired" if expired else "unused"}
        status.append(entry)
        if not expired:
            active[str(waiver["requirement"])] = entry
    out: list[CaseResult] = []
    for case in cases:
        findings: list[Finding] = []
        changed = False
        for f in case.findings:
            w = active.get(f.requirement)
            if w is not None and f.outcome in _WAIVABLE:
                w["status"] = "applied"
                note = f"WAIVED ({w['reason']}; until {w['expires']}): "
                findings.append(replace(f, outcome=Outcome.WARN, message=note + f.message))
                changed = True
            else:
                findings.append(f)
        if changed and case.outcome is not Outcome.ERROR:
            case = replace(
                case, findings=tuple(findings), outcome=worst([f.outcome for f in findings])
            )
        out.append(case)
    return out, status


def waived_requirements(status: Iterable[Mapping[str, Any]]) -> set[str]:
    """Requirements whose failures a waiver actually covered in this run."""
    return {str(w["requirement"]) for w in status if w.get("status") == "applied"}


def failing_cases(report: RunReport) -> set[str]:
    """Case ids that failed (the unit a baseline records)."""
    return {c.case_id for c in report.cases if c.outcome is Outcome.FAIL}


def load_baseline(text: str, source: str = "baseline") -> set[str]:
    """The case ids a baseline file lists (`known_failures: [...]`)."""
    try:
        doc = load_user_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from None
    ids = doc.get("known_failures") if isinstance(doc, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError(f"{source}: expected 'known_failures:' with a list of case ids")
    return set(ids)


def dump_baseline(report: RunReport) -> str:
    """A baseline recording the run's failing cases."""
    lines = [
        "# Cases known to fail; a CI run passes while exactly these fail.",
        f"# Written from a run against {_comment(report.info.target)} "
        f"({_comment(report.info.model)}).",
        "known_failures:",
    ]
    lines += [f"  - {cid}" for cid in sorted(failing_cases(report))]
    return "\n".join(lines) + "\n"


def _comment(text: str, limit: int = 120) -> str:
    """Target text on one comment line: a model id is the target's to choose, and a line
    break in it would add lines (entries) to the baseline; escaped as in JSON, clipped."""
    flat = json.dumps(text)[1:-1]  # ASCII: line breaks, U+2028 and controls as escapes
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def compare_with_baseline(report: RunReport, known: set[str]) -> tuple[list[str], list[str]]:
    """(new failures, stale baseline entries) of a run against a baseline."""
    failing = failing_cases(report)
    ran = {c.case_id for c in report.cases if c.outcome is not Outcome.SKIP}
    new = sorted(failing - known)
    stale = sorted(cid for cid in known - failing if cid in ran)
    return new, stale
