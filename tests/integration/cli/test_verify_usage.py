"""`llmconform verify` on a file that is not a report: a usage error, not a failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from llmconform.cli.main import main


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("junit.xml", '<?xml version="1.0"?><testsuites/>'),
        ("report.json", "{}"),
        ("report.json", "not json at all"),
    ],
)
def test_verify_of_a_file_that_is_not_a_report_is_a_usage_error(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(main, ["verify", str(path)])
    assert result.exit_code == 2, result.output
    assert "not a valid llmconform report" in result.output
