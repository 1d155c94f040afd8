"""Report renderers: pure functions from a `RunReport` to text, plus `write_reports`.

- `json_report`: the JSON report (`to_dict`, `from_dict`, `dumps`, `loads`), the source of
  truth, validated against `schemas/report/report.v1.json`; bad input raises
  `ReportFormatError` (a `ValueError`).
- `junit`: `render_junit` for CI dashboards.
- `terminal`: `render_terminal` (rich) and `summary_line`.

`write_reports` is the only function here that touches the file system.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from llmconform.model import RunReport
from llmconform.report._common import verdict_label
from llmconform.report.json_report import ReportFormatError, dumps, from_dict, loads, to_dict
from llmconform.report.junit import render_junit
from llmconform.report.terminal import render_terminal, summary_line

__all__ = [
    "FORMATS",
    "ReportFormatError",
    "dumps",
    "from_dict",
    "loads",
    "render_junit",
    "render_terminal",
    "summary_line",
    "to_dict",
    "verdict_label",
    "write_reports",
]

# Format name -> (file name, renderer).
_WRITERS: dict[str, tuple[str, Callable[[RunReport], str]]] = {
    "json": ("report.json", dumps),
    "junit": ("junit.xml", render_junit),
}
FORMATS: tuple[str, ...] = tuple(_WRITERS)


def write_reports(report: RunReport, out_dir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Write the requested formats into `out_dir` (created if needed); return their paths.

    Each file is written to a temporary sibling and moved into place with `os.replace`, so
    an interrupted run leaves either the previous file or the new one, never half of one.
    Every format is rendered before anything is written, and an unknown format raises
    `ValueError` before the directory is touched.
    """
    unknown = sorted({f for f in formats if f not in _WRITERS})
    if unknown:
        raise ValueError(
            f"unknown report format(s): {', '.join(unknown)}; allowed: {', '.join(FORMATS)}"
        )
    rendered: dict[str, tuple[str, str]] = {}
    for fmt in dict.fromkeys(formats):  # de-duplicated, order kept
        name, render = _WRITERS[fmt]
        rendered[fmt] = (name, render(report))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt, (name, text) in rendered.items():
        path = out_dir / name
        _write_atomic(path, text.encode("utf-8"))
        paths[fmt] = path
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
