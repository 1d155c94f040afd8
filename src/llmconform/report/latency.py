"""Exchange latencies: nearest-rank percentiles and an inline SVG chart (pure).

The chart is a histogram over a strip of one tick per exchange, with p50/p90/p99 marked.
It is meant to be embedded in the HTML report, so it has no `xmlns`, no scripts and no
external references; hovering a tick shows its case (an SVG `<title>`, no script needed).
Latencies span milliseconds to tens of seconds, so the axis turns logarithmic when the
slowest exchange is more than 50 times the fastest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from llmconform.model import CaseResult
from llmconform.report._common import multiline_safe, nearest_rank

__all__ = ["PERCENTILES", "LatencyStats", "latency_samples", "latency_stats", "latency_svg"]

PERCENTILES: tuple[int, ...] = (50, 90, 99)

_W, _H = 760, 190  # drawing size in px
_LEFT, _RIGHT = 50, 20  # plot margins
_HIST_TOP, _HIST_BOTTOM = 28, 118  # histogram band
_STRIP_TOP, _STRIP_BOTTOM = 126, 150  # one tick per exchange
_AXIS_Y = 156
_BINS = 40
_LOG_RATIO = 50.0


@dataclass(frozen=True)
class LatencyStats:
    """Summary of a set of latencies in milliseconds."""

    count: int
    minimum: float
    maximum: float
    percentiles: tuple[tuple[int, float], ...]


def latency_samples(cases: tuple[CaseResult, ...]) -> list[tuple[str, float]]:
    """(case id, ms) for every exchange that has a duration, in report order."""
    return [
        (case.case_id, ex.ms)
        for case in cases
        for ex in case.exchanges
        if ex.ms is not None and math.isfinite(ex.ms) and ex.ms >= 0
    ]


def latency_stats(values: list[float]) -> LatencyStats | None:
    """Count, range and nearest-rank p50/p90/p99 of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    marks = tuple((p, nearest_rank(ordered, p)) for p in PERCENTILES)
    return LatencyStats(len(ordered), ordered[0], ordered[-1], marks)


def fmt_ms(ms: float) -> str:
    """A duration for people: `0.8 ms`, `12 ms`, `1.25 s`."""
    if ms >= 999.5:  # what would print as "1000 ms"
        return f"{ms / 1000:.3g} s"
    return f"{ms:.2g} ms" if ms < 10 else f"{ms:.0f} ms"


class _Scale:
    """Maps milliseconds to x pixels, linearly or logarithmically."""

    def __init__(self, low: float, high: float) -> None:
        self.log = low > 0 and high / low > _LOG_RATIO
        if self.log:
            self.low, self.high = math.log10(low), math.log10(high)
        else:
            self.low, self.high = 0.0, high if high > 0 else 1.0
        if self.high <= self.low:
            self.high = self.low + 1.0

    def x(self, ms: float) -> float:
        value = math.log10(ms) if self.log and ms > 0 else (self.low if self.log else ms)
        share = (value - self.low) / (self.high - self.low)
        return _LEFT + min(max(share, 0.0), 1.0) * (_W - _LEFT - _RIGHT)

    def ticks(self) -> list[float]:
        if self.log:
            first, last = math.floor(self.low), math.ceil(self.high)
            return [10.0**e for e in range(first, last + 1) if self.low <= e <= self.high]
        # Round steps (1, 2 or 5 times a power of ten): four to six of them.
        raw = self.high / 6
        if not raw > 1e-9:  # all samples (near) zero: nothing finer than a picosecond to mark
            return [0.0]
        power = 10.0 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
        return [step * i for i in range(int(self.high / step) + 1)]


