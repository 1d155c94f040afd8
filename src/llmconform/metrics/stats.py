"""Small, exact statistics: nearest-rank percentiles with their sample-size rule, Wilson bounds.

Why nearest-rank: it always returns an observed value (no interpolation between two
requests), and it makes the minimum sample size for a tail percentile explicit: a p99 over
fewer than 100 samples is just the maximum. We require n large enough that the percentile is
not the single worst sample with high probability (n >= 59 for p95 and n >= 299 for p99, the
sizes at which the one-sided 95 % distribution-free bound is an order statistic below the max).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Minimum samples before a percentile gate is decided (else INCONCLUSIVE).
MIN_SAMPLES = {50: 1, 90: 29, 95: 59, 99: 299}


def nearest_rank(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least pct% of samples <= it."""
    if not values:
        raise ValueError("no samples")
    if not 0 < pct <= 100:
        raise ValueError("percentile must be in (0, 100]")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def min_samples(pct: float) -> int:
    """Samples needed before a gate on this percentile is decided."""
    return next((n for p, n in sorted(MIN_SAMPLES.items()) if pct <= p), 299)


@dataclass(frozen=True)
class Interval:
    """A proportion with its 95 % Wilson score interval."""

    successes: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        """The observed proportion."""
        return self.successes / self.n if self.n else 0.0


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> Interval:
    """The Wilson score interval (95 % by default); well-behaved at 0 and n, unlike Wald's."""
    if n <= 0:
        return Interval(0, 0, 0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError("successes must be within 0..n")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 and n the exact bounds are 0 and 1; pin them against rounding.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(successes, n, low, high)


def decide(interval: Interval, threshold: float) -> str:
    """PASS if the lower bound clears the threshold, FAIL if the upper bound is below it."""
    if interval.n and interval.low >= threshold:
        return "pass"
    if interval.n and interval.high < threshold:
        return "fail"
    return "inconclusive"


def items_to_decide(successes: int, n: int, threshold: float, limit: int = 100_000) -> int | None:
    """How many more items, at the observed rate, would decide the threshold (None: never)."""
    if n == 0:
        return None
    rate = successes / n
    if decide(wilson(successes, n), threshold) != "inconclusive":
        return 0
    lo, hi = n, n + limit
    if decide(wilson(round(rate * hi), hi), threshold) == "inconclusive":
        return None
    while lo < hi:  # smallest total size that decides, by bisection
        mid = (lo + hi) // 2
        if decide(wilson(round(rate * mid), mid), threshold) == "inconclusive":
            lo = mid + 1
        else:
            hi = mid
    return lo - n
