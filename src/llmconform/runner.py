"""`llmconform run`: open the target, drive pytest in-process, build and write the report.

pytest is the runner; this module only wires it up: plugin autoload off (a user's plugins
cannot interfere), no conftest, no cache, our own ini file, and the terminal reporter
replaced by a rich progress bar and summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pytest
from rich.console import Console
from rich.markup import escape

from llmconform import EDITION, __version__
from llmconform.catalog import conformance_dir, load_catalog
from llmconform.checks import known_checks
from llmconform.conformance_run import ConformanceRun, RunOptions
from llmconform.engine import select
from llmconform.engine.aggregate import build_report, exit_code
from llmconform.engine.executor import Limits
from llmconform.engine.redaction import redact
from llmconform.engine.waivers import (
    apply_waivers,
    compare_with_baseline,
    dump_baseline,
    waived_requirements,
)
from llmconform.metrics.latency import PRESETS
from llmconform.model import CaseResult, Outcome, RunInfo, RunReport
from llmconform.report import dumps, render_terminal, summary_line, verdict_label, write_reports
from llmconform.run_evidence import record_cassette, record_failing_examples
from llmconform.run_guards import (
    QuitOnInterrupt,
    no_plugin_autoload,
    second_interrupt_quits,
    sigterm_as_interrupt,
)
from llmconform.run_progress import progress_for
from llmconform.targets import OpenTarget, discover_model, open_target


@dataclass(frozen=True)
class RunRequest:
    """Everything `llmconform run` was asked to do (the key is a secret: not in repr)."""

    target: str = "reference"
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str = "LLMCONFORM_API_KEY"
    restricted_key: str | None = field(default=None, repr=False)  # for the 403 cases
    concurrency: int = 4
    limits: Limits = field(default_factory=Limits)
    out_dir: Path = Path("reports")
    fresh_out: bool = False  # out_dir is a default name: if taken, use name-2, name-3, …
    formats: tuple[str, ...] = ("json", "junit")
    keyword: str | None = None
    capabilities: frozenset[str] | None = None
    verify_tls: bool = True
    verbose: bool = False
    apis: frozenset[str] | None = None  # `--api` families; None: all for the reference, else openai
    profiles: tuple[str, ...] = ()  # claimed profiles; () = every profile
    strict: bool = False  # SHOULD warnings fail certification
    embedding_model: str = ""  # for /embeddings cases; default: --model
    completion_model: str = ""  # for legacy /completions cases; default: --model
    requests: int = 100  # samples per latency case
    warmup: int = 3
    latency: dict[str, float] = field(default_factory=lambda: dict(PRESETS["mlperf-server"]))
    record: Path | None = None  # write a cassette of every exchange here
    redact_headers: frozenset[str] = frozenset()  # more response headers kept out of cassettes
    waivers: tuple[dict[str, Any], ...] = ()  # validated by config.parse_waivers
    baseline: frozenset[str] | None = None  # case ids known to fail (CI gating only)
    write_baseline: Path | None = None
    quiet: bool = False  # only the verdict line
    json_out: bool = False  # the JSON report on stdout, nothing else
    accuracy_thresholds: dict[str, float] = field(default_factory=dict)


class RunUsageError(ValueError):
    """The run was asked for something malformed (e.g. a bad -k expression)."""


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


def execute_run(request: RunRequest, target: OpenTarget, console: Console) -> RunReport:
    """Run the suite against an open target and return the report (no files written)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    model = request.model or target.default_model
    # With a given model the first exchanges go out at once, a probe beside them that stops
    # a run nothing answers; without one, discovering it reaches the target first anyway.
    probe = bool(model) and target.kind != "replay"
    if target.kind == "replay":
        model = model or ""
    elif not model:
        model = discover_model(
            target.base_url,
            target.api_key,
            request.limits.idle_timeout_s,
            verify_tls=request.verify_tls,
        )
        model = redact(model, target.api_key)  # a hostile target could echo the key as an id
    options = RunOptions(
        target=request.target,
        model=model,
        api_key=target.api_key,
        restricted_key=request.restricted_key,
        concurrency=request.concurrency,
        limits=request.limits,
        capabilities=request.capabilities,
        verify_tls=request.verify_tls,
        embedding_model=request.embedding_model,
        completion_model=request.completion_model,
        requests=request.requests,
        warmup=request.warmup,
        latency=dict(request.latency),
        accuracy_thresholds=dict(request.accuracy_thresholds),
    )
    claimed = set(request.profiles)
    apis = request.apis or select.default_apis(target.kind)
    plugin = ConformanceRun(
        options,
        progress_for(console),
        target=target,
        case_filter=lambda case: select.selected(case, plugin.catalog, apis, claimed),
        probe=probe,
    )
    with no_plugin_autoload(), sigterm_as_interrupt():
        status = pytest.main(pytest_args(request.keyword), plugins=[plugin])
    if plugin.unreachable is not None:
        raise plugin.unreachable
    complete = status in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not (
        plugin.interrupted
    )
    if status == pytest.ExitCode.INTERRUPTED:
        plugin.judge_finished()
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise RunUsageError(_nothing_selected(request.keyword, apis, claimed))
    if status == pytest.ExitCode.USAGE_ERROR:
        raise RunUsageError(
            f"invalid -k/--filter expression {request.keyword!r}; use case ids "
            "joined with and/or/not, e.g. 'stream and not n_choices'"
        )
    results: list[CaseResult] = list(plugin.results.values())
    waiver_status: list[dict[str, Any]] = []
    if request.waivers:
        results, waiver_status = apply_waivers(results, request.waivers, datetime.now(UTC).date())
    evidence: dict[str, str] = {}
    failing_examples: dict[str, str] = {}
    if request.record is not None:
        evidence = record_cassette(request.record, plugin, target, model, request.redact_headers)
        examples = request.record.with_name("failing-examples.jsonl")
        failing_examples = record_failing_examples(examples, plugin, results, target)
    info = RunInfo(
        llmconform_version=__version__,
        edition=EDITION,
        target=target.label,
        model=model,
        started_at=started,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        complete=complete,
        options={
            "concurrency": request.concurrency,
            "timeout_s": request.limits.timeout_s,
            "idle_timeout_s": request.limits.idle_timeout_s,
            "run_deadline_s": request.limits.run_deadline_s,
            "max_body_bytes": request.limits.max_body_bytes,
            "api_key_env": request.api_key_env if request.api_key else None,
            "filter": request.keyword,
            "profiles": list(request.profiles),
            "strict": request.strict,
            "requests": request.requests,
            "warmup": request.warmup,
            "latency_thresholds_ms": dict(request.latency),
            "apis": sorted(apis),
            "verify_tls": request.verify_tls,
            "catalog_digest": plugin.catalog.digest(),
            "cassette": evidence or None,
            "failing_examples": failing_examples or None,
            "waivers": waiver_status,
            "transport": target.kind,
        },
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


def run_suite(request: RunRequest, console: Console, stdout: TextIO | None = None) -> int:
    """The whole `llmconform run`: returns the process exit code.

    With `json_out` the report goes to `stdout` (default: the process's) and nothing else
    does; `console` (stderr then) still gets the notes a CI log needs (baseline, waivers)."""
    progress_console = console if not (request.quiet or request.json_out) else _silent()
    # Before anything is sent: a report that cannot be written must not cost a paid run.
    request = with_report_folder(request)
    with QuitOnInterrupt() as stopping, open_target(request.target, request.api_key) as target:
        report = execute_run(request, target, progress_console)
        # Written before the target is stopped, and shielded from a second interrupt.
        guard = second_interrupt_quits() if not report.info.complete else contextlib.nullcontext()
        with guard:
            paths = write_reports(report, request.out_dir, request.formats)
            if request.write_baseline is not None:
                request.write_baseline.write_text(dump_baseline(report), encoding="utf-8")
        code = 3 if not report.info.complete else exit_code(report)
        # The report is on disk; stopping the target (an in-process server winding down
        # its streams) can take a moment, and an interrupt then must not turn the result
        # into click's "Aborted!" (exit 1).
        where = f" in {request.out_dir}" if paths else ""
        stopping.arm(code, f"interrupted while stopping the target; the report is written{where}")
    notes: list[str] = []
    if request.baseline is not None and report.info.complete:
        new, stale = compare_with_baseline(report, set(request.baseline))
        notes += [f"new failure (not in the baseline): {cid}" for cid in new]
        notes += [f"stale baseline entry (it passes now; remove it): {cid}" for cid in stale]
        code = 1 if new or stale else 0
    for w in report.info.options.get("waivers") or []:
        if w.get("status") == "expired":
            notes.append(f"waiver for {w['requirement']} expired on {w['expires']}: ignored")
    # `llmconform run | head`: the reader may leave (cli_common.PipeConsole then points
    # stdout at /dev/null). The reports are written; the exit code stays the run's.
    with contextlib.suppress(BrokenPipeError):
        _tell(request, report, paths, notes, code, console, stdout or sys.stdout)
    return code


def _tell(
    request: RunRequest,
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
    render_terminal(report, console, verbose=request.verbose)
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
    if report.counts.get(Outcome.ERROR.value):
        console.print("[yellow]Some cases could not be run (error): see the report.[/]")


def with_report_folder(request: RunRequest) -> RunRequest:
    """The request with its report folder created and known to be writable.

    A default folder (`fresh_out`, named by the start second) that already exists, because
    another run started in the same second, gets a suffix rather than mixing two runs'
    files. Raises `RunUsageError` when the folder cannot be created or written to.
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
                raise RunUsageError(_unwritable(folder, "it exists and is not a folder")) from None
            folder = request.out_dir.with_name(f"{request.out_dir.name}-{n}")
        except OSError as exc:
            raise RunUsageError(_unwritable(folder, exc.strerror or str(exc))) from exc
    else:
        raise RunUsageError(_unwritable(request.out_dir, "too many runs started this second"))
    record = request.record
    if record is not None and record.parent == request.out_dir:
        record = folder / record.name
    return replace(request, out_dir=folder, record=record)


def _unwritable(folder: Path, why: str) -> str:
    return f"cannot write the reports to {folder}: {why}; choose another folder with --out"


def _silent() -> Console:
    return Console(file=open(os.devnull, "w"))
