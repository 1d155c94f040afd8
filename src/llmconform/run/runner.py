"""`llmconform run`: open the target, drive pytest in-process, build and write the report.

pytest is the runner; this module only wires it up: plugin autoload off (a user's plugins
cannot interfere), no conftest, no cache, our own ini file, and the terminal reporter
replaced by a rich progress bar and summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pytest
from rich.console import Console

from llmconform import EDITION, __version__
from llmconform.catalog.loader import conformance_dir, load_catalog
from llmconform.checks import known_checks
from llmconform.engine import select
from llmconform.engine.aggregate import build_report, exit_code
from llmconform.engine.redaction import redact
from llmconform.engine.waivers import (
    apply_waivers,
    compare_with_baseline,
    dump_baseline,
    waived_requirements,
)
from llmconform.errors import ExitCode, UsageError
from llmconform.model import CaseResult, RunInfo, RunReport
from llmconform.model.work import Connection
from llmconform.pytest.conformance_run import ConformanceRun
from llmconform.report import write_reports
from llmconform.run.evidence import record_cassette, record_failing_examples
from llmconform.run.guards import (
    DeferredInterrupt,
    QuitOnInterrupt,
    no_plugin_autoload,
    sigterm_as_interrupt,
)
from llmconform.run.output import remove_stale, tell, with_report_folder
from llmconform.run.progress import progress_for
from llmconform.settings import RunSettings
from llmconform.transport.targets import (
    OpenTarget,
    TargetError,
    TargetUnreachable,
    discover_model,
    open_target,
)


def pytest_args(keyword: str | None) -> list[str]:
    """Arguments that isolate the in-process pytest from the user's folder and plugins."""
    ini = Path(__file__).with_name("pytest-embedded.ini")
    args = [
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        # Its cleanup runs gc.collect() repeatedly at exit to surface stray finalizer errors:
        # ~0.4 s of a run once the SDKs are imported, for warnings nobody here would read.
        "-p",
        "no:unraisableexception",
        "-p",
        "no:logging",  # llmconform logs nothing through it; three context managers per item
        "--capture=no",
        # No test module is imported here, so nothing to rewrite asserts in; the import hook
        # otherwise scans every installed distribution for plugins first (~3 ms a run).
        "--assert=plain",
        "--noconftest",
        "-c",
        str(ini),
        "--rootdir",
        str(ini.parent),
        str(conformance_dir()),
    ]
    if keyword:
        args += ["-k", keyword]
    return args


