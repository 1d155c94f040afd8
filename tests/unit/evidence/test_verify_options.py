"""verify reads the report's options through their typed form: an unknown key or a value of
the wrong type is a difference, never silently used to recompute the verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.settings import DEFAULTS
from llmconform.settings.run import read_options


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    result = invoke("run", "--out", str(out), "-q", "--api", "openai", "-k", "chat.basic")
    assert result.exit_code == 0, result.output
    return out / "report.json"


def _edited(report: Path, tmp: Path, key: str, value: object) -> Path:
    data = json.loads(report.read_text(encoding="utf-8"))
    data["info"]["options"][key] = value
    out = tmp / "report.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    (tmp / "cassette.jsonl").write_bytes((report.parent / "cassette.jsonl").read_bytes())
    return out


def test_the_honest_report_verifies(honest: Path) -> None:
    result = invoke("verify", str(honest), "--allow-filtered")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("key", "value"),
    [("strict", "yes"), ("profiles", "chat-core"), ("requests", 1.5), ("invented", 1)],
)
def test_a_mistyped_or_unknown_option_is_a_usage_error(
    honest: Path, tmp_path: Path, key: str, value: object
) -> None:
    # Not a report a run wrote: its recorded settings cannot be used to recompute it.
    result = invoke("verify", str(_edited(honest, tmp_path, key, value)), "--allow-filtered")
    assert result.exit_code == 2, result.output
    assert repr(key) in result.output


def test_the_settings_json_reads_back_without_problems() -> None:
    written = DEFAULTS.options_json(
        apis=["openai"],
        catalog_digest="sha256:x",
        transport="reference",
        cassette=None,
        failing_examples=None,
        waivers=[],
    )
    options, problems = read_options(dict(written))
    assert problems == []
    assert options == written
