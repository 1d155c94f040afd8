"""Figure 3: how exactly llmconform measures TTFT and TPOT against injected delays.

The target (`_servers.timed_app`) sends content token k at exactly arrival + TTFT + k x TPOT
(an absolute schedule kept to ~0.1 ms); the executor's captures are timed by `stream_timing`,
and the error is measured minus injected. What remains is the instrument's own cost plus the
request's upload and the server's HTTP parsing before the app sees it (the floor any client
would see). A second pair of figures compares with the target's own send stamps instead.
"""

from __future__ import annotations

from _common import MODEL, Row, Size, median, percentile
from _servers import Recorded, ServerProcess, ServerSpec

from llmconform.metrics.latency import stream_timing
from llmconform.model import Capture, CaseWork, Connection, Limits, Request
from llmconform.protocol.sse import decode_sse
from llmconform.transport.executor import execute

GOAL_MS = 2.0
TTFT_S = 0.050
TOKEN_S = 0.010
WARMUP = 2


def _instrument_errors(
    captures: list[Capture], log: list[Recorded]
) -> tuple[list[float], list[float], list[float]]:
    """TTFT and TPOT error against the target's own send stamps, and per-event lag (ms).

    The target stamps each body message as it hands it to the server, and the reference sends
    every event as its own message, so event k of a capture pairs with send k of the request.
    """
    ttft, tpot, lag = [], [], []
    for capture, recorded in zip(captures, log, strict=True):
        events, _ = decode_sse(capture.chunks)
        sends = recorded.t_sends_ns
        timing = stream_timing(capture)
        if len(events) != len(sends) or timing is None or timing.tpot_ms is None:
            continue  # events coalesced into one message: cannot pair them
        lag += [(e.t_ns - t) / 1e6 for e, t in zip(events, sends, strict=True)]
        content = [t for e, t in zip(events, sends, strict=True) if '"content":"' in e.data]
        content = content[1:]  # the first one is the role chunk's empty content
        server_ttft = (content[0] - recorded.t_arrival_ns) / 1e6
        server_tpot = (content[-1] - content[0]) / 1e6 / (len(content) - 1)
        ttft.append(abs(timing.ttft_ms - server_ttft))
        tpot.append(abs(timing.tpot_ms - server_tpot))
    return ttft, tpot, lag


def latency_rows(size: Size) -> list[Row]:
    """Median and p95 |error| of TTFT and TPOT, at concurrency 1."""
    n = size.latency_tokens
    words = " ".join(f"w{i}" for i in range(n))
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": words}],
        "max_tokens": n,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    request = Request("POST", "/chat/completions", json=body, stream=True)
    spec = ServerSpec(
        kind="timed", events=n, ttft_delay_s=TTFT_S, token_delay_s=TOKEN_S, record=True
    )
    with ServerProcess(spec) as server:
        work = [CaseWork("latency", (request,) * (size.latency_requests + WARMUP))]
        captures = execute(work, Connection(server.url + "/v1"), Limits(), 1)["latency"]
        log = server.requests()
    captures, log = captures[WARMUP:], log[WARMUP:]
    timings = [t for c in captures if (t := stream_timing(c)) is not None]
    assert timings and all(t.completion_tokens == n for t in timings), "unexpected stream"
    ttft = [abs(t.ttft_ms - TTFT_S * 1e3) for t in timings]
    tpot = [abs(t.tpot_ms - TOKEN_S * 1e3) for t in timings if t.tpot_ms is not None]
    own_ttft, own_tpot, lag = _instrument_errors(captures, log)
    rows = []
    for name, errors, against in (
        ("TTFT", ttft, f"injected {TTFT_S * 1e3:g} ms"),
        ("TPOT", tpot, f"injected {TOKEN_S * 1e3:g} ms"),
        ("TTFT", own_ttft, "target's send stamps"),
        ("TPOT", own_tpot, "target's send stamps"),
    ):
        med, p95 = median(errors), percentile(errors, 95)
        rows.append(
            Row(
                f"3 {name} |error| vs {against} ({len(errors)} streams x {n} tokens)",
                f"median < {GOAL_MS:g} ms",
                f"median {med:.3f} ms, p95 {p95:.3f} ms",
                med < GOAL_MS,
            )
        )
    rows.append(
        Row(
            f"3 per-event lag, target send → llmconform stamp ({len(lag)} events)",
            "(info)",
            f"median {median(lag):.3f} ms, p95 {percentile(lag, 95):.3f} ms",
        )
    )
    return rows
