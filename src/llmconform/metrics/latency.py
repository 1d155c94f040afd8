"""Latency of streamed chat completions, from timestamped captures (pure).

Definitions (DESIGN §5; anchors: vLLM bench, AIPerf, MLPerf):
- TTFT: first output-bearing event (non-empty content, reasoning or tool-call delta; not the
  role-only chunk, not usage, not comments) minus the send time.
- E2E: last output-bearing event minus send time; also to `[DONE]`.
- TPOT: (E2E - TTFT) / (N - 1), N = usage.completion_tokens; undefined for N < 2.
Each event is stamped with the read that completed it, so timing is as fine as socket reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from llmconform.metrics.stats import nearest_rank
from llmconform.model import Capture
from llmconform.protocol.sse import decode_sse
from llmconform.settings.run import LATENCY_PRESETS

# "Fake streaming": all output in one burst at the end. Judged only on streams long enough
# for a real streamer to spread its output out.
BURST_MIN_E2E_MS = 100.0
BURST_SPREAD_FRACTION = 0.05
BURST_MIN_EVENTS = 4

# Named threshold presets (milliseconds, p99), after MLPerf Inference's LLM server scenarios.
PRESETS = LATENCY_PRESETS  # the named latency gates (settings.run)


@dataclass(frozen=True)
class StreamTiming:
    """Timing of one streamed completion (milliseconds)."""

    ttft_ms: float
    e2e_ms: float
    e2e_done_ms: float | None
    output_events: int
    completion_tokens: int | None
    tpot_ms: float | None
    tokens_per_s: float | None
    burst: bool  # all output arrived in one burst at the end (fake streaming)


def _has_output(chunk: Any) -> bool:
    for choice in chunk.get("choices") or [] if isinstance(chunk, dict) else []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and any(
            delta.get(k) for k in ("content", "reasoning_content", "reasoning", "tool_calls")
        ):
            return True
    return False


def stream_timing(capture: Capture) -> StreamTiming | None:
    """Timing of a streamed chat completion, or None when it carried no output."""
    events, _ = decode_sse(capture.chunks)
    t0 = capture.t_sent_ns
    out_times: list[int] = []
    done_t: int | None = None
    tokens: int | None = None
    for ev in events:
        if ev.data.strip() == "[DONE]":
            done_t = ev.t_ns
            break
        try:
            chunk = json.loads(ev.data)
        except json.JSONDecodeError:
            continue
        if _has_output(chunk):
            out_times.append(ev.t_ns)
        usage = chunk.get("usage") if isinstance(chunk, dict) else None
        if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
            tokens = usage["completion_tokens"]
    if not out_times:
        return None
    ttft = (out_times[0] - t0) / 1e6
    e2e = (out_times[-1] - t0) / 1e6
    tpot = (e2e - ttft) / (tokens - 1) if tokens is not None and tokens >= 2 else None
    burst = (
        e2e >= BURST_MIN_E2E_MS
        and len(out_times) >= BURST_MIN_EVENTS
        and (e2e - ttft) < BURST_SPREAD_FRACTION * e2e
    )
    return StreamTiming(
        ttft_ms=ttft,
        e2e_ms=e2e,
        e2e_done_ms=(done_t - t0) / 1e6 if done_t is not None else None,
        output_events=len(out_times),
        completion_tokens=tokens,
        tpot_ms=tpot,
        tokens_per_s=tokens / (e2e / 1e3) if tokens and e2e > 0 else None,
        burst=burst,
    )


@dataclass(frozen=True)
class Summary:
    """Distribution of one metric: n and nearest-rank percentiles."""

    n: int
    p50: float
    p90: float
    p95: float
    p99: float
    mean: float
    min: float
    max: float

    def as_dict(self) -> dict[str, float]:
        """Plain data for reports."""
        return asdict(self)


def summarize(values: Sequence[float]) -> Summary | None:
    """Nearest-rank summary of a sample (None when empty)."""
    if not values:
        return None
    return Summary(
        n=len(values),
        p50=nearest_rank(values, 50),
        p90=nearest_rank(values, 90),
        p95=nearest_rank(values, 95),
        p99=nearest_rank(values, 99),
        mean=sum(values) / len(values),
        min=min(values),
        max=max(values),
    )
