"""Model discovery (a run without --model) under attack: bounded in time and memory.

`GET /models` goes through the executor like every exchange, so a target that trickles its
headers is cut by the run deadline, and a huge or gzip-bomb model list by the body cap; each
run ends with exit 3 and one clear line. Runs are subprocesses, measured with `wait4`.
"""

from __future__ import annotations

import os
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


def run_cli(target: str, out: Path, *extra: str) -> Run:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1", "COLUMNS": "200"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", target, "-k", "chat.basic"]
    log = out.with_suffix(".log")
    t0 = time.monotonic()
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*args, "--out", str(out), *extra], env=env, stdout=sink, stderr=sink, cwd=out.parent
        )
        deadline = t0 + WAIT_S
        while True:  # bounded: a hang fails the test instead of the suite
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail(f"the run did not end within {WAIT_S} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return Run(proc.returncode, log.read_text(), time.monotonic() - t0, peak)


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
