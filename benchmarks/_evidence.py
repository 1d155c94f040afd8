"""Figure 6: peak memory of a run whose target answers every request with gigabytes.

`llmconform run` (a fresh interpreter each time: peak RSS only grows) against the hostile
raw-socket server of the tests (`tests/server.py`, behaviour `huge_body`: 10 GiB of JSON
per answer), at the default 32 MiB cap, over N cases of one request each. Each answer is cut
at the cap; the run-wide evidence budget (`Limits.evidence_bytes`, 4 capped bodies) keeps
what the run holds, and writes, flat in N instead of N times 32 MiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import Row

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the hostile server

from server import HostileServer

# Non-stream cases of one request each, so N cases make N oversized answers.
CASES = [
    "error.missing_model",
    "error.missing_messages",
    "error.empty_messages",
    "error.invalid_role",
    "error.malformed_json",
    "error.unknown_model",
    "error.temperature_out_of_range",
    "error.top_p_out_of_range",
    "auth.invalid_key",
    "auth.missing_key",
    "models.list",
    "chat.basic",
    "chat.system_message",
    "chat.multi_turn",
    "chat.max_tokens_length",
    "chat.stop_string",
]
_PROBE = """
import resource, sys
from llmconform.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
# This process's own peak (VmHWM): ru_maxrss would include the parent's peak at fork.
with open("/proc/self/status") as status:
    hwm = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
print((hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024,
      file=sys.stderr)
"""


def _peak_mb(url: str, cases: list[str], out: Path) -> tuple[int, int, int]:
    """Peak RSS (MiB), cassette size (MiB) and exchanges of one run over `cases`."""
    args = ["run", "--target", url, "--model", "hostile-model", "--out", str(out)]
    args += ["-k", " or ".join(cases), "--concurrency", "4", "--timeout", "60", "--quiet"]
    env = {**os.environ, "LLMCONFORM_API_KEY": "sk-bench-0123456789"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env, timeout=600
    )
    peak = int(done.stderr.strip().splitlines()[-1])
    tape = out / "cassette.jsonl"
    lines = tape.read_text(encoding="ascii").splitlines()[1:] if tape.exists() else []
    exchanges = sum(len(json.loads(line)["exchanges"]) for line in lines)
    return peak, (tape.stat().st_size if tape.exists() else 0) // 2**20, exchanges


def evidence_rows(counts: tuple[int, ...] = (4, 16)) -> list[Row]:
    """Peak RSS and cassette size of runs with N oversized answers, for each N."""
    measured: dict[int, tuple[int, int, int]] = {}
    with HostileServer("huge_body") as server, tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            measured[n] = _peak_mb(server.url, CASES[:n], Path(tmp) / f"n{n}")
    rows = [
        Row(
            f"6 oversized answers, N={n}",
            "peak RSS flat in N",
            f"peak RSS {peak} MiB, cassette {size} MiB, {exchanges} exchanges",
        )
        for n, (peak, size, exchanges) in measured.items()
    ]
    low, high = measured[min(counts)][0], measured[max(counts)][0]
    rows.append(
        Row(
            "6 oversized answers, growth",
            "< 64 MiB from the fewest to the most",
            f"{high - low} MiB",
            high - low < 64,
        )
    )
    return rows
