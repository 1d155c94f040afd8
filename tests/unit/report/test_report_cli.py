"""`llmconform report REPORT.json`: re-render a saved report, clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from llmconform.cli.main import main
from llmconform.model import RunReport
from llmconform.report import dumps, render_html, render_markdown, to_dict


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", *args], catch_exceptions=False)


@pytest.fixture
def saved(sample: RunReport, tmp_path: Path) -> Path:
    path = tmp_path / "run" / "report.json"
    path.parent.mkdir()
    path.write_text(dumps(sample), encoding="utf-8")
    return path


def test_default_formats_next_to_the_report(saved: Path, sample: RunReport) -> None:
    result = _invoke(str(saved))
    assert result.exit_code == 0, result.output
    folder = saved.parent
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "report.json", "report.md"]
    assert (folder / "report.html").read_text(encoding="utf-8") == render_html(sample)
    assert (folder / "report.md").read_text(encoding="utf-8") == render_markdown(sample)
    assert f"html     report: {folder / 'report.html'}" in result.output


def test_chosen_formats_into_another_folder(saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    result = _invoke(str(saved), "--format", "badge", "--format", "shields", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "badge.svg" in names and "badge-chat-core.svg" in names
    assert "shields.json" in names and "shields-embeddings.json" in names
    assert len(names) == 10
    assert f"badge    report: {out / 'badge.svg'} (+4 per-profile files)" in result.output
    assert sorted(p.name for p in saved.parent.iterdir()) == ["report.json"]


def test_json_re_render_is_identical(saved: Path, tmp_path: Path) -> None:
    result = _invoke(str(saved), "--format", "json", "--out", str(tmp_path / "copy"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copy" / "report.json").read_bytes() == saved.read_bytes()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = _invoke(str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "error: cannot read" in result.output and "nope.json" in result.output
    assert "Traceback" not in result.output


def test_a_directory_is_not_a_report(tmp_path: Path) -> None:
    result = _invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "cannot read" in result.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'{"format": "sarif"}', "not an llmconform report"),
        (b"[]", "expected a JSON object"),
    ],
)
def test_invalid_file_exits_2(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    result = _invoke(str(path))
    assert result.exit_code == 2
    assert fragment in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_schema_violation_names_the_place(saved: Path, sample: RunReport) -> None:
    doc = to_dict(sample)
    doc["profiles"][0]["verdict"] = "probably fine"
    saved.write_text(json.dumps(doc), encoding="utf-8")
    result = _invoke(str(saved))
    assert result.exit_code == 2
    assert "$.profiles[0].verdict" in result.output


def test_unknown_format_is_a_usage_error(saved: Path) -> None:
    result = _invoke(str(saved), "--format", "pdf")
    assert result.exit_code == 2
    assert "pdf" in result.output


def test_unwritable_output_exits_3(saved: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = _invoke(str(saved), "--out", str(blocker / "sub"))
    assert result.exit_code == 3
    assert "cannot write reports" in result.output


def test_run_accepts_every_report_format() -> None:
    result = CliRunner().invoke(main, ["run", "--help"])
    assert "[json|junit|markdown|html|badge|shields]" in result.output
