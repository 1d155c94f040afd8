"""The instrument's floor: llmconform's own TTFT against an instant local server (I/O edge).

A latency gate means something only when what llmconform itself adds (event loop, HTTP
client, socket reads) is far below the threshold. This measures it on loopback, with the
same client code a run uses, against the reference server with no delays.
"""

from __future__ import annotations

from llmconform.metrics.latency import stream_timing
from llmconform.metrics.stats import nearest_rank
from llmconform.model import CaseWork, Connection, Limits, Request
from llmconform.transport.executor import execute

FLOOR_SAMPLES = 30
FLOOR_WARMUP = 3  # the first requests pay for connection set-up and cold code paths


def measure_floor_ms(samples: int = FLOOR_SAMPLES) -> dict[str, float | None]:
    """p90 (nearest rank) of TTFT and TPOT against an instant embedded reference, in ms.

    p90 rather than p99: over 30 samples p99 is the single slowest one, which measures a
    scheduler hiccup on this machine, not the instrument.
    """
    from llmconform.reference.app import create_app
    from llmconform.reference.server import serve_in_thread

    body = {
        "model": "llmconform-reference",
        "messages": [{"role": "user", "content": "one two three four five six"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    request = Request("POST", "/chat/completions", json=body, stream=True)
    work = [CaseWork("floor", (request,) * (samples + FLOOR_WARMUP))]
    server = serve_in_thread(create_app())
    try:
        captures = execute(work, Connection(server.url + "/v1"), Limits(timeout_s=10), 1)
    finally:
        server.stop()
    timings = [t for c in captures.get("floor", [])[FLOOR_WARMUP:] if (t := stream_timing(c))]
    ttft = [t.ttft_ms for t in timings]
    tpot = [t.tpot_ms for t in timings if t.tpot_ms is not None]
    return {
        "floor_ttft_ms": nearest_rank(ttft, 90) if ttft else None,
        "floor_tpot_ms": nearest_rank(tpot, 90) if tpot else None,
    }
