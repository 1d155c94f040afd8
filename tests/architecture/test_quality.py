"""House rules as tests: ruff and `mypy --strict` are clean on src, tests, benchmarks, interop."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def _ruff() -> list[str]:
    """The ruff of this interpreter's environment, else the one on PATH (the venv's bin may
    not be on PATH)."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    if shutil.which("ruff") is not None:
        return ["ruff"]
    pytest.skip("ruff is not installed")


def test_ruff_is_clean() -> None:
    proc = _run(*_ruff(), "check", "src", "tests", "benchmarks", "interop")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean() -> None:
    # No paths: pyproject's [tool.mypy] names src/llmconform, tests and benchmarks, and the
    # mypy_path/explicit_package_bases that resolve the tests' top-level helper imports.
    pytest.importorskip("mypy")
    proc = _run(sys.executable, "-m", "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