def latency_svg(
    samples: list[tuple[str, float]], title: str, threshold: float | None = None
) -> str:
    """An inline `<svg>` element charting `samples`, or "" when there is nothing to chart.

    With `threshold`, the axis reaches it and a solid line marks it, so the distance between
    the distribution and its gate shows at a glance.
    """
    stats = latency_stats([ms for _, ms in samples])
    if stats is None:
        return ""
    high = stats.maximum if threshold is None else max(stats.maximum, threshold)
    scale = _Scale(stats.minimum, high)
    label = f"{title}: {stats.count} exchanges, " + ", ".join(
        f"p{p} {fmt_ms(v)}" for p, v in stats.percentiles
    )
    parts = [
        f'<svg class="latency" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
        f'role="img" aria-label="{_esc(label)}">',
        f"<title>{_esc(label)}</title>",
        f'<text x="{_LEFT}" y="16" class="chart-title">{_esc(title)}</text>',
    ]
    parts += _histogram(samples, scale)
    parts += _strip(samples, scale)
    parts += _axis(scale)
    parts += _marks(stats, scale)
    if threshold is not None:
        x = scale.x(threshold)
        parts.append(
            f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{_HIST_TOP - 8}" '
            f'y2="{_STRIP_BOTTOM}"><title>threshold {fmt_ms(threshold)}</title></line>'
        )
        # On the fourth label row (below p50/p90/p99), on the side with room for it.
        anchor, dx = ("end", -4) if x > _W / 2 else ("start", 4)
        parts.append(
            f'<text class="pct-label threshold-label" x="{x + dx:.1f}" y="{_HIST_TOP + 44}" '
            f'text-anchor="{anchor}">threshold {fmt_ms(threshold)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _esc(text: str) -> str:
    return escape(multiline_safe(text), quote=True)


def _histogram(samples: list[tuple[str, float]], scale: _Scale) -> list[str]:
    width = (_W - _LEFT - _RIGHT) / _BINS
    bins = [0] * _BINS
    for _, ms in samples:
        index = int((scale.x(ms) - _LEFT) / width)
        bins[min(max(index, 0), _BINS - 1)] += 1
    tallest = max(bins)
    out = []
    for i, n in enumerate(bins):
        if not n:
            continue
        height = (_HIST_BOTTOM - _HIST_TOP) * n / tallest
        x = _LEFT + i * width
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{_HIST_BOTTOM - height:.1f}" '
            f'width="{max(width - 1, 1):.1f}" height="{height:.1f}"><title>{n} exchange(s)'
            "</title></rect>"
        )
    return out


def _strip(samples: list[tuple[str, float]], scale: _Scale) -> list[str]:
    out = []
    lanes = 4  # deterministic vertical offsets so that equal latencies stay visible
    lane_height = (_STRIP_BOTTOM - _STRIP_TOP) / lanes
    for i, (case_id, ms) in enumerate(samples):
        x = scale.x(ms)
        y = _STRIP_TOP + (i % lanes) * lane_height
        out.append(
            f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" '
            f'y2="{y + lane_height:.1f}"><title>{_esc(case_id)}: {fmt_ms(ms)}</title></line>'
        )
    return out


def _axis(scale: _Scale) -> list[str]:
    right = _W - _RIGHT
    out = [f'<line class="axis" x1="{_LEFT}" x2="{right}" y1="{_AXIS_Y}" y2="{_AXIS_Y}"/>']
    for ms in scale.ticks():
        x = scale.x(ms)
        out.append(
            f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{_AXIS_Y}" y2="{_AXIS_Y + 4}"/>'
        )
        out.append(
            f'<text class="tick-label" x="{x:.1f}" y="{_AXIS_Y + 16}" '
            f'text-anchor="middle">{fmt_ms(ms)}</text>'
        )
    if scale.log:
        out.append(
            f'<text class="tick-label" x="{right}" y="{_H - 2}" text-anchor="end">log scale</text>'
        )
    return out


def _marks(stats: LatencyStats, scale: _Scale) -> list[str]:
    out = []
    for row, (p, ms) in enumerate(stats.percentiles):
        x = scale.x(ms)
        out.append(
            f'<line class="pct p{p}" x1="{x:.1f}" x2="{x:.1f}" y1="{_HIST_TOP - 4}" '
            f'y2="{_STRIP_BOTTOM}"/>'
        )
        # Labels sit on three rows so that close percentiles do not overprint each other.
        anchor = "end" if x > _W - 120 else "start"
        dx = -3 if anchor == "end" else 3
        out.append(
            f'<text class="pct-label" x="{x + dx:.1f}" y="{_HIST_TOP + 8 + row * 12}" '
            f'text-anchor="{anchor}">p{p} {fmt_ms(ms)}</text>'
        )
    return out
