"""write_reports: the file-writing edge, atomic replacement, format validation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from llmconform.model import RunReport
from llmconform.report import (
    FORMATS,
    dumps,
    loads,
    render_badges,
    render_html,
    render_junit,
    render_markdown,
    render_shields,
    write_reports,
)


def test_writes_both_formats_and_returns_paths(sample: RunReport, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    paths = write_reports(sample, out, ["json", "junit"])
    assert paths == {"json": [out / "report.json"], "junit": [out / "junit.xml"]}
    assert paths["json"][0].read_text(encoding="utf-8") == dumps(sample)
    assert paths["junit"][0].read_text(encoding="utf-8") == render_junit(sample)
    assert loads(paths["json"][0].read_bytes()) == sample
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.json"]


def test_only_the_requested_format(sample: RunReport, tmp_path: Path) -> None:
    assert write_reports(sample, tmp_path, ("junit", "junit")) == {
        "junit": [tmp_path / "junit.xml"]
    }
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]
    assert write_reports(sample, tmp_path / "none", []) == {}


def test_unknown_format_lists_the_allowed_ones(sample: RunReport, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(
        ValueError,
        match=r"unknown report format\(s\): pdf, sarif; "
        r"allowed: json, junit, markdown, html, badge, shields$",
    ):
        write_reports(sample, out, ["json", "pdf", "sarif"])
    assert not out.exists()
    assert FORMATS == ("json", "junit", "markdown", "html", "badge", "shields")


def test_replaces_an_existing_file(sample: RunReport, build: Any, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("old", encoding="utf-8")
    write_reports(sample, tmp_path, ["json"])
    assert loads((tmp_path / "report.json").read_text(encoding="utf-8")) == sample


def test_files_honour_the_umask(sample: RunReport, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        (path,) = write_reports(sample, tmp_path, ["json"])["json"]
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("broken", ["fsync", "replace"])
def test_interrupted_write_keeps_the_old_file_and_no_temp(
    sample: RunReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    (tmp_path / "report.json").write_text("previous report", encoding="utf-8")

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, broken, interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_reports(sample, tmp_path, ["json"])
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "previous report"


def test_a_report_that_cannot_render_writes_nothing(build: Any, tmp_path: Path) -> None:
    report = build.report((build.case("x", duration_ms=float("inf")),))
    with pytest.raises(ValueError):
        write_reports(report, tmp_path, ["junit", "json"])
    assert list(tmp_path.iterdir()) == []


def test_every_format_with_one_file_per_profile(sample: RunReport, tmp_path: Path) -> None:
    paths = write_reports(sample, tmp_path, FORMATS)
    assert list(paths) == list(FORMATS)
    assert paths["markdown"] == [tmp_path / "report.md"]
    assert paths["html"] == [tmp_path / "report.html"]
    assert [p.name for p in paths["badge"]] == [
        "badge.svg",
        "badge-chat-core.svg",
        "badge-chat-streaming.svg",
        "badge-errors-and-auth.svg",
        "badge-embeddings.svg",
    ]
    assert [p.name for p in paths["shields"]] == [
        "shields.json",
        "shields-chat-core.json",
        "shields-chat-streaming.json",
        "shields-errors-and-auth.json",
        "shields-embeddings.json",
    ]
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for ps in paths.values() for p in ps)  # no temp left
    assert paths["markdown"][0].read_text(encoding="utf-8") == render_markdown(sample)
    assert paths["html"][0].read_text(encoding="utf-8") == render_html(sample)
    badges, shields = render_badges(sample), render_shields(sample)
    for path in paths["badge"]:
        assert path.read_text(encoding="utf-8") == badges[path.name]
    for path in paths["shields"]:
        assert path.read_text(encoding="utf-8") == shields[path.name]


def test_hostile_profile_names_stay_inside_the_folder(
    build: Any, sample: RunReport, tmp_path: Path
) -> None:
    names = ["../../escape", "/etc/passwd", ".hidden", "a/b", "a\\b", "CON", "x" * 300]
    report = build.report(profiles=tuple(build.profile(n) for n in names))
    out = tmp_path / "out"
    paths = write_reports(report, out, ["badge", "shields"])
    files = [p for ps in paths.values() for p in ps]
    assert len(files) == 2 * (len(names) + 1)
    assert all(p.parent == out for p in files)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)
    assert list(tmp_path.iterdir()) == [out]
