"""Figures 2 and 4: llmconform's own CPU per exchange, and schema validation throughput.

The whole catalog runs once against the reference (every capability declared), the captures
are kept, and then `evaluate` (SSE/JSON decoding + every check + folding findings) runs over
them many times under `time.process_time`. The target runs in another process, so the CPU
time measured is llmconform's alone.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from dataclasses import dataclass
from typing import Any

from _common import KEY, MODEL, Row, Size
from _servers import ServerProcess, ServerSpec

from llmconform.catalog.loader import Catalog, load_catalog
from llmconform.catalog.steps import Variables
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate
from llmconform.engine.expand import ExpandOptions, expand, split_sample_id
from llmconform.engine.plan import ALL_CAPABILITIES, skip_reason
from llmconform.metrics.latency import PRESETS
from llmconform.model import Capture, Connection, Limits
from llmconform.protocol.sse import decode_sse
from llmconform.schema.validation import validate
from llmconform.transport.executor import execute

NON_STREAM_GOAL_MS = 1.0
EVENT_GOAL_US = 50.0


@dataclass(frozen=True)
class Suite:
    """The packaged catalog and one run's captures, by case id (samples folded back)."""

    catalog: Catalog
    captures: dict[str, list[Capture]]
    settings: dict[str, Any]


def capture_suite(size: Size) -> Suite:
    """Run every case of the catalog against the reference once and keep the captures."""
    catalog = load_catalog(known_checks=known_checks())
    capabilities = ALL_CAPABILITIES | {"auth"}
    runnable = [c for c in catalog.cases.values() if skip_reason(c, capabilities) is None]
    options = ExpandOptions(requests=size.run_samples, warmup=1)
    work = [w for c in runnable for w in expand(c, Variables(MODEL), options)]
    with ServerProcess(ServerSpec(api_key=KEY)) as server:
        raw = execute(work, Connection(server.url + "/v1", KEY), Limits(), 8)
    captures: dict[str, list[Capture]] = {}
    samples: dict[str, dict[int, list[Capture]]] = {}
    for work_id, caps in raw.items():
        base, k = split_sample_id(work_id)
        if k is None:
            captures[base] = caps
        else:
            samples.setdefault(base, {})[k] = caps
    for base, by_k in samples.items():
        captures[base] = [c for k in sorted(by_k) for c in by_k[k]]
    settings = {"latency": {**PRESETS["mlperf-server"], "warmup": 1}}
    return Suite(catalog, captures, settings)


def _evaluate_all(suite: Suite, case_ids: list[str], repeats: int) -> float:
    """CPU seconds for `repeats` evaluations of each case, the heap frozen as in a run."""
    cases = suite.catalog.cases
    gc.freeze()  # as pytest_plugin does before the exchanges (the captures stay collectable)
    try:
        cpu0 = time.process_time()
        for _ in range(repeats):
            for cid in case_ids:
                evaluate(
                    cases[cid],
                    suite.captures[cid],
                    suite.catalog.requirements,
                    MODEL,
                    suite.settings,
                )
        return time.process_time() - cpu0
    finally:
        gc.unfreeze()


def _is_stream(captures: list[Capture]) -> bool:
    return any(c.request.stream for c in captures)


def cpu_rows(suite: Suite, size: Size) -> list[Row]:
    """CPU per non-stream exchange and per SSE event, plus the costliest cases."""
    stream_ids = [cid for cid, caps in suite.captures.items() if _is_stream(caps)]
    plain_ids = [cid for cid, caps in suite.captures.items() if not _is_stream(caps)]
    exchanges = sum(len(suite.captures[cid]) for cid in plain_ids)
    events = sum(len(decode_sse(c.chunks)[0]) for cid in stream_ids for c in suite.captures[cid])
    _evaluate_all(suite, list(suite.captures), 1)  # warm caches (schemas, regexes)
    plain_s = _evaluate_all(suite, plain_ids, size.cpu_repeats) / size.cpu_repeats
    stream_s = _evaluate_all(suite, stream_ids, size.cpu_repeats) / size.cpu_repeats
    per_exchange_ms = plain_s / exchanges * 1e3
    per_event_us = stream_s / events * 1e6
    costly = sorted(
        (
            (_evaluate_all(suite, [cid], 3) / 3 / len(suite.captures[cid]), cid)
            for cid in suite.captures
        ),
        reverse=True,
    )[:3]
    return [
        Row(
            f"2 CPU per non-stream exchange ({exchanges} exchanges, {len(plain_ids)} cases)",
            f"< {NON_STREAM_GOAL_MS:g} ms",
            f"{per_exchange_ms:.3f} ms",
            per_exchange_ms < NON_STREAM_GOAL_MS,
        ),
        Row(
            f"2 CPU per SSE event ({events} events, {len(stream_ids)} stream cases)",
            f"< {EVENT_GOAL_US:g} µs",
            f"{per_event_us:.1f} µs",
            per_event_us < EVENT_GOAL_US,
        ),
        Row(
            "2 costliest cases (CPU per exchange)",
            "(info)",
            ", ".join(f"{cid} {s * 1e3:.2f} ms" for s, cid in costly),
        ),
    ]


def profile_suite(suite: Suite, limit: int = 25) -> str:
    """cProfile of evaluating every case once (sorted by own time): for finding hot spots."""
    profiler = cProfile.Profile()
    profiler.enable()
    _evaluate_all(suite, list(suite.captures), 3)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def validation_rows(suite: Suite, size: Size) -> list[Row]:
    """Validations per second of a real chat completion and a real stream chunk."""
    import json

    completion = json.loads(suite.captures["chat.basic"][0].body)
    events, _ = decode_sse(suite.captures["stream.basic"][0].chunks)
    chunk = json.loads(events[1].data)
    rows = []
    for label, instance, schema in (
        ("chat completion", completion, "urn:llmconform:schema:openai/chat.completion"),
        ("stream chunk", chunk, "urn:llmconform:schema:openai/chat.completion.chunk"),
    ):
        assert validate(instance, schema) == [], f"the reference's {label} does not validate"
        n, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < size.validate_seconds:
            for _ in range(50):
                validate(instance, schema)
            n += 50
        rate = n / elapsed
        rows.append(
            Row(
                f"4 schema validations/s: {label}",
                "(info)",
                f"{rate:,.0f}/s ({1e6 / rate:.0f} µs each)",
            )
        )
    return rows
