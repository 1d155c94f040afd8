"""`llmconform report REPORT.json`: re-render a saved JSON report, without re-running.

The JSON report is the source of truth; every other format (Markdown, HTML, badges,
shields.io endpoints, JUnit) can be rebuilt from it, for instance after upgrading
llmconform or to add a format the run did not ask for. Exit codes: 0 written, 2 the report
file is missing or not a valid report (or a usage error), 3 the files could not be written.
"""

from __future__ import annotations

from pathlib import Path

import click

from llmconform import report as reports
from llmconform.cli.common import fail
from llmconform.errors import ExitCode

__all__ = ["report_command"]

_DEFAULT_FORMATS = ("html", "markdown")
_MAX_BYTES = 512 * 1024 * 1024  # a report larger than this is not one we wrote


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
        fail(f"cannot read {report_file}: {exc.strerror or exc}", ExitCode.USAGE)
    if len(data) > _MAX_BYTES:
        fail(f"{report_file}: larger than {_MAX_BYTES // 2**20} MiB", ExitCode.USAGE)
    try:
        run_report = reports.loads(data)
    except reports.ReportFormatError as exc:
        fail(f"{report_file}: {exc}", ExitCode.USAGE)
    out_dir = out if out is not None else report_file.parent
    try:
        paths = reports.write_reports(run_report, out_dir, formats or _DEFAULT_FORMATS)
    except OSError as exc:
        fail(f"cannot write reports into {out_dir}: {exc.strerror or exc}", ExitCode.COULD_NOT_RUN)
    for fmt, written in paths.items():
        more = f" (+{len(written) - 1} per-profile files)" if len(written) > 1 else ""
        click.echo(f"  {fmt:<8} report: {written[0]}{more}")
