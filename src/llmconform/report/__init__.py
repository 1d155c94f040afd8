"""Report renderers: pure functions from a `RunReport` to text, plus `write_reports`.

- `json_report`: the JSON report (`to_dict`, `from_dict`, `dumps`, `loads`), the source of
  truth, validated against `schemas/report/report.v1.json`; bad input raises
  `ReportFormatError` (a `ValueError`).
- `junit`: `render_junit` for CI dashboards.
- `terminal`: `render_terminal` (rich) and `summary_line`.
- `markdown`: `render_markdown`, sized for a GitHub job summary.
- `html_report`: `render_html`, one self-contained page (no scripts, no network).
- `badge`: `render_badges` (SVG) and `render_shields` (shields.io endpoint JSON), one file
  for the run and one per profile.

`write_reports` is the only function here that touches the file system.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from llmconform.model import RunReport
from llmconform.report._common import verdict_label
from llmconform.report.badge import render_badges, render_shields
from llmconform.report.html_report import render_html
from llmconform.report.json_report import ReportFormatError, dumps, from_dict, loads, to_dict
from llmconform.report.junit import render_junit
from llmconform.report.markdown import render_markdown
from llmconform.report.terminal import render_terminal, summary_line

__all__ = [
    "FORMATS",
    "ReportFormatError",
    "dumps",
    "from_dict",
    "loads",
    "render_badges",
    "render_files",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_shields",
    "render_terminal",
    "summary_line",
    "to_dict",
    "verdict_label",
    "write_reports",
]

Renderer = Callable[[RunReport], dict[str, str]]


def _one(name: str, render: Callable[[RunReport], str]) -> Renderer:
    return lambda report: {name: render(report)}


# Format name -> renderer giving file name -> text. File names never collide across formats.
_WRITERS: dict[str, Renderer] = {
    "json": _one("report.json", dumps),
    "junit": _one("junit.xml", render_junit),
    "markdown": _one("report.md", render_markdown),
    "html": _one("report.html", render_html),
    "badge": render_badges,
    "shields": render_shields,
}
FORMATS: tuple[str, ...] = tuple(_WRITERS)


def render_files(report: RunReport, formats: Sequence[str]) -> dict[str, dict[str, str]]:
    """Format -> (file name -> text) for the requested formats, de-duplicated, order kept.

    Pure; raises `ValueError` naming the allowed formats for an unknown one.
    """
    unknown = sorted({f for f in formats if f not in _WRITERS})
    if unknown:
        raise ValueError(
            f"unknown report format(s): {', '.join(unknown)}; allowed: {', '.join(FORMATS)}"
        )
    return {fmt: _WRITERS[fmt](report) for fmt in dict.fromkeys(formats)}


def write_reports(
    report: RunReport, out_dir: Path, formats: Sequence[str]
) -> dict[str, list[Path]]:
    """Write the requested formats into `out_dir` (created if needed); return their paths.

    Most formats are one file; `badge` and `shields` write one for the run and one per
    profile, hence a list per format. Each file is written to a temporary sibling and moved
    into place with `os.replace`, so an interrupted run leaves either the previous file or
    the new one, never half of one. Every format is rendered before anything is written,
    and an unknown format raises `ValueError` before the directory is touched.
    """
    rendered = render_files(report, formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, list[Path]] = {}
    for fmt, files in rendered.items():
        paths[fmt] = []
        for name, text in files.items():
            path = out_dir / name
            _write_atomic(path, text.encode("utf-8"))
            paths[fmt].append(path)
    return paths


def _write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (temp file in the same directory + rename)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never follow or reuse an existing file; mode 0o666 lets the umask decide.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
