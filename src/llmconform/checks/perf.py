"""Latency gates for the `performance` profile, over the samples of a repeated stream case.

Run-level settings (`ctx.settings["latency"]`): `warmup` samples to discard, thresholds
(`ttft_p99_ms`, `tpot_p99_ms`), and `floor_ttft_ms` / `floor_tpot_ms`, the instrument's own figures
against an instant local server. A gate is decided only with enough samples for its percentile and
when the floor is well below the threshold; otherwise it is inconclusive, never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmconform.checks.context import CheckContext
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.metrics.latency import StreamTiming, stream_timing, summarize
from llmconform.metrics.stats import min_samples

# The floor must be at most this fraction of a threshold for the gate to be meaningful.
FLOOR_FRACTION = 0.2


def _samples(ctx: CheckContext) -> tuple[list[StreamTiming], int, int]:
    """Timings of the non-warm-up samples, the number of failed samples, and of samples."""
    warmup = int(ctx.settings.get("latency", {}).get("warmup", 0))
    timed: list[StreamTiming] = []
    failed = 0
    sampled = ctx.exchanges[warmup:]
    for ex in sampled:
        timing = stream_timing(ex.capture) if ex.status == 200 and not ex.capture.error else None
        if timing is None:
            failed += 1
        else:
            timed.append(timing)
    return timed, failed, len(sampled)


def _gate(
    req: str, name: str, values: list[float], threshold: float | None, floor: float | None
) -> Iterator[Issue]:
    if threshold is None:  # nothing to hold the samples to: undecided, never a pass
        yield Issue(
            req, f"{name} p99 gate inconclusive: no threshold set", kind=IssueKind.INCONCLUSIVE
        )
        return
    summary = summarize(values)
    need = min_samples(99)
    if summary is None or summary.n < need:
        n = summary.n if summary else 0
        yield Issue(
            req,
            f"{name} p99 gate inconclusive: n={n} samples, {need} needed (raise --requests)",
            kind=IssueKind.INCONCLUSIVE,
        )
        return
    if floor is None or floor > FLOOR_FRACTION * threshold:
        yield Issue(
            req,
            f"{name} p99 gate inconclusive: the instrument's floor ({floor} ms) is "
            f"not well below the {threshold:g} ms threshold",
            kind=IssueKind.INCONCLUSIVE,
        )
        return
    if summary.p99 > threshold:
        yield Issue(
            req,
            f"{name} p99 = {summary.p99:.1f} ms exceeds {threshold:g} ms "
            f"(n={summary.n}, p50 {summary.p50:.1f} ms)",
        )


@check("perf.latency", "PERF-001", "PERF-002", "PERF-004")
def latency(ctx: CheckContext) -> Iterator[Issue]:
    """TTFT and TPOT p99 stay within the thresholds; every sampled request succeeds."""
    cfg: dict[str, Any] = dict(ctx.settings.get("latency", {}))
    timed, failed, sampled = _samples(ctx)
    if failed:
        yield Issue(
            "PERF-004", f"{failed} of {sampled} sampled requests failed or carried no output"
        )
    ttft = [t.ttft_ms for t in timed]
    tpot = [t.tpot_ms for t in timed if t.tpot_ms is not None]
    ctx.metrics["latency"] = {
        name: s.as_dict()
        for name, s in (
            ("ttft_ms", summarize(ttft)),
            ("tpot_ms", summarize(tpot)),
            ("e2e_ms", summarize([t.e2e_ms for t in timed])),
            ("e2e_done_ms", summarize([t.e2e_done_ms for t in timed if t.e2e_done_ms])),
            ("tokens_per_s", summarize([t.tokens_per_s for t in timed if t.tokens_per_s])),
        )
        if s is not None
    }
    ctx.metrics["latency"]["samples_ms"] = {"ttft": ttft, "tpot": tpot}
    ctx.metrics["latency"]["floor_ms"] = {
        "ttft_p99": cfg.get("floor_ttft_ms"),
        "tpot_p99": cfg.get("floor_tpot_ms"),
    }
    ctx.metrics["latency"]["thresholds"] = {
        k: cfg.get(k) for k in ("ttft_p99_ms", "tpot_p99_ms") if cfg.get(k) is not None
    }
    yield from _gate("PERF-001", "TTFT", ttft, cfg.get("ttft_p99_ms"), cfg.get("floor_ttft_ms"))
    if timed and len(tpot) < len(timed):
        # A note while enough samples remain for the gate; the gate itself says
        # "inconclusive" when too few do, and that undecided finding decides PERF-002.
        yield Issue(
            "PERF-002",
            f"{len(timed) - len(tpot)} samples had no usable token count "
            "(usage.completion_tokens < 2 or missing), so TPOT is undefined for them",
            kind=IssueKind.INFO if tpot else IssueKind.INCONCLUSIVE,
        )
    yield from _gate("PERF-002", "TPOT", tpot, cfg.get("tpot_p99_ms"), cfg.get("floor_tpot_ms"))


@check("perf.incremental", "PERF-003")
def incremental(ctx: CheckContext) -> Iterator[Issue]:
    """Output arrives incrementally, not in one burst at the end ("fake streaming")."""
    timed, _, _ = _samples(ctx)
    bursts = sum(t.burst for t in timed)
    if bursts:
        yield Issue(
            "PERF-003",
            f"{bursts} of {len(timed)} streams delivered all output in one "
            "burst at the end (buffered, not streamed)",
        )
