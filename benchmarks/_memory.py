"""Figure 5 (and the marginal per-event CPU of figure 2): long streams and many cases.

tracemalloc runs in this process only; the target is another process, so the peak is
llmconform's (the captured bytes, decoded events, checks, results).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from _common import MODEL, Row, Size, mib
from _servers import ServerProcess, ServerSpec

from llmconform.catalog.loader import Catalog
from llmconform.catalog.steps import Variables, requests_for
from llmconform.engine.evaluate import evaluate
from llmconform.model import CaseResult, CaseWork, Connection, Limits
from llmconform.transport.executor import execute

T = TypeVar("T")
EVENT_GOAL_US = 50.0
GROWTH_GOAL = 1.25  # bytes per event (or per case) at the larger size ÷ at the smaller


def _peak(fn: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _stream_once(catalog: Catalog, url: str) -> tuple[CaseResult, int]:
    case = catalog.cases["stream.basic"]
    work = [CaseWork(case.id, tuple(requests_for(case, Variables(MODEL))))]
    captures = execute(work, Connection(url + "/v1"), Limits(), 1)[case.id]
    result = evaluate(case, captures, catalog.requirements, MODEL)
    return result, sum(len(c.body) for c in captures)


def _evaluate_cpu(catalog: Catalog, url: str) -> tuple[float, CaseResult]:
    """Median CPU of three evaluations of one captured stream, the older heap frozen.

    A run freezes the heap before its exchanges (pytest_plugin), so that a full collection
    does not rescan every imported object; this process also holds the whole captured suite
    of figure 2, and a collection of that heap landing inside one measurement cost more than
    the 1k-event stream's own checks (272 µs/event measured, 17 µs without it).
    """
    case = catalog.cases["stream.basic"]
    work = [CaseWork(case.id, tuple(requests_for(case, Variables(MODEL))))]
    captures = execute(work, Connection(url + "/v1"), Limits(), 1)[case.id]
    spent: list[float] = []
    gc.freeze()
    try:
        for _ in range(3):
            cpu0 = time.process_time()
            result = evaluate(case, captures, catalog.requirements, MODEL)
            spent.append(time.process_time() - cpu0)
    finally:
        gc.unfreeze()
    return statistics.median(spent), result


def stream_rows(catalog: Catalog, size: Size) -> list[Row]:
    """Peak memory of capturing + evaluating a 1k and a 10k event stream; CPU per event."""
    small, large = size.stream_events
    peaks: dict[int, tuple[int, int]] = {}
    cpu: dict[int, float] = {}
    outcome = ""
    for events in (small, large):
        with ServerProcess(ServerSpec(kind="stream", events=events)) as server:
            _stream_once(catalog, server.url)  # warm-up: imports, schema validators
            (result, body), peak = _peak(partial(_stream_once, catalog, server.url))
            peaks[events] = (peak, body)
            cpu[events], result = _evaluate_cpu(catalog, server.url)
            outcome = f"{result.outcome.value}, {len(result.findings)} findings"
    per_event = {n: peaks[n][0] / n for n in peaks}
    growth = per_event[large] / per_event[small]
    us_per_event = cpu[large] / large * 1e6
    return [
        Row(
            f"5 peak memory, stream of {small:,} vs {large:,} events (capture + evaluate)",
            f"per event: {large // 1000}k ÷ {small // 1000}k ≤ {GROWTH_GOAL}",
            f"{mib(peaks[small][0])} vs {mib(peaks[large][0])} "
            f"({per_event[small] / 1024:.1f} vs {per_event[large] / 1024:.1f} KiB/event; "
            f"body {mib(peaks[large][1])}; x{growth:.2f})",
            growth <= GROWTH_GOAL,
        ),
        Row(
            f"2 CPU per SSE event, marginal ({large:,}-event stream, stream.basic: {outcome})",
            f"< {EVENT_GOAL_US:g} µs",
            f"{us_per_event:.1f} µs ({cpu[large]:.2f} s; {small:,} events: "
            f"{cpu[small] / small * 1e6:.1f} µs)",
            us_per_event < EVENT_GOAL_US,
        ),
    ]


def _many_cases(catalog: Catalog, url: str, n: int) -> list[CaseResult]:
    case = catalog.cases["chat.basic"]
    requests = tuple(requests_for(case, Variables(MODEL)))
    work = [CaseWork(f"{case.id}#{i}", requests) for i in range(n)]
    captures = execute(work, Connection(url + "/v1"), Limits(), 16)
    return [evaluate(case, captures[w.case_id], catalog.requirements, MODEL) for w in work]


def cases_rows(catalog: Catalog, size: Size) -> list[Row]:
    """Peak memory of executing and judging N non-stream cases (results kept, as a run does)."""
    small, large = size.run_cases
    peaks: dict[int, int] = {}
    with ServerProcess(ServerSpec()) as server:
        _many_cases(catalog, server.url, 16)  # warm-up
        for n in (small, large):
            results, peaks[n] = _peak(partial(_many_cases, catalog, server.url, n))
            assert all(r.outcome.value == "pass" for r in results), "a case did not pass"
    growth = (peaks[large] / large) / (peaks[small] / small)
    return [
        Row(
            f"5 peak memory, {small} vs {large} cases (chat.basic xN, execute + evaluate)",
            f"per case: {large} ÷ {small} ≤ {GROWTH_GOAL}",
            f"{mib(peaks[small])} vs {mib(peaks[large])} "
            f"({peaks[small] / small / 1024:.1f} vs {peaks[large] / large / 1024:.1f} "
            f"KiB/case; x{growth:.2f})",
            growth <= GROWTH_GOAL,
        )
    ]
