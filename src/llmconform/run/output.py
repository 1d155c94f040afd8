"""Where a run's results go: the report folder (made and tested before anything is sent)
and what the command prints (the JSON report, the verdict line or the full summary)."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from llmconform.engine.evaluate import STOPPED_EARLY_PREFIX
from llmconform.errors import UsageError
from llmconform.model import Outcome, RunReport
from llmconform.report import dumps, render_terminal, summary_line, verdict_label
from llmconform.settings import RunSettings


def tell(
    request: RunSettings,
    report: RunReport,
    paths: dict[str, list[Path]],
    notes: list[str],
    code: int,
    console: Console,
    stdout: TextIO,
) -> None:
    """What the run prints: the JSON report, the verdict line or the full summary."""
    if request.json_out:
        stdout.write(dumps(report))
        for note in notes:
            console.print(escape(note), highlight=False, soft_wrap=True)
        return
    if request.quiet:
        console.print(
            f"{verdict_label(report)}: {summary_line(report)}", highlight=False, soft_wrap=True
        )
        return
    html = paths.get("html") or []
    render_terminal(
        report, console, verbose=request.verbose, html_path=str(html[0]) if html else ""
    )
    for fmt, written in paths.items():
        more = f" (+{len(written) - 1} per-profile files)" if len(written) > 1 else ""
        # soft_wrap: a path broken across lines cannot be copied.
        console.print(f"  {fmt:<8} report: {written[0]}{more}", highlight=False, soft_wrap=True)
    for note in notes:
        console.print(f"[yellow]{escape(note)}[/]", highlight=False)
    if request.baseline is not None:
        console.print(f"baseline: exit code {code} (the report itself is unchanged)")
    if not report.info.complete:
        console.print("[yellow]The run was interrupted: the report is partial.[/]")
    unsent = sum(1 for c in report.cases if c.reason.startswith(STOPPED_EARLY_PREFIX))
    if request.max_failures and unsent:
        console.print(
            f"[yellow]Stopped early after {request.max_failures} failing case(s) "
            f"(--max-failures): {unsent} case(s) not sent. Not a certification run.[/]"
        )
    if report.counts.get(Outcome.ERROR.value):
        console.print("[yellow]Some cases could not be run (error): see the report.[/]")


def with_report_folder(request: RunSettings) -> RunSettings:
    """The request with its report folder created and known to be writable.

    A default folder (`fresh_out`, named by the start second) that already exists, because
    another run started in the same second, gets a suffix rather than mixing two runs'
    files. Raises `UsageError` when the folder cannot be created or written to.
    """
    if not (request.formats or request.record or request.write_baseline):
        return request
    folder = request.out_dir
    for n in range(2, 1002):  # bounded: a thousand runs in one second is not a real case
        try:
            folder.mkdir(parents=True, exist_ok=not request.fresh_out)
            with tempfile.TemporaryFile(dir=folder):
                pass
            break
        except FileExistsError:
            if not request.fresh_out or not folder.is_dir():
                raise UsageError(_unwritable(folder, "it exists and is not a folder")) from None
            folder = request.out_dir.with_name(f"{request.out_dir.name}-{n}")
        except OSError as exc:
            raise UsageError(_unwritable(folder, exc.strerror or str(exc))) from exc
    else:
        raise UsageError(_unwritable(request.out_dir, "too many runs started this second"))
    if request.write_baseline is not None:
        _check_baseline_path(request.write_baseline)
    record = request.record
    if record is not None and record.parent == request.out_dir:
        record = folder / record.name
    return replace(request, out_dir=folder, record=record)


def _check_baseline_path(path: Path) -> None:
    """--write-baseline is written after the run: a path it cannot be written to must fail
    before anything is sent, not after a paid run."""
    why = ""
    if path.is_dir():
        why = "it is a folder"
    else:
        try:
            with tempfile.TemporaryFile(dir=path.parent or Path(".")):
                pass
            if path.exists() and not os.access(path, os.W_OK):
                why = "the file is not writable"
        except OSError as exc:
            why = exc.strerror or str(exc)
    if why:
        raise UsageError(f"cannot write the baseline to {path}: {why}; choose another path")


def _unwritable(folder: Path, why: str) -> str:
    return f"cannot write the reports to {folder}: {why}; choose another folder with --out"


# Every file name a run may write into its report folder (reports, cassette, failing examples).
# Only these are ever removed: a file llmconform did not write is never touched.
OWN_FILES = (
    "report.json",
    "junit.xml",
    "report.md",
    "report.html",
    "badge.svg",
    "badge-*.svg",
    "shields.json",
    "shields-*.json",
    "cassette.jsonl",
    "failing-examples.jsonl",
)


def remove_stale(folder: Path, written: Iterable[Path]) -> list[Path]:
    """Remove the files an earlier run left in `folder` that this run did not write again.

    A reused `--out` otherwise keeps, say, an old failing-examples.jsonl or report.html beside
    the new report.json, read as this run's evidence. Only llmconform's own file names
    (`OWN_FILES`) are considered; anything else in the folder stays. Returns what was removed.
    """
    keep = {p.name for p in written if p.parent == folder}
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        entries = sorted(folder.iterdir())
        for path in entries:
            name = path.name
            if name in keep or not path.is_file() or path.is_symlink():
                continue
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in OWN_FILES):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
