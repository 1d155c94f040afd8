"""Nearest-rank percentiles, sample-size rule, Wilson intervals and threshold decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmconform.metrics.stats import decide, items_to_decide, min_samples, nearest_rank, wilson


def test_nearest_rank_returns_observed_values() -> None:
    assert nearest_rank([3.0, 1.0, 2.0], 50) == 2.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 100) == 4.0
    with pytest.raises(ValueError):
        nearest_rank([], 50)


def test_minimum_samples_for_tail_percentiles() -> None:
    assert (min_samples(95), min_samples(99), min_samples(50)) == (59, 299, 1)


def test_wilson_matches_known_values() -> None:
    # 81 successes of 100: Wilson 95 % interval is about [0.7222, 0.8749].
    iv = wilson(81, 100)
    assert iv.low == pytest.approx(0.7222, abs=1e-3) and iv.high == pytest.approx(0.8749, abs=1e-3)
    edge = wilson(0, 10)
    assert edge.low == 0.0 and 0.2 < edge.high < 0.35


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_observed_rate(sn: tuple[int, int]) -> None:
    s, n = sn
    iv = wilson(s, n)
    assert 0.0 <= iv.low <= s / n <= iv.high <= 1.0


def test_decisions_and_items_to_decide() -> None:
    assert decide(wilson(95, 100), 0.8) == "pass"
    assert decide(wilson(50, 100), 0.8) == "fail"
    assert decide(wilson(8, 10), 0.8) == "inconclusive"
    more = items_to_decide(18, 20, 0.8)  # 90 % observed, threshold 80 %
    assert more is not None and more > 0
    total = 20 + more
    assert decide(wilson(round(0.9 * total), total), 0.8) == "pass"
    assert decide(wilson(round(0.9 * (total - 1)), total - 1), 0.8) == "inconclusive"
    assert items_to_decide(8, 10, 0.8) is None  # exactly at the threshold: never decides
