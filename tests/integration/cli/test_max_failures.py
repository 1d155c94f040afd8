"""`-x/--exitfirst`, `--max-failures N` (a quick red signal) and `--no-color`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from llmconform.cli.main import main

BROKEN = ("--target", "asgi:broken_servers:no_done_app", "--api", "openai", "-k", "stream")


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def outcomes(out: Path) -> list[dict[str, str]]:
    return list(json.loads((out / "report.json").read_text())["cases"])


def test_exitfirst_stops_sending_after_the_first_failing_case(tmp_path: Path) -> None:
    full = invoke("run", *BROKEN, "--concurrency", "1", "--out", str(tmp_path / "all"))
    first = invoke("run", *BROKEN, "--concurrency", "1", "-x", "--out", str(tmp_path / "x"))
    assert full.exit_code == 1 and first.exit_code == 1, first.output
    cases = outcomes(tmp_path / "x")
    failed = [c for c in cases if c["outcome"] == "fail"]
    unsent = [c for c in cases if c["reason"].startswith("not sent: the run stopped early")]
    assert len(failed) == 1 and unsent
    assert all(c["outcome"] == "skip" for c in unsent)
    assert len([c for c in outcomes(tmp_path / "all") if c["outcome"] == "fail"]) > 1
    assert "Stopped early after 1 failing case" in first.output
    # The unsent cases have no evidence, and the cassette says why: the run still verifies.
    verified = invoke("verify", str(tmp_path / "x" / "report.json"), "--allow-filtered")
    assert verified.exit_code == 0, verified.output
    # Replayed, the unsent cases are again not sent rather than errors.
    replay = f"replay:{tmp_path / 'x' / 'cassette.jsonl'}"
    again = invoke("run", "--target", replay, "-k", "stream", "--out", str(tmp_path / "r"))
    assert again.exit_code == 1, again.output
    assert {c["case_id"]: c["outcome"] for c in outcomes(tmp_path / "r")} == {
        c["case_id"]: c["outcome"] for c in cases
    }


def test_max_failures_n_lets_n_cases_fail(tmp_path: Path) -> None:
    result = invoke(
        "run", *BROKEN, "--concurrency", "1", "--max-failures", "2", "--out", str(tmp_path)
    )
    assert result.exit_code == 1, result.output
    assert len([c for c in outcomes(tmp_path) if c["outcome"] == "fail"]) == 2


def test_exitfirst_and_another_max_failures_are_a_usage_error(tmp_path: Path) -> None:
    result = invoke("run", "-x", "--max-failures", "3", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--exitfirst" in result.output


def test_no_color_prints_no_escape_codes(tmp_path: Path) -> None:
    args = ("run", "--api", "openai", "-k", "models")
    coloured = invoke(*args, "--out", str(tmp_path / "a"), env={"FORCE_COLOR": "1"})
    plain = invoke(*args, "--no-color", "--out", str(tmp_path / "b"), env={"FORCE_COLOR": "1"})
    assert coloured.exit_code == plain.exit_code == 0
    # Colours and styles (SGR codes); a progress bar on a forced terminal still moves its cursor.
    sgr = re.compile(r"\x1b\[[0-9;]*m")
    assert sgr.search(coloured.output)
    assert not sgr.search(plain.output) and "CONFORMANT" in plain.output
