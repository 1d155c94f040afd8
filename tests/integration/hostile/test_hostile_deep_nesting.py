"""A response nested 100,000 levels deep is the target's fault: a failing finding (exit 1),
never a crashed check (case `error`, exit 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import KEY, HostileServer


@pytest.mark.parametrize(
    ("behaviour", "case_id"), [("deep_json", "chat.basic"), ("deep_sse", "stream.basic")]
)
def test_deeply_nested_response_fails_its_case(
    hostile: HostileServer, tmp_path: Path, behaviour: str, case_id: str
) -> None:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", hostile.base(behaviour)]
    args += ["--model", "hostile-model", "-k", case_id, "--out", str(tmp_path / "o")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    (case,) = [c for c in report["cases"] if c["case_id"] == case_id]
    assert case["outcome"] == "fail", case
    failing = [f for f in case["findings"] if f["outcome"] == "fail"]
    assert failing and not [f for f in case["findings"] if f["outcome"] == "error"]
    assert "RecursionError" not in done.stdout + done.stderr
