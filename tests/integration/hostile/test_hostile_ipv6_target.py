"""An IPv6 target keeps its brackets in the report's label, and a malformed one (the
unbracketed label, a port out of range) is a usage error (exit 2), not a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from llmconform.transport.targets import describe

from server import KEY, HostileServer


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _run(target: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "llmconform", "run", "--target", target, "-k", "models"]
    args += ["--model", "hostile-model", "--out", str(tmp_path / "o"), "--timeout", "5"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_label_keeps_ipv6_brackets() -> None:
    assert describe("http://[::1]:8080/v1") == "http://[::1]:8080/v1"
    assert describe("http://user:pw@[::1]:8080/v1") == "http://[::1]:8080/v1"


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_ipv6_run_reports_a_label_that_works_as_a_target(tmp_path: Path) -> None:
    with HostileServer("ok", host="::1") as server:
        port = server.url.rsplit(":", 1)[1].split("/")[0]
        done = _run(f"http://[::1]:{port}/v1", tmp_path)
        assert done.returncode in (0, 1), done.stderr[-2000:]
        label = json.loads((tmp_path / "o" / "report.json").read_text())["info"]["target"]
        assert label == f"http://[::1]:{port}/v1"


@pytest.mark.parametrize("target", ["http://::1:8080/v1", "http://127.0.0.1:99999/v1"])
def test_malformed_url_is_a_usage_error(tmp_path: Path, target: str) -> None:
    done = _run(target, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "not valid" in done.stderr
