"""The packaged fixture cassettes, replayed offline: the reference passes, each defect fails
with exactly its named requirements (self-tests of the suite that need no server at all)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from llmconform.cli.main import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cassettes"
EXPECTED: dict[str, list[str]] = yaml.safe_load((FIXTURES / "expected.yaml").read_text())
KEYWORD = "chat.basic or stream.basic or stream.include_usage or error.missing_model"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_cassette_replays_to_its_expected_failures(name: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--target",
            f"replay:{FIXTURES / (name + '.jsonl')}",
            "-k",
            KEYWORD,
            "--out",
            str(tmp_path),
            "--no-record",
        ],
        catch_exceptions=False,
    )
    report = json.loads((tmp_path / "report.json").read_text())
    failed = {
        f["requirement"] for c in report["cases"] for f in c["findings"] if f["outcome"] == "fail"
    }
    assert failed == set(EXPECTED[name])
    assert result.exit_code == (1 if EXPECTED[name] else 0), result.output
    ran = {c["case_id"]: c["outcome"] for c in report["cases"] if c["outcome"] != "skip"}
    assert set(ran) == {"chat.basic", "stream.basic", "stream.include_usage", "error.missing_model"}
    assert set(ran.values()) <= {"pass", "fail"}
