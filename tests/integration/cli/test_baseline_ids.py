"""`--baseline` names cases as waivers name requirements: an unknown id is a usage error."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from llmconform.cli.main import main


def test_an_unknown_baseline_case_is_rejected_with_the_closest_ids(tmp_path: Path) -> None:
    baseline = tmp_path / "known.yaml"
    baseline.write_text("known_failures:\n  - models.list\n  - chat.basci\n")
    result = CliRunner().invoke(
        main, ["run", "--baseline", str(baseline), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "unknown case 'chat.basci'" in result.output
    assert "did you mean chat.basic" in result.output
    assert not (tmp_path / "out").exists()  # rejected before anything was sent


def test_a_baseline_of_known_cases_is_accepted(tmp_path: Path) -> None:
    baseline = tmp_path / "known.yaml"
    baseline.write_text("known_failures: []\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--api",
            "openai",
            "-k",
            "models",
            "--baseline",
            str(baseline),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
