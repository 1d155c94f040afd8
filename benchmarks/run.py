"""llmconform performance benchmarks: `python benchmarks/run.py [--quick] [--profile]`.

Not part of the test suite. Starts loopback targets with known, injected costs (in child
processes) and prints, as figures measured in this one run:

1. wall time of the engine and of the whole `llmconform run` path ÷ the target's own cost,
   and ÷ a minimal hand-written httpx client sending the same requests;
2. llmconform's CPU per non-stream exchange and per SSE event (decoding + checks + verdict);
3. TTFT/TPOT measurement error against injected delays;
4. schema validation throughput;
5. peak memory of long streams and of many cases;
6. peak memory of a run answered with gigabytes per request (the run-wide evidence budget).

Exit status 0 whatever the verdicts (a benchmark informs, it does not gate).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling _modules

from _common import FULL, QUICK, Row, Size


def _table(rows: list[Row]) -> str:
    verdict = {True: "✓", False: "✗", None: "·"}
    widths = [max(len(r.figure) for r in rows), max(len(r.goal) for r in rows)]
    lines = [f"{'figure':<{widths[0]}}  {'goal':<{widths[1]}}  ok  measured"]
    lines.append("-" * (widths[0] + widths[1] + 40))
    for r in rows:
        lines.append(
            f"{r.figure:<{widths[0]}}  {r.goal:<{widths[1]}}  {verdict[r.ok]:<2}  {r.measured}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every figure, print the table; always returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller figures (< 30 s)")
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of evaluating the suite"
    )
    parser.add_argument(
        "--run-delay-ms",
        type=float,
        default=None,
        help="the target's cost per request in figures 1b/1c (default 50; 20 with --quick)",
    )
    parser.add_argument(
        "--run-concurrency",
        default=None,
        help="concurrencies of figure 1b, comma-separated (default 1,4,16; 16 with --quick)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        help="only these figures (repeatable): 1a, 1b, 1c, 2, 3, 4, 5, 6",
    )
    args = parser.parse_args(argv)
    size: Size = QUICK if args.quick else FULL
    if args.run_delay_ms is not None:
        size = dataclasses.replace(size, run_delay_s=args.run_delay_ms / 1000)
    if args.run_concurrency:
        levels = tuple(int(c) for c in args.run_concurrency.split(","))
        size = dataclasses.replace(size, run_concurrency=levels)
    wanted = set(args.only or ())

    from _cpu import Suite, capture_suite, cpu_rows, profile_suite, validation_rows
    from _evidence import evidence_rows
    from _latency import latency_rows
    from _memory import cases_rows, stream_rows
    from _throughput import executor_rows, run_rows
    from _xdist import xdist_rows

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rows: list[Row] = []

    def step(name: str, fn: Callable[[], list[Row]]) -> None:
        if wanted and name.split()[0] not in wanted:
            return
        t0 = time.perf_counter()
        print(f"… {name}", end="", flush=True, file=sys.stderr)
        rows.extend(fn())
        print(f" ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    step("1a executor wall time", lambda: executor_rows(size))
    step("1b llmconform run wall time", lambda: run_rows(size))
    if not args.quick:
        step("1c pytest-xdist workers", lambda: xdist_rows(size))
    suite = capture_suite(size) if not wanted or wanted & {"2", "4", "5"} else None

    def captured() -> Suite:
        assert suite is not None  # captured above whenever step 2, 4 or 5 is wanted
        return suite

    step("2 CPU per exchange", lambda: cpu_rows(captured(), size))
    step("3 latency error", lambda: latency_rows(size))
    step("4 schema validation", lambda: validation_rows(captured(), size))
    step("5 long streams", lambda: stream_rows(captured().catalog, size))
    step("5 many cases", lambda: cases_rows(captured().catalog, size))
    step("6 oversized answers", evidence_rows)
    rows.sort(key=lambda r: r.figure[:2])  # by figure number, in measuring order within
    print(_table(rows))
    print(
        f"\n{'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.1f} s; "
        f"{os.cpu_count()} CPUs, 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (other work on the machine skews every figure)"
    )
    if args.profile and suite is not None:
        print("\ncProfile: evaluating every captured case 3 times (by own time)\n")
        print(profile_suite(suite))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
