"""`llmconform run` and `llmconform init`.

`run` turns its settings into a `RunSettings` and runs the suite (or, with `--dry-run`, prints
what the run would spend). Its flags, and the order in which flags, `LLMCONFORM_*`
variables, `llmconform.yaml` and defaults are resolved, are declared in `run_options`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from llmconform.catalog.accuracy_sets import set_names
from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.cli.common import (
    EXIT_COULD_NOT_RUN,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PipeConsole,
    fail,
    packaged_catalog,
    plain_output,
)
from llmconform.cli.plan import show_plan, target_kind
from llmconform.cli.run_options import WAIVERS_KEY, bind_env, run_options
from llmconform.engine.budget import BudgetError, plan_run
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES, CORE_CAPABILITIES
from llmconform.engine.select import FilterError, keyword_matcher
from llmconform.engine.waivers import load_baseline
from llmconform.errors import ConfigError, UsageError
from llmconform.metrics.latency import PRESETS
from llmconform.model import Limits
from llmconform.run.runner import known_profiles, run_suite
from llmconform.settings import RunSettings
from llmconform.settings.config_file import DEFAULT_NAME, STARTER, check_baseline_cases
from llmconform.transport.targets import TargetError, TargetUnreachable


@click.command("run", short_help="Run the suite against a target and write reports.")
@run_options
def run_command(
    target: str,
    model: str | None,
    embedding_model: str,
    completion_model: str,
    api_key_env: str | None,
    restricted_key_env: str | None,
    concurrency: int,
    timeout: float,
    idle_timeout: float,
    deadline: float,
    max_body_mb: int,
    out: Path | None,
    formats: tuple[str, ...],
    keyword: str | None,
    capabilities: tuple[str, ...],
    apis: tuple[str, ...],
    profiles: tuple[str, ...],
    strict: bool,
    n_requests: int,
    warmup: int,
    latency_preset: str,
    ttft_p99_ms: float | None,
    tpot_p99_ms: float | None,
    record: bool,
    redact_headers: tuple[str, ...],
    insecure: bool,
    verbose: bool,
    quiet: bool,
    json_out: bool,
    baseline: Path | None,
    write_baseline: Path | None,
    accuracy_thresholds: tuple[str, ...],
    exitfirst: bool,
    max_failures: int | None,
    no_color: bool,
    dry_run: bool,
) -> None:
    """Run the conformance suite against a target and write reports.

    \b
    Examples:
      llmconform run
      llmconform run --target http://127.0.0.1:8000/v1 --model m -k stream
      llmconform run --target https://api.example.com/v1 --api-key-env EXAMPLE_KEY \\
          --capability n --concurrency 2
    """
    if no_color:
        plain_output()
    if exitfirst and max_failures not in (None, 1):
        fail(f"-x/--exitfirst is --max-failures 1; it cannot go with --max-failures {max_failures}")
    unknown = sorted(set(capabilities) - ALL_CAPABILITIES)
    if unknown:
        fail(
            f"unknown capability {', '.join(unknown)}; known: "
            f"{', '.join(sorted(ALL_CAPABILITIES))}",
            EXIT_USAGE,
        )
    if profiles:
        known = known_profiles()
        bad = [p for p in profiles if p not in known]
        if bad:
            fail(f"unknown profile {', '.join(bad)}; known: {', '.join(known)}", EXIT_USAGE)
    restricted_key = None
    if restricted_key_env:
        restricted_key = os.environ.get(restricted_key_env) or None
        if restricted_key is None:
            fail(
                f"--restricted-key-env {restricted_key_env}: that environment variable is not set",
                EXIT_USAGE,
            )
    env_name = api_key_env or "LLMCONFORM_API_KEY"
    api_key = os.environ.get(env_name) or None
    if api_key_env and api_key is None:
        fail(f"--api-key-env {api_key_env}: that environment variable is not set", EXIT_USAGE)
    thresholds = _parse_thresholds(accuracy_thresholds)
    known_failures = None
    if baseline is not None:
        try:
            known_failures = frozenset(
                load_baseline(baseline.read_text(encoding="utf-8"), str(baseline))
            )
            check_baseline_cases(known_failures, packaged_catalog().cases, str(baseline))
        except UnicodeDecodeError:
            fail(f"--baseline {baseline}: not UTF-8 text; save it as UTF-8", EXIT_USAGE)
        except (ValueError, ConfigError) as exc:
            fail(str(exc), EXIT_USAGE)
        except OSError as exc:
            fail(f"--baseline {baseline}: cannot read it: {exc.strerror or exc}", EXIT_USAGE)
    ctx = click.get_current_context()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out or Path("reports") / stamp
    request = RunSettings(
        target=target,
        model=model,
        embedding_model=embedding_model,
        completion_model=completion_model,
        api_key=api_key,
        api_key_env=env_name,
        restricted_key=restricted_key,
        concurrency=concurrency,
        limits=Limits(
            timeout_s=timeout,
            idle_timeout_s=min(timeout, idle_timeout),
            max_body_bytes=max_body_mb * 1024 * 1024,
            run_deadline_s=deadline,
        ),
        out_dir=out_dir,
        fresh_out=out is None,
        record=out_dir / "cassette.jsonl" if record else None,
        redact_headers=frozenset(redact_headers),
        # report.json is what `report`, `verify` and `sign` read: always written; --format adds.
        formats=tuple(dict.fromkeys(("json", *formats))) if formats else ("json", "junit"),
        keyword=keyword,
        # Declared capabilities add to the core set every chat server is expected to have.
        capabilities=CORE_CAPABILITIES | frozenset(capabilities) if capabilities else None,
        verify_tls=not insecure,
        verbose=verbose,
        apis=(frozenset(API_FAMILIES) if "all" in apis else frozenset(apis)) or None,
        profiles=tuple(dict.fromkeys(profiles)),
        strict=strict,
        requests=n_requests,
        warmup=warmup,
        latency={
            **PRESETS[latency_preset],
            **({"ttft_p99_ms": ttft_p99_ms} if ttft_p99_ms else {}),
            **({"tpot_p99_ms": tpot_p99_ms} if tpot_p99_ms else {}),
        },
        waivers=ctx.meta.get(WAIVERS_KEY, ()),
        baseline=known_failures,
        write_baseline=write_baseline,
        quiet=quiet,
        json_out=json_out,
        accuracy_thresholds=thresholds,
        max_failures=1 if exitfirst else max_failures or 0,
    )
    if dry_run:
        _dry_run(request, model)
        return
    if keyword and keyword.strip():
        # Checked before anything starts, with pytest's own parser (the run's pytest would
        # otherwise print its own error line beside ours).
        try:
            keyword_matcher(keyword, packaged_catalog())
        except FilterError as exc:
            fail(f"{exc}; use case ids joined with and/or/not, e.g. 'stream and not n_choices'")
    try:
        console = (
            PipeConsole(stderr=json_out, color_system=None)
            if no_color
            else PipeConsole(stderr=json_out)
        )
        code = run_suite(request, console)
    except (TargetError, UsageError) as exc:
        fail(str(exc), EXIT_USAGE)
    except TargetUnreachable as exc:
        fail(str(exc), EXIT_COULD_NOT_RUN)  # its message says what to check
    except KeyboardInterrupt:
        # The first Ctrl-C ends the exchanges and still writes a partial report (exit 3);
        # one more before that report is on disk lands here: say so, rather than click's
        # bare "Aborted!" with exit 1 (the code for conformance failures).
        fail("interrupted again before the report was written: nothing saved", EXIT_INTERRUPTED)
    sys.exit(code)


def _parse_thresholds(items: tuple[str, ...]) -> dict[str, float]:
    """`SET=X` overrides by set name; a malformed item or an unknown set is a usage error."""
    known = set_names()
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        # 0 would pass any accuracy at all: a set's own thresholds lie in (0, 1] too.
        if not sep or not name or not 0 < number <= 1:
            fail(
                f"--accuracy-threshold {item!r}: use SET=X with 0 < X <= 1 (e.g. arithmetic=0.9)",
                EXIT_USAGE,
            )
        if name not in known:
            # The run looks thresholds up by set name, so a misspelt one would be ignored and
            # the set judged at its default threshold without a word.
            fail(
                f"--accuracy-threshold {item!r}: unknown accuracy set {name!r}; "
                f"known sets: {', '.join(known)}",
                EXIT_USAGE,
            )
        out[name] = number
    return out


def _dry_run(request: RunSettings, model: str | None) -> None:
    """Print what the run would spend, per profile, and send nothing."""
    try:
        plan = plan_run(
            load_catalog(known_checks=known_checks()),
            target_kind=target_kind(request.target),
            apis=request.apis,
            profiles=request.profiles,
            capabilities=request.capabilities,
            keyword=request.keyword,
            requests=request.requests,
            warmup=request.warmup,
            model=model or "MODEL",
        )
    except BudgetError as exc:
        fail(str(exc), EXIT_USAGE)
    show_plan(plan, Console(), as_json=request.json_out)


# Set on the built command: its parameters exist only once click.command has made them.
bind_env(run_command)


@click.command("init", short_help="Write a commented starter llmconform.yaml.")
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(DEFAULT_NAME),
    show_default=True,
    help="Where to write the file.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(path: Path, force: bool) -> None:
    """Write a commented starter llmconform.yaml."""
    if path.exists() and not force:
        fail(f"{path} exists; pass --force to overwrite it", EXIT_USAGE)
    path.write_text(STARTER, encoding="utf-8")
    click.echo(f"wrote {path}: edit it, then run `llmconform run`")
