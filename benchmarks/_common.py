"""Shared pieces of the benchmarks: result rows, sizes, requests, percentiles."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

from llmconform.model import Request

MODEL = "llmconform-reference"
KEY = "sk-llmconform-bench-0123456789abcdef"  # a dummy key for loopback targets only


@dataclass(frozen=True)
class Row:
    """One line of the result table; `ok` is None for figures without a goal."""

    figure: str
    goal: str
    measured: str
    ok: bool | None = None


@dataclass(frozen=True)
class Size:
    """How much work each figure does (`--quick` uses smaller numbers)."""

    exec_requests: int = 64
    exec_delay_s: float = 0.100
    run_delay_s: float = 0.050
    run_concurrency: tuple[int, ...] = (1, 4, 16)
    run_samples: int = 10  # latency-case samples in the `llmconform run` figure
    run_repeats: int = 5  # at most; runs of the whole suite are repeated up to ~3 s in all
    cpu_repeats: int = 20
    latency_requests: int = 30
    latency_tokens: int = 20
    validate_seconds: float = 2.0
    stream_events: tuple[int, int] = (1_000, 10_000)
    run_cases: tuple[int, int] = (100, 500)


FULL = Size()
QUICK = Size(
    exec_requests=32,
    exec_delay_s=0.050,
    run_delay_s=0.020,
    run_concurrency=(16,),
    run_samples=4,
    run_repeats=1,
    cpu_repeats=3,
    latency_requests=8,
    latency_tokens=10,
    validate_seconds=0.5,
    stream_events=(1_000, 4_000),
    run_cases=(50, 200),
)


def chat_request(text: str = "Say hello.", *, stream: bool = False, **extra: Any) -> Request:
    """A chat completion request for the reference model."""
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return Request("POST", "/chat/completions", json=body, stream=stream)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (values need not be sorted)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    """The median of a non-empty sample."""
    return statistics.median(values)


def mib(n: float) -> str:
    """Bytes as MiB with one decimal."""
    return f"{n / 1024 / 1024:.1f} MiB"
