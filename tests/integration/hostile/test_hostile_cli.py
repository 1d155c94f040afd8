"""End to end: `llmconform run` against hostile targets, in subprocesses run side by side.

Every run must end with exit code 1 or 3 (never a traceback), write a valid report.json
listing every selected case, and keep the API key out of every file and of stdout/stderr.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from llmconform.evidence import cassette
from llmconform.schema.validation import validate

from server import KEY, HostileServer, closed_port

SELECTED = ["chat.basic", "stream.basic", "models.list", "error.missing_model", "auth.invalid_key"]
# A 2 MiB cap: every case of a huge-body target is cut, and the cassette holds them all.
# A 2 MiB cap: every case of a huge-body target is cut, and the cassette holds them all.
FAST = ["--timeout", "5", "--idle-timeout", "2", "--concurrency", "8", "--max-body-mb", "2"]
BEHAVIOURS = ["echo", "reset", "silent", "gzip_bomb", "huge_line", "redirect"]
# Shared, loaded CI machines are slow to start Python: a generous bound that still proves
# nothing hangs (a hang would reach the 60 s communicate() timeout).
RUN_BUDGET_S = 45


@dataclass
class Run:
    """A finished CLI run."""

    code: int
    stdout: str
    stderr: str
    out: Path
    seconds: float


def _start(target: str, out: Path, *extra: str) -> tuple[subprocess.Popen[str], float]:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1", "COLUMNS": "120"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", target, "--model"]
    args += ["hostile-model", "-k", " or ".join(SELECTED), "--out", str(out), *FAST, *extra]
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=out.parent
    )
    return proc, time.monotonic()


@pytest.fixture(scope="module")
def runs(
    hostile: HostileServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Run]]:
    """Every hostile run at once (they are I/O bound), keyed by behaviour."""
    root = tmp_path_factory.mktemp("hostile-cli")
    started = {
        name: _start(hostile.base(name), root / name) for name in [*BEHAVIOURS, "echo_split"]
    }
    started["refused"] = _start(f"http://127.0.0.1:{closed_port()}/v1", root / "refused")
    # Without the deadline this run would wait 60 s for the silent target.
    started["deadline"] = _start(
        hostile.base("silent"),
        root / "deadline",
        *("--deadline", "1", "--timeout", "60", "--idle-timeout", "60"),
    )
    done: dict[str, Run] = {}
    for name, (proc, t0) in started.items():
        stdout, stderr = proc.communicate(timeout=60)
        done[name] = Run(proc.returncode, stdout, stderr, root / name, time.monotonic() - t0)
    yield done


def _leaks(run: Run) -> list[str]:
    """Where the key appears: plain, or base64 at any alignment (cassettes hold bodies so)."""
    needles = [KEY.encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + KEY.encode())[4 if shift else 0 :]
        needles.append(encoded[:-4])  # drop the padding-dependent tail
    found = [name for name, text in (("stdout", run.stdout), ("stderr", run.stderr))
             if KEY in text]  # fmt: skip
    if run.out.exists():
        for path in run.out.rglob("*"):
            data = path.read_bytes() if path.is_file() else b""
            found += [str(path.name) for n in needles if n in data]
        cassette_file = run.out / "cassette.jsonl"
        if cassette_file.exists():  # bodies are stored per read: join them to search
            recorded = cassette.loads(cassette_file.read_text())
            bodies = [c.body for captures in recorded.cases.values() for c in captures]
            found += ["cassette body" for body in bodies if KEY.encode() in body]
    return found


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_hostile_run_ends_cleanly_with_a_full_report(runs: dict[str, Run], behaviour: str) -> None:
    run = runs[behaviour]
    assert run.code in (1, 3), run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr, (run.stdout + run.stderr)[-4000:]
    assert (run.out / "report.json").is_file(), (run.stdout + run.stderr)[-4000:]
    report = json.loads((run.out / "report.json").read_text())
    assert validate(report, "urn:llmconform:schema:report/report.v1") == []
    outcomes = {c["case_id"]: c["outcome"] for c in report["cases"]}
    assert set(SELECTED) <= set(outcomes)
    assert outcomes["chat.basic"] in ("fail", "error")
    assert run.seconds < RUN_BUDGET_S
    assert _leaks(run) == []


def test_echoed_key_is_redacted_in_the_report(runs: dict[str, Run]) -> None:
    report = json.loads((runs["echo"].out / "report.json").read_text())
    excerpts = [e["response_excerpt"] for c in report["cases"] for e in c.get("exchanges", [])]
    assert any("Bearer [REDACTED]" in x for x in excerpts)


def test_key_split_across_reads_never_reaches_any_file(runs: dict[str, Run]) -> None:
    run = runs["echo_split"]
    assert run.code in (1, 3) and "Traceback" not in run.stdout + run.stderr
    assert _leaks(run) == []


def test_huge_line_and_gzip_bomb_report_the_size_cap(runs: dict[str, Run]) -> None:
    for name, case_id in (("huge_line", "stream.basic"), ("gzip_bomb", "chat.basic")):
        report = json.loads((runs[name].out / "report.json").read_text())
        case = next(c for c in report["cases"] if c["case_id"] == case_id)
        messages = [f["message"] for f in case["findings"] if f["requirement"] == "HTTP-003"]
        assert messages and "raise --max-body-mb" in messages[0], case


def test_refused_target_exits_3_with_advice(runs: dict[str, Run]) -> None:
    run = runs["refused"]
    assert run.code == 3
    assert "cannot reach" in run.stderr and "Traceback" not in run.stderr
    assert KEY not in run.stdout + run.stderr


def test_run_deadline_marks_the_report_incomplete(runs: dict[str, Run]) -> None:
    run = runs["deadline"]
    assert run.code == 3, run.stdout + run.stderr
    assert run.seconds < RUN_BUDGET_S
    report = json.loads((run.out / "report.json").read_text())
    assert report["info"]["complete"] is False
    assert report["info"]["options"]["run_deadline_s"] == 1
    cut = [c for c in report["cases"] if c["reason"].startswith("run deadline reached")]
    assert cut and all(c["outcome"] == "error" for c in cut)
    assert _leaks(run) == []
