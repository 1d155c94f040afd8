"""Model discovery (a run without --model) under attack: bounded in time and memory.

`GET /models` goes through the executor like every exchange, so a target that trickles its
headers is cut by the run deadline, and a huge or gzip-bomb model list by the body cap; each
run ends with exit 3 and one clear line. Runs are subprocesses, measured with `wait4`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from server import KEY, HostileServer

BUDGET_MB = 400  # the CLI's own imports included; a 1 GiB model list would blow it
WAIT_S = 60


@dataclass
class Run:
    code: int
    output: str
    seconds: float
    peak_mb: float


# The CLI runs under a small launcher that reports its child's peak RSS. Measured from the test
# process itself, the figure would include this (large) pytest process: Linux carries the
# parent's high-water mark across fork and exec into the child's ru_maxrss.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'\\nLAUNCHER-PEAK-KIB {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_cli(target: str, out: Path, *extra: str) -> Run:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1", "COLUMNS": "200"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", target, "-k", "chat.basic"]
    log = out.with_suffix(".log")
    t0 = time.monotonic()
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, *args, "--out", str(out), *extra],
            env=env,
            stdout=sink,
            stderr=sink,
            cwd=out.parent,
            start_new_session=True,  # the launcher and the CLI: killed together on a hang
        )
        try:
            proc.wait(timeout=WAIT_S)  # bounded: a hang fails the test instead of the suite
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"the run did not end within {WAIT_S} s")
    text = log.read_text()
    output, _, peak_line = text.rpartition("LAUNCHER-PEAK-KIB ")
    peak = int(peak_line.split()[0]) / 1024  # KiB on Linux
    return Run(proc.returncode, output, time.monotonic() - t0, peak)


def test_a_model_list_sent_one_byte_at_a_time_is_cut_by_the_deadline(
    hostile: HostileServer, tmp_path: Path
) -> None:
    # Each byte comes before the idle timeout, so only a whole-exchange bound ends it.
    slow = hostile.base("slow", models=True)
    run = run_cli(slow, tmp_path / "slow", "--deadline", "3", "--timeout", "60")
    assert run.code == 3, run.output
    assert run.seconds < 30, run.seconds
    assert "GET /models" in run.output and "3 s run deadline" in run.output
    assert "Traceback" not in run.output and KEY not in run.output


@pytest.mark.parametrize("behaviour", ["huge_body", "gzip_bomb"])
def test_a_huge_model_list_is_cut_by_the_body_cap(
    hostile: HostileServer, tmp_path: Path, behaviour: str
) -> None:
    run = run_cli(hostile.base(behaviour, models=True), tmp_path / behaviour, "--max-body-mb", "8")
    assert run.code == 3, run.output
    assert "GET /models" in run.output and "more than 8 MiB" in run.output
    assert run.peak_mb < BUDGET_MB, run.peak_mb
    assert "Traceback" not in run.output and KEY not in run.output