def execute_run(
    request: RunSettings,
    target: OpenTarget,
    console: Console,
    writing: DeferredInterrupt | None = None,
) -> RunReport:
    """Run the suite against an open target and return the report (no report written; the
    cassette is). `writing`, when given, is started the moment the exchanges end: from then
    on an interrupt no longer stops anything before the files are on disk."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    model = request.model or target.default_model or ""
    # With a given model the first exchanges go out at once, a probe beside them that stops
    # a run nothing answers; without one, discovering it reaches the target first anyway.
    probe = bool(model) and target.kind != "replay"
    limits = request.limits
    if target.kind != "replay" and not model:
        t0 = time.monotonic()
        conn = Connection(target.base_url, target.api_key, target.kind, request.verify_tls)
        model = discover_model(conn, limits, target.label, request.api_key_env)
        model = redact(model, target.api_key)  # a hostile target could echo the key as an id
        # The lookup spent part of the run's deadline: the exchanges get what is left.
        spent = time.monotonic() - t0
        limits = replace(limits, run_deadline_s=max(0.1, limits.run_deadline_s - spent))
    # The settings the run was asked for, with what opening the target decided.
    options = replace(request, model=model, api_key=target.api_key, limits=limits)
    claimed = set(request.profiles)
    # A replay tests what its recording run tested (else only OpenAI, a URL's default).
    apis = request.apis or target.apis or select.default_apis(target.kind)
    plugin = ConformanceRun(
        options,
        progress_for(console),
        target=target,
        case_filter=lambda case: select.selected(case, plugin.catalog, apis, claimed),
        probe=probe,
    )
    with no_plugin_autoload(), sigterm_as_interrupt():
        status = pytest.main(pytest_args(request.keyword), plugins=[plugin])
    if writing is not None:  # at once: SIGTERM's default handler kills without a word
        writing.start()
    if plugin.unreachable is not None:
        raise plugin.unreachable
    if plugin.refused is not None:
        raise plugin.refused
    complete = status in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not (
        plugin.interrupted
    )
    if status == pytest.ExitCode.INTERRUPTED:
        plugin.judge_finished()
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise UsageError(_nothing_selected(request.keyword, apis, claimed))
    if status == pytest.ExitCode.USAGE_ERROR:
        raise UsageError(
            f"invalid -k/--filter expression {request.keyword!r}; use case ids "
            "joined with and/or/not, e.g. 'stream and not n_choices'"
        )
    results: list[CaseResult] = list(plugin.results.values())
    waiver_status: list[dict[str, Any]] = []
    if request.waivers:
        results, waiver_status = apply_waivers(results, request.waivers, datetime.now(UTC).date())
    finished = datetime.now(UTC).isoformat(timespec="seconds")

    def options_json(
        cassette: dict[str, str] | None, examples: dict[str, str] | None
    ) -> dict[str, Any]:
        return dict(
            request.options_json(
                apis=sorted(apis),
                catalog_digest=plugin.catalog.digest(),
                transport=target.kind,
                cassette=cassette,
                failing_examples=examples,
                waivers=waiver_status,
            )
        )

    evidence: dict[str, str] = {}
    failing_examples: dict[str, str] = {}
    if request.record is not None:
        examples = request.record.with_name("failing-examples.jsonl")
        failing_examples = record_failing_examples(examples, plugin, results, target)
        # What the report will state that the exchanges cannot show, recorded with them so
        # that `verify` can hold the report to it; the header cannot hold its own hash.
        stated = {
            "started_at": started,
            "finished_at": finished,
            "complete": complete,
            "options": options_json({"path": request.record.name}, failing_examples or None),
        }
        evidence = record_cassette(
            request.record, plugin, target, model, request.redact_headers, apis, stated, results
        )
    info = RunInfo(
        llmconform_version=__version__,
        edition=EDITION,
        target=target.label,
        model=model,
        started_at=started,
        finished_at=finished,
        complete=complete,
        options=options_json(evidence or None, failing_examples or None),
        capabilities=tuple(sorted(plugin.capabilities)),
    )
    return build_report(
        info,
        results,
        plugin.catalog.requirements,
        strict=request.strict,
        profiles=request.profiles or None,
        waived=waived_requirements(waiver_status),
        profile_apis=plugin.catalog.profile_apis,
        case_requires={c.id: c.requires for c in plugin.catalog.cases.values()},
    )


def _nothing_selected(keyword: str | None, apis: AbstractSet[str], claimed: set[str]) -> str:
    scope = [f"API families: {', '.join(sorted(apis))}"]
    if claimed:
        scope.append(f"profiles: {', '.join(sorted(claimed))}")
    what = f"-k/--filter {keyword!r}" if keyword else "the selection"
    return (
        f"no case matches {what} ({'; '.join(scope)}): nothing was run. "
        "'llmconform list' shows every case id and its profiles"
    )


def known_profiles() -> list[str]:
    """Every profile named in the packaged catalog."""
    return select.known_profiles(load_catalog(known_checks=known_checks()))


def run_suite(request: RunSettings, console: Console, stdout: TextIO | None = None) -> int:
    """The whole `llmconform run`: returns the process exit code.

    With `json_out` the report goes to `stdout` (default: the process's) and nothing else
    does; `console` (stderr then) still gets the notes a CI log needs (baseline, waivers)."""
    progress_console = console if not (request.quiet or request.json_out) else _silent()
    existed = request.out_dir.exists()
    # Before anything is sent: a report that cannot be written must not cost a paid run.
    request = with_report_folder(request)
    try:
        return _run_and_tell(request, console, progress_console, stdout or sys.stdout)
    except (UsageError, TargetError, TargetUnreachable):
        if not existed:  # nothing ran: leave no empty report folder behind
            with contextlib.suppress(OSError):
                request.out_dir.rmdir()
        raise


def _run_and_tell(
    request: RunSettings, console: Console, progress_console: Console, stdout: TextIO
) -> int:
    # Once the report is on disk, an interrupt (while the target stops, an in-process server
    # winding down its streams, or while the summary prints) ends the run with its own exit
    # code and says where the report is, instead of click's "Aborted!" (exit 1).
    with QuitOnInterrupt() as written:
        with open_target(request.target, request.api_key) as target:
            writing = DeferredInterrupt()
            try:
                report = execute_run(request, target, progress_console, writing)
                paths = write_reports(report, request.out_dir, request.formats)
                remove_stale(request.out_dir, _evidence_written(request, report, paths))
                if request.write_baseline is not None:
                    request.write_baseline.write_text(dump_baseline(report), encoding="utf-8")
            except KeyboardInterrupt:
                if not writing.interrupted:
                    raise  # before the exchanges ended: the CLI says nothing was saved
                console.print(
                    "[yellow]interrupted again while the run's files were written: "
                    "abandoned (a file already written is whole)[/]"
                )
                return ExitCode.INTERRUPTED
            finally:
                writing.stop()
            # An interrupt that arrived while the files were written: the run was stopped.
            stopped = not report.info.complete or writing.interrupted
            code = ExitCode.COULD_NOT_RUN if stopped else exit_code(report)
            where = f" in {request.out_dir}" if paths else ""
            note = f"interrupted after the report was written{where}"
            written.arm(code, note)
        notes: list[str] = []
        if writing.interrupted and report.info.complete:
            notes.append("interrupted while the run's files were written: they are whole (exit 3)")
        if request.baseline is not None and not stopped:
            new, stale = compare_with_baseline(report, set(request.baseline))
            notes += [f"new failure (not in the baseline): {cid}" for cid in new]
            notes += [f"stale baseline entry (it passes now; remove it): {cid}" for cid in stale]
            # The baseline decides failures; a run that tested nothing still passes nothing.
            ok = ExitCode.NOTHING_TESTED if code is ExitCode.NOTHING_TESTED else ExitCode.OK
            code = ExitCode.FAILURES if new or stale else ok
            written.arm(code, note)
        for w in report.info.options.get("waivers") or []:
            if w.get("status") == "expired":
                notes.append(f"waiver for {w['requirement']} expired on {w['expires']}: ignored")
        # `llmconform run | head`: the reader may leave (cli_common.PipeConsole then points
        # stdout at /dev/null). The reports are written; the exit code stays the run's.
        with contextlib.suppress(BrokenPipeError):
            tell(request, report, paths, notes, code, console, stdout)
    return code


def _evidence_written(
    request: RunSettings, report: RunReport, paths: dict[str, list[Path]]
) -> list[Path]:
    """Every file this run wrote into its report folder: reports, cassette, examples."""
    written = [p for files in paths.values() for p in files]
    if request.record is not None:
        written.append(request.record)
        examples = report.info.options.get("failing_examples") or {}
        if examples.get("path"):
            written.append(request.record.with_name(str(examples["path"])))
    return written


def _silent() -> Console:
    return Console(file=open(os.devnull, "w"))
