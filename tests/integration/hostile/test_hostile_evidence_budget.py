"""A run's evidence is bounded as a whole, not only per response: a target answering every
request with gigabytes costs the run-wide budget (4 capped bodies), in memory and on disk.

With a 1 MiB cap the budget is 4 MiB: 20 oversized answers used to make a 20 MiB cassette
(and, at the default 32 MiB cap, 9 GB of memory for a full run; see benchmarks figure 6).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llmconform.evidence import cassette

from server import KEY, HostileServer

MIB = 1024 * 1024


def test_oversized_answers_are_cut_to_the_run_wide_evidence_budget(
    hostile: HostileServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", hostile.base("huge_body")]
    args += ["--model", "hostile-model", "-k", "error or models", "--out", str(out)]
    args += ["--max-body-mb", "1", "--timeout", "10", "--concurrency", "4"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    tape = cassette.load(out / "cassette.jsonl")
    captures = [c for cs in tape.cases.values() for c in cs]
    assert len(captures) >= 12  # enough oversized answers to pass the budget three times
    kept = sum(len(c.body) for c in captures)
    cut = [c for c in captures if c.cut]
    # 4 MiB whole, then 64 KiB per cut body (each says how much it lost).
    assert kept <= 4 * MIB + len(captures) * 64 * 1024, kept
    assert cut and all(len(c.body) == 64 * 1024 and c.cut > 0 for c in cut)
    assert (out / "cassette.jsonl").stat().st_size < 8 * MIB
    # The cut is understood: verify accepts the run's judgement of what it cannot re-judge.
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmconform",
            "verify",
            str(out / "report.json"),
            "--allow-filtered",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["info"]["complete"]
