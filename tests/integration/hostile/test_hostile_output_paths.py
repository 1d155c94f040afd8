"""keygen, sign and --write-baseline into a place that cannot be written: exit 2 with a
message, and --write-baseline is checked before anything is sent to the target.

The unwritable place is a path below a regular file, which even root cannot create."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import KEY, HostileServer


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "llmconform", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    """A would-be folder whose parent is a regular file."""
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    return tmp_path / "a-file" / "sub"


def _usage_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, done.stdout[-1000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "cannot write" in done.stderr


def test_keygen_into_an_unwritable_folder(locked: Path, tmp_path: Path) -> None:
    _usage_error(_cli("keygen", "--out", str(locked / "keys"), cwd=tmp_path))
    _usage_error(_cli("keygen", "--out", str(locked), cwd=tmp_path))


def test_sign_beside_an_unwritable_report(tmp_path: Path) -> None:
    assert _cli("keygen", "--out", str(tmp_path), cwd=tmp_path).returncode == 0
    locked = tmp_path / "r"
    locked.mkdir()
    (locked / "report.json").write_text("{}", encoding="utf-8")
    (locked / "report.json.sig").mkdir()  # where the signature would go
    _usage_error(
        _cli(
            "sign",
            str(locked / "report.json"),
            "--key",
            str(tmp_path / "llmconform.key"),
            cwd=tmp_path,
        )
    )


def test_write_baseline_is_checked_before_anything_is_sent(
    hostile: HostileServer, locked: Path, tmp_path: Path
) -> None:
    before = len(hostile.requests)
    done = _cli(
        "run",
        "--target",
        hostile.base("ok"),
        "--model",
        "hostile-model",
        "-k",
        "models",
        "--out",
        str(tmp_path / "o"),
        "--write-baseline",
        str(locked / "known.yaml"),
        cwd=tmp_path,
    )
    _usage_error(done)
    assert len(hostile.requests) == before  # nothing was sent
