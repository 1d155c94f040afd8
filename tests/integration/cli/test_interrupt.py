"""Ctrl-C or SIGTERM during a run writes a partial report (exit 3) with every finished case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOW_APP = """
from llmconform.reference.app import create_app
# Non-streamed answers come at once; every stream waits 60 s before its first token.
app = create_app(ttft_delay_s=60.0)
"""


def start_run(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    (tmp_path / "slow_target.py").write_text(SLOW_APP)
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llmconform",
            "run",
            "--target",
            "asgi:slow_target:app",
            "--model",
            "llmconform-reference",
            "--concurrency",
            "8",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, out


def wait_for_finished_cases(seconds: float) -> None:
    # Non-streamed cases finish within a fraction of a second; streams hang for 60 s.
    time.sleep(seconds)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_partial_report(tmp_path: Path, sig: signal.Signals) -> None:
    proc, out = start_run(tmp_path)
    wait_for_finished_cases(4.0)
    started = time.monotonic()
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 3, output
    assert time.monotonic() - started < 15
    report = json.loads((out / "report.json").read_text())
    assert report["info"]["complete"] is False
    outcomes = {c["case_id"]: c["outcome"] for c in report["cases"]}
    # Finished cases kept their results; nothing that never ran claims to have passed.
    assert outcomes.get("error.missing_model") == "pass"
    assert "stream.basic" not in outcomes or outcomes["stream.basic"] != "pass"
    assert "interrupted" in output
    # The target's cancelled streams are expected at shutdown, not tracebacks to show.
    assert "Traceback" not in output and "Exception in ASGI application" not in output


def test_a_second_interrupt_never_looks_like_a_conformance_failure(tmp_path: Path) -> None:
    # Wherever the second Ctrl-C lands (judging what finished, writing the report, stopping
    # the target), the exit code says "interrupted", never 1 ("conformance failures").
    proc, _ = start_run(tmp_path)
    wait_for_finished_cases(4.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode in (3, 130), output
    assert "Aborted!" not in output and "Traceback" not in output
    assert "interrupted" in output


def test_an_interrupt_before_the_report_exits_130_with_a_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    import llmconform.cli.run as run_cli
    from llmconform.cli.main import main

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_cli, "run_suite", interrupted)
    result = CliRunner().invoke(main, ["run", "-q"])
    assert result.exit_code == 130
    assert "interrupted again before the report was written" in result.output


def test_a_reader_that_leaves_early_does_not_change_the_exit_code(tmp_path: Path) -> None:
    # `llmconform run | head -1`: rich's default answer to the broken pipe was exit 1, which
    # CI reads as "conformance failures".
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmconform", "run", "-k", "chat.basic", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()  # the header, printed before any exchange
    proc.stdout.close()  # the reader leaves before the summary is printed
    errors = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "pass"
