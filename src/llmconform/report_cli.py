"""`llmconform report REPORT.json`: re-render a saved JSON report, without re-running.

The JSON report is the source of truth; every other format (Markdown, HTML, badges,
shields.io endpoints, JUnit) can be rebuilt from it, for instance after upgrading
llmconform or to add a format the run did not ask for. Exit codes: 0 written, 2 the report
file is missing or not a valid report (or a usage error), 3 the files could not be written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape

from llmconform import report as reports

__all__ = ["report_command"]

_EXIT_USAGE = 2
_EXIT_COULD_NOT_WRITE = 3
_DEFAULT_FORMATS = ("html", "markdown")
_MAX_BYTES = 512 * 1024 * 1024  # a report larger than this is not one we wrote


def _fail(message: str, code: int) -> NoReturn:
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    sys.exit(code)


@click.command("report", short_help="Re-render a saved JSON report in other formats.")
@click.argument("report_file", metavar="REPORT.json", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(reports.FORMATS),
    help="Formats to write (repeatable) [default: html and markdown].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files [default: the folder of REPORT.json].",
)
def report_command(report_file: Path, formats: tuple[str, ...], out: Path | None) -> None:
    """Re-render a saved JSON report (REPORT.json) in other formats, without re-running."""
    try:
        with report_file.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        _fail(f"cannot read {report_file}: {exc.strerror or exc}", _EXIT_USAGE)
    if len(data) > _MAX_BYTES:
        _fail(f"{report_file}: larger than {_MAX_BYTES // 2**20} MiB", _EXIT_USAGE)
    try:
        run_report = reports.loads(data)
    except reports.ReportFormatError as exc:
        _fail(f"{report_file}: {exc}", _EXIT_USAGE)
    out_dir = out if out is not None else report_file.parent
    try:
        paths = reports.write_reports(run_report, out_dir, formats or _DEFAULT_FORMATS)
    except OSError as exc:
        _fail(f"cannot write reports into {out_dir}: {exc.strerror or exc}", _EXIT_COULD_NOT_WRITE)
    for fmt, written in paths.items():
        more = f" (+{len(written) - 1} per-profile files)" if len(written) > 1 else ""
        click.echo(f"  {fmt:<8} report: {written[0]}{more}")
