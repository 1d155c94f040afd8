"""The GitHub Action's steps, run locally: summary written, exit code passed on, no injection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def run_action(tmp_path: Path, **env: str) -> tuple[str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    full_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT / "tests"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "LLMCONFORM_OUT": str(tmp_path / "reports"),
        **env,
    }
    proc = subprocess.run(
        ["bash", str(ROOT / "action" / "run.sh")],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr  # the step itself never fails the job
    return summary.read_text(), output.read_text()


def test_action_step_on_a_conformant_target(tmp_path: Path) -> None:
    summary, output = run_action(
        tmp_path, LLMCONFORM_TARGET="reference", LLMCONFORM_ACTION_ARGS="--api openai -k models"
    )
    assert "exit-code=0" in output
    assert summary.startswith("# llmconform: CONFORMANT")
    assert (tmp_path / "reports" / "report.html").is_file()
    assert (tmp_path / "reports" / "badge.svg").is_file()


def test_action_step_passes_failures_on(tmp_path: Path) -> None:
    _, output = run_action(
        tmp_path,
        LLMCONFORM_TARGET="asgi:broken_servers:no_done_app",
        LLMCONFORM_ACTION_ARGS="-k stream.basic",
    )
    assert "exit-code=1" in output


def test_action_inputs_never_spliced_into_shell_code() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        script = step.get("run", "")
        assert "inputs." not in script, step.get("name")
    gate = action["runs"]["steps"][-1]
    assert "steps.run.outputs.exit-code" in gate["run"]


def test_action_args_are_split_as_a_shell_splits_them(tmp_path: Path) -> None:
    # A quoted -k expression is one argument, not three ("unexpected extra arguments").
    summary, output = run_action(
        tmp_path,
        LLMCONFORM_TARGET="reference",
        LLMCONFORM_ACTION_ARGS="--api openai -k \"models and not zzz\" --filter 'models'",
    )
    assert "exit-code=0" in output, summary
    assert summary.startswith("# llmconform: CONFORMANT")


def test_action_args_are_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _, output = run_action(
        tmp_path,
        LLMCONFORM_TARGET="reference",
        LLMCONFORM_ACTION_ARGS=f'-k "$(touch {marker})" `touch {marker}`',
    )
    assert not marker.exists()
    assert "exit-code=2" in output  # the literal text is an invalid -k and an extra argument


def test_action_args_with_an_unclosed_quote_are_a_usage_error(tmp_path: Path) -> None:
    summary, output = run_action(
        tmp_path, LLMCONFORM_TARGET="reference", LLMCONFORM_ACTION_ARGS='-k "stream'
    )
    assert "exit-code=2" in output
    assert "could not write a report" in summary
