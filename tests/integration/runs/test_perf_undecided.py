"""A latency MUST that could not be measured leaves the performance profile inconclusive.

A server that sends no usage in its streams gives no token count, so TPOT (PERF-002) is
undefined for every sample: TTFT is decided, TPOT is not, and an undecided MUST never
certifies, whatever notes beside it read as passes.
"""

from __future__ import annotations

from llmconform.model import Outcome, ProfileVerdict

from broken_servers import BrokenApp, Fault
from support import TEST_KEY, run_against

NO_USAGE = Fault("usage_chunk_missing", chunk=lambda c: None if c.get("choices") == [] else c)


def test_tpot_without_usage_is_undecided_and_the_profile_is_not_certified() -> None:
    report = run_against(
        BrokenApp(NO_USAGE, TEST_KEY),
        keyword="perf.stream_latency",
        apis=frozenset({"openai"}),
        profiles=("performance",),
        requests=320,
        warmup=2,
    )
    outcome = {r.requirement.id: r.outcome for r in report.requirements}
    assert outcome["PERF-001"] is Outcome.PASS  # TTFT was measured and decided
    assert outcome["PERF-002"] is Outcome.SKIP  # TPOT could not be
    [perf] = [p for p in report.profiles if p.name == "performance"]
    assert perf.verdict is ProfileVerdict.INCONCLUSIVE, perf
    assert "PERF-002" in perf.reason
