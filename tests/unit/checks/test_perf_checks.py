"""checks.perf: a latency gate that could not measure is undecided, never a pass."""

from __future__ import annotations

from typing import Any

from llmconform.checks import CHECKS, CheckContext, Exchange, Issue, IssueKind
from llmconform.engine.aggregate import requirement_results
from llmconform.engine.evaluate import evaluate
from llmconform.model import Level, Outcome, Requirement

from core_helpers import case, good_stream, stream_capture

LATENCY = {"warmup": 0, "ttft_p99_ms": 2000.0, "tpot_p99_ms": 100.0}
PERF = {
    rid: Requirement(rid, Level.MUST, "perf", rid, profiles=("performance",))
    for rid in ("PERF-001", "PERF-002", "PERF-004", "HTTP-003")
}


def _latency(n: int, latency: dict[str, Any], usage: bool) -> list[Issue]:
    chunks: list[Any] = good_stream("one two three")
    if usage:
        chunks.append({**chunks[-1], "choices": [], "usage": {"completion_tokens": 3}})
    exchanges = tuple(Exchange(i, stream_capture(*chunks)) for i in range(n))
    ctx = CheckContext(case("perf.latency"), exchanges, {}, "m", {"latency": latency}, {})
    return list(CHECKS["perf.latency"].fn(ctx))


def test_no_usage_in_any_stream_leaves_tpot_inconclusive_with_no_pass_note() -> None:
    issues = [i for i in _latency(3, LATENCY, usage=False) if i.requirement == "PERF-002"]
    assert issues and all(i.kind is IssueKind.INCONCLUSIVE for i in issues)


def test_some_samples_without_usage_are_only_a_note_beside_a_decided_gate() -> None:
    issues = _latency(3, LATENCY, usage=True)
    assert not [i for i in issues if i.requirement == "PERF-002" and i.kind is IssueKind.INFO]


def test_a_gate_without_a_threshold_is_inconclusive_not_a_silent_pass() -> None:
    issues = _latency(3, {"warmup": 0}, usage=True)
    kinds = {(i.requirement, i.kind) for i in issues}
    assert ("PERF-001", IssueKind.INCONCLUSIVE) in kinds
    assert ("PERF-002", IssueKind.INCONCLUSIVE) in kinds


def test_perf_002_without_usage_is_undecided_after_evaluation() -> None:
    chunks = good_stream("one two three")
    captures = [stream_capture(*chunks) for _ in range(3)]
    result = evaluate(case("perf.latency"), captures, PERF, "m", {"latency": LATENCY})
    out = {r.requirement.id: r.outcome for r in requirement_results([result], PERF)}
    assert out["PERF-002"] is Outcome.SKIP
