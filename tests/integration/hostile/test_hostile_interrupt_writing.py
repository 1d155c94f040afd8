"""An interrupt while the run's files are written: the first one lets the writing finish (exit
3, the report on disk), a second abandons it (exit 130) and no temporary file stays behind.

The target answers every request with gigabytes, so that the cassette (4 bodies of 32 MiB)
takes long enough to write for a signal to land while its temporary file exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server import KEY, HostileServer

CASES = ["error.missing_model", "error.missing_messages", "error.empty_messages", "models.list"]


def _run_until_cassette_is_written(
    hostile: HostileServer, tmp_path: Path
) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "out"
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", hostile.base("huge_body")]
    args += ["--model", "hostile-model", "-k", " or ".join(CASES), "--out", str(out)]
    args += ["--timeout", "60", "--concurrency", "4"]
    proc = subprocess.Popen(
        args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(p.name.startswith(".cassette-") for p in out.iterdir()):
            return proc, out
        time.sleep(0.002)
    proc.kill()
    output, _ = proc.communicate()
    pytest.fail(f"the cassette was never being written: {output[-2000:]}")


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_first_interrupt_while_writing_still_writes_the_report(
    hostile: HostileServer, tmp_path: Path, sig: signal.Signals
) -> None:
    proc, out = _run_until_cassette_is_written(hostile, tmp_path)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 3, output[-3000:]
    assert (out / "report.json").is_file() and (out / "cassette.jsonl").is_file()
    assert _leftovers(out) == []
    assert "Traceback" not in output and "nothing saved" not in output


def test_second_interrupt_abandons_the_writing_and_leaves_no_temp_file(
    hostile: HostileServer, tmp_path: Path
) -> None:
    proc, out = _run_until_cassette_is_written(hostile, tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode in (3, 130), output[-3000:]  # 3 if the writing won the race
    assert _leftovers(out) == []
    assert "Traceback" not in output
