"""What every renderer leads with: failures grouped by requirement, reproductions, latency gates.

Pure selection and formatting over a `RunReport`: outcomes were decided by the engine, and
nothing here changes one. Text from the target stays untrusted; each renderer escapes it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from typing import Any

from llmconform.model import (
    CaseResult,
    ExchangeSummary,
    Finding,
    Level,
    Outcome,
    ProfileResult,
    ProfileVerdict,
    RequirementResult,
    RunReport,
)

__all__ = [
    "KEY_VARIABLE",
    "FailureGroup",
    "LatencyGate",
    "curl_command",
    "failure_groups",
    "latency_gates",
    "skip_actions",
    "strict_failures",
    "untested_profiles",
]

# The reproduction names the key by this variable, never by value.
KEY_VARIABLE = "$LLMCONFORM_API_KEY"
BASE_VARIABLE = "$LLMCONFORM_BASE_URL"  # for targets without a URL (asgi:, replay:)
_BAD_KEY = "llmconform-invalid-key"
# Requirement id -> the metric and threshold names of its latency gate (checks/perf.py).
_GATES = (("PERF-001", "TTFT", "ttft"), ("PERF-002", "TPOT", "tpot"))


@dataclass(frozen=True)
class FailureGroup:
    """A failed (or warned) requirement and the cases that show it, with their findings."""

    result: RequirementResult
    cases: tuple[tuple[CaseResult, tuple[Finding, ...]], ...]

    @property
    def first(self) -> tuple[CaseResult, Finding] | None:
        """The first case and finding, whose exchange is shown as the evidence."""
        if not self.cases:
            return None
        case, findings = self.cases[0]
        return case, findings[0]


def failure_groups(report: RunReport, outcome: Outcome = Outcome.FAIL) -> list[FailureGroup]:
    """The requirements whose outcome is `outcome`, MUSTs first, each with its showing cases.

    A case is listed only when it has a finding of that outcome for the requirement, so
    "N cases" counts the cases that show the problem, not every case that checked it.
    """
    by_id = {c.case_id: c for c in report.cases}
    groups = []
    for rr in report.requirements:
        if rr.outcome is not outcome:
            continue
        shown = []
        for case_id in rr.cases:
            case = by_id.get(case_id)
            if case is None:
                continue
            mine = tuple(
                f
                for f in case.findings
                if f.requirement == rr.requirement.id and f.outcome is outcome
            )
            if mine:
                shown.append((case, mine))
        groups.append(FailureGroup(rr, tuple(shown)))
    order = {Level.MUST: 0, Level.SHOULD: 1, Level.MAY: 2}
    groups.sort(key=lambda g: (order[g.result.requirement.level], -len(g.cases)))
    return groups


def strict_failures(report: RunReport) -> int:
    """How many failed requirements are SHOULDs, failing only because the run is --strict."""
    if not report.info.options.get("strict"):
        return 0
    return sum(
        1
        for rr in report.requirements
        if rr.outcome is Outcome.FAIL and rr.requirement.level is Level.SHOULD
    )


def _split_excerpt(excerpt: str) -> tuple[str, str, str]:
    """`POST /path {body}` -> method, path, body (as the engine's request excerpt writes it)."""
    method, _, rest = excerpt.partition(" ")
    path, _, body = rest.partition(" ")
    return method, path, body


def curl_command(target: str, ex: ExchangeSummary) -> str | None:
    """A shell command that replays `ex` against `target`; None when it cannot be rebuilt.

    The key is written as `$LLMCONFORM_API_KEY`, so the command holds no secret; a request
    sent with a deliberately invalid key uses a made-up one, and one sent without a key has
    no auth header. A body the excerpt cut off (not valid JSON any more) gives None.
    """
    method, path, body = _split_excerpt(ex.request_excerpt)
    if not method or not path.startswith("/"):
        return None
    if target.startswith(("http://", "https://")):
        url = shlex.quote(target.rstrip("/") + path)
    else:  # an in-process or replayed target has no URL: the user supplies the base URL
        url = f'"{BASE_VARIABLE}"' + shlex.quote(path)
    parts = ["curl", "-sS", "-N", "-X", method, url]
    if ex.auth != "none":
        key = _BAD_KEY if ex.auth == "invalid" else KEY_VARIABLE
        header = (
            f"x-api-key: {key}" if ex.auth_scheme == "x-api-key" else f"Authorization: Bearer {key}"
        )
        # Double quotes so the shell expands the variable; the invalid key has nothing to expand.
        parts += ["-H", f'"{header}"']
        if ex.auth_scheme == "x-api-key":
            parts += ["-H", shlex.quote("anthropic-version: 2023-06-01")]
    if body:
        if not _is_json(body):
            return None
        parts += ["-H", shlex.quote("Content-Type: application/json"), "-d", shlex.quote(body)]
    return " ".join(parts)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LatencyGate:
    """One latency gate as the run decided it, with the numbers behind the decision."""

    requirement: str
    metric: str  # "TTFT" or "TPOT"
    case_id: str
    n: int
    percentiles: tuple[tuple[str, float], ...]  # ("p50", ms), ...
    threshold_ms: float | None
    decision: Outcome  # the requirement's outcome: pass, fail, or skip (undecided)
    why: str  # the finding message behind a fail or an undecided gate, else ""
    samples_ms: tuple[float, ...]


def latency_gates(report: RunReport) -> list[LatencyGate]:
    """Every latency gate measured in the run (cases with latency metrics), in report order."""
    outcomes = {rr.requirement.id: rr.outcome for rr in report.requirements}
    gates = []
    for case in report.cases:
        metrics: Any = case.metrics.get("latency")
        if not isinstance(metrics, dict):
            continue
        thresholds = metrics.get("thresholds") or {}
        samples = metrics.get("samples_ms") or {}
        for req, name, key in _GATES:
            summary = metrics.get(f"{key}_ms") or {}
            values = [v for v in samples.get(key, []) if isinstance(v, int | float)]
            threshold = thresholds.get(f"{key}_p99_ms")
            why = next((f.message for f in case.findings if f.requirement == req), "")
            marks = tuple(
                (p, float(summary[p]))
                for p in ("p50", "p90", "p99")
                if isinstance(summary.get(p), int | float)
            )
            gates.append(
                LatencyGate(
                    requirement=req,
                    metric=name,
                    case_id=case.case_id,
                    n=int(summary.get("n", len(values))),
                    percentiles=marks,
                    threshold_ms=float(threshold) if isinstance(threshold, int | float) else None,
                    decision=outcomes.get(req, Outcome.SKIP),
                    why=why,
                    samples_ms=tuple(float(v) for v in values),
                )
            )
    return gates


def gate_word(gate: LatencyGate) -> str:
    """The gate's decision in words."""
    if gate.threshold_ms is None:
        return "no threshold"
    return {Outcome.PASS: "pass", Outcome.FAIL: "FAIL", Outcome.WARN: "warn"}.get(
        gate.decision, "undecided"
    )


def untested_profiles(report: RunReport) -> list[tuple[str, list[str]]]:
    """(reason, profile names) for the profiles nothing tested, grouped by their reason."""
    grouped: dict[str, list[str]] = {}
    for p in report.profiles:
        if p.verdict is ProfileVerdict.NOT_TESTED:
            grouped.setdefault(_short_reason(p), []).append(p.name)
    return list(grouped.items())


_CAPABILITY = re.compile(r"--capability ([\w.-]+)")
_PIP = re.compile(r"`(pip install [^`]+)`")


def skip_actions(report: RunReport) -> list[tuple[str, int]]:
    """What would run the skipped cases, each with how many cases it concerns, most first:
    one `--capability X` per capability a skip reason asks for, `pip install …` for a
    missing SDK; a reason that names no action is kept whole.
    """
    counts: Counter[str] = Counter()
    for case in report.cases:
        if case.outcome is not Outcome.SKIP:
            continue
        actions = [f"--capability {c}" for c in _CAPABILITY.findall(case.reason)]
        actions += _PIP.findall(case.reason)
        for action in dict.fromkeys(actions or [case.reason or "skipped"]):
            counts[action] += 1
    return counts.most_common()


def _short_reason(p: ProfileResult) -> str:
    return p.reason or "no requirement of this profile was tested"
