"""Latency percentiles (nearest rank) and the inline SVG chart."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmconform.report._common import nearest_rank
from llmconform.report.latency import fmt_ms, latency_samples, latency_stats, latency_svg


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([float(i) for i in range(1, 101)], 50, 50.0),
        ([float(i) for i in range(1, 101)], 90, 90.0),
        ([float(i) for i in range(1, 101)], 99, 99.0),
        ([10.0, 20.0, 30.0, 40.0], 50, 20.0),
        ([10.0, 20.0, 30.0, 40.0], 90, 40.0),
        ([15.0, 20.0, 35.0, 40.0, 50.0], 30, 20.0),  # the textbook example: rank ceil(1.5)
        ([7.0], 99, 7.0),
        ([1.0, 2.0], 1, 1.0),
        ([1.0, 2.0], 100, 2.0),
    ],
)
def test_nearest_rank(values: list[float], percent: int, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


def test_nearest_rank_needs_values() -> None:
    with pytest.raises(ValueError):
        nearest_rank([], 50)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.integers(1, 100))
def test_nearest_rank_definition(values: list[float], percent: int) -> None:
    ordered = sorted(values)
    result = nearest_rank(ordered, percent)
    n = len(ordered)
    assert result in ordered
    assert sum(v <= result for v in ordered) * 100 >= percent * n  # at least p% at or below
    assert sum(v < result for v in ordered) * 100 < percent * n  # and the smallest such value


def test_samples_skip_missing_and_non_finite(build: Any) -> None:
    cases = (
        build.case("a", exchanges=(build.exchange(ms=5.0), build.exchange(ms=None))),
        build.case("b", exchanges=(build.exchange(ms=math.inf), build.exchange(ms=7.5))),
    )
    assert latency_samples(cases) == [("a", 5.0), ("b", 7.5)]
    stats = latency_stats([5.0, 7.5])
    assert stats is not None and stats.percentiles == ((50, 5.0), (90, 7.5), (99, 7.5))
    assert latency_stats([]) is None


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(0.25, "0.25 ms"), (1.0, "1 ms"), (12.4, "12 ms"), (999.4, "999 ms"), (999.6, "1 s")],
)
def test_fmt_ms(ms: float, shown: str) -> None:
    assert fmt_ms(ms) == shown


def _svg(samples: list[tuple[str, float]]) -> ET.Element:
    return ET.fromstring(latency_svg(samples, "Latency <all> & more"))


def test_chart_is_well_formed_with_marks_and_ticks() -> None:
    samples = [(f"case<{i}>", float(i)) for i in range(1, 21)]
    root = _svg(samples)
    assert root.tag == "svg" and root.get("role") == "img"
    labels = [t.text for t in root.iter("text") if t.get("class") == "pct-label"]
    assert labels == ["p50 10 ms", "p90 18 ms", "p99 20 ms"]
    ticks = [t for t in root.iter("line") if t.get("class") == "tick"]
    assert len(ticks) == 20
    assert ticks[0].findtext("title") == "case<1>: 1 ms"
    bars = [int((r.findtext("title") or "0").split()[0]) for r in root.iter("rect")]
    assert sum(bars) == 20
    assert root.findtext("title", "").startswith("Latency <all> & more: 20 exchanges, p50 10 ms")
    # Every x stays inside the drawing.
    xs = [float(t.get("x1", "-1")) for t in root.iter("line")]
    assert all(0 <= x <= 760 for x in xs)


def test_axis_turns_logarithmic_for_wide_ranges() -> None:
    linear = _svg([("a", 10.0), ("b", 400.0)])
    wide = _svg([("a", 2.0), ("b", 30_000.0)])
    assert "log scale" not in ET.tostring(linear, encoding="unicode")
    tick_labels = [t.text for t in wide.iter("text") if t.get("class") == "tick-label"]
    assert tick_labels == ["10 ms", "100 ms", "1 s", "10 s", "log scale"]
    linear_labels = [t.text for t in linear.iter("text") if t.get("class") == "tick-label"]
    assert linear_labels == ["0 ms", "100 ms", "200 ms", "300 ms", "400 ms"]


def test_degenerate_inputs() -> None:
    assert latency_svg([], "x") == ""
    for samples in ([("a", 0.0)], [("a", 0.0), ("b", 0.0)], [("a", 3.0)] * 5):
        root = _svg(samples)
        assert len([t for t in root.iter("line") if t.get("class") == "tick"]) == len(samples)
