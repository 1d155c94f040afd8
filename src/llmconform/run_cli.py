"""`llmconform run` and `llmconform init`.

Settings come from flags, then `LLMCONFORM_*` environment variables, then `llmconform.yaml`
(or `--config FILE`), then defaults: the file fills click's `default_map`, the variables are
each option's `envvar`, and click resolves them in exactly that order.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console

from llmconform import report
from llmconform.catalog import load_catalog
from llmconform.checks import known_checks
from llmconform.cli_common import EXIT_COULD_NOT_RUN, EXIT_USAGE, fail
from llmconform.config import DEFAULT_NAME, STARTER, ConfigError, find_config, load_config
from llmconform.engine.budget import BudgetError, plan_run
from llmconform.engine.executor import Limits
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES, CORE_CAPABILITIES
from llmconform.engine.waivers import load_baseline
from llmconform.metrics.latency import PRESETS
from llmconform.plan_cli import show_plan, target_kind
from llmconform.runner import RunRequest, RunUsageError, known_profiles, run_suite
from llmconform.targets import TargetError, TargetUnreachable

# Environment variables for run options (LLMCONFORM_API_KEY itself is the key, not an option).
ENV = {
    "target": "LLMCONFORM_TARGET",
    "model": "LLMCONFORM_MODEL",
    "embedding_model": "LLMCONFORM_EMBEDDING_MODEL",
    "completion_model": "LLMCONFORM_COMPLETION_MODEL",
    "api_key_env": "LLMCONFORM_API_KEY_ENV",
    "restricted_key_env": "LLMCONFORM_RESTRICTED_KEY_ENV",
    "concurrency": "LLMCONFORM_CONCURRENCY",
    "timeout": "LLMCONFORM_TIMEOUT",
    "idle_timeout": "LLMCONFORM_IDLE_TIMEOUT",
    "deadline": "LLMCONFORM_DEADLINE",
    "max_body_mb": "LLMCONFORM_MAX_BODY_MB",
    "out": "LLMCONFORM_OUT",
    "capabilities": "LLMCONFORM_CAPABILITIES",
    "apis": "LLMCONFORM_APIS",
    "profiles": "LLMCONFORM_PROFILES",
    "strict": "LLMCONFORM_STRICT",
    "n_requests": "LLMCONFORM_REQUESTS",
    "insecure": "LLMCONFORM_INSECURE",
    "baseline": "LLMCONFORM_BASELINE",
    "redact_headers": "LLMCONFORM_REDACT_HEADERS",
}

_WAIVERS_KEY = "_waivers"


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """Eager: read the settings file before any other option takes its default."""
    path = find_config(value, Path.cwd())
    if path is None:
        return
    try:
        config = load_config(path)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    from llmconform.config import default_map

    ctx.default_map = {**(ctx.default_map or {}), **default_map(config)}
    ctx.meta[_WAIVERS_KEY] = tuple(config.get("waivers", ()))
    ctx.meta["config_path"] = str(path)


@click.command("run")
@click.option(
    "--target",
    default="reference",
    show_default=True,
    help="'reference', an http(s):// base URL ending in /v1, asgi:pkg.module:app, "
    "or replay:CASSETTE.",
)
@click.option("--model", default=None, help="Model id to test (default: the first listed).")
@click.option(
    "--embedding-model",
    default="",
    metavar="ID",
    help="Model for /embeddings cases [default: --model].",
)
@click.option(
    "--completion-model",
    default="",
    metavar="ID",
    help="Model for legacy /completions cases [default: --model].",
)
@click.option(
    "--api-key-env",
    default=None,
    metavar="NAME",
    help="Environment variable holding the API key [default: LLMCONFORM_API_KEY].",
)
@click.option(
    "--restricted-key-env",
    default=None,
    metavar="NAME",
    help="Environment variable holding a key that authenticates but lacks permission "
    "(enables the 403 cases).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Exchanges in flight at once. Keep it low against paid or rate-limited APIs.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds one exchange may take.",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(0.1, 3600),
    default=Limits.idle_timeout_s,
    show_default=True,
    help="Seconds a target may stay silent in the middle of an exchange (at most --timeout).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(1, 7 * 24 * 3600),
    default=Limits.run_deadline_s,
    show_default=True,
    help="Seconds the whole run may take; unfinished cases then end as errors.",
)
@click.option(
    "--max-body-mb",
    type=click.IntRange(1, 4096),
    default=Limits.max_body_bytes // (1024 * 1024),
    show_default=True,
    help="MiB of (decompressed) body kept per response; more is cut and reported.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Report folder [default: reports/<UTC timestamp>].",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(report.FORMATS),
    help="Report formats to write (repeatable) [default: json and junit].",
)
@click.option(
    "-k",
    "--filter",
    "keyword",
    default=None,
    help="Select cases by pytest -k expression over case ids, e.g. 'stream and not n2'.",
)
@click.option(
    "--capability",
    "capabilities",
    multiple=True,
    metavar="NAME",
    help=f"Declare a capability of the target (repeatable): {', '.join(sorted(ALL_CAPABILITIES))}.",
)
@click.option(
    "--api",
    "apis",
    multiple=True,
    type=click.Choice([*API_FAMILIES, "all"]),
    help="Wire formats to test (repeatable) [default: all for the embedded reference, "
    "openai for other targets].",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="NAME",
    help="Claim a profile (repeatable): run its cases and certify it. Default: all.",
)
@click.option("--strict", is_flag=True, help="SHOULD warnings also fail certification.")
@click.option(
    "--requests",
    "n_requests",
    type=click.IntRange(1, 100_000),
    default=300,
    show_default=True,
    help="Samples per latency case (--profile performance).",
)
@click.option(
    "--warmup",
    type=click.IntRange(0, 1000),
    default=3,
    show_default=True,
    help="Leading latency samples to discard.",
)
@click.option(
    "--latency-preset",
    type=click.Choice(sorted(PRESETS)),
    default="mlperf-server",
    show_default=True,
    help="Named TTFT/TPOT p99 thresholds.",
)
@click.option(
    "--ttft-p99-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="TTFT p99 threshold in ms (overrides the preset).",
)
@click.option(
    "--tpot-p99-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="TPOT p99 threshold in ms (overrides the preset).",
)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Write every exchange (redacted) to cassette.jsonl in the report folder, "
    "so the run can be replayed and verified.",
)
@click.option(
    "--redact-header",
    "redact_headers",
    multiple=True,
    metavar="NAME",
    help="Another response header to keep out of the cassette (repeatable); "
    "Authorization, x-api-key, api-key and cookies always are.",
)
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (recorded).")
@click.option("-v", "--verbose", is_flag=True, help="List every finding, not just the first.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the verdict line.")
@click.option("--json", "json_out", is_flag=True, help="Print the JSON report on stdout only.")
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Known failing cases (YAML): only changes the exit code.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write this run's failing cases as a baseline file.",
)
@click.option(
    "--accuracy-threshold",
    "accuracy_thresholds",
    multiple=True,
    metavar="SET=X",
    help="Override an accuracy set's threshold, e.g. arithmetic=0.9 (repeatable).",
)
@click.option(
    "--dry-run", is_flag=True, help="Only print how many requests and tokens the run would spend."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_load_config,
    help=f"Settings file [default: ./{DEFAULT_NAME} when present].",
)
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
            known_failures = frozenset(load_baseline(baseline.read_text(), str(baseline)))
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
    ctx = click.get_current_context()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out or Path("reports") / stamp
    request = RunRequest(
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
        record=out_dir / "cassette.jsonl" if record else None,
        redact_headers=frozenset(redact_headers),
        formats=formats or ("json", "junit"),
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
        waivers=ctx.meta.get(_WAIVERS_KEY, ()),
        baseline=known_failures,
        write_baseline=write_baseline,
        quiet=quiet,
        json_out=json_out,
        accuracy_thresholds=thresholds,
    )
    if dry_run:
        _dry_run(request, model)
        return
    try:
        code = run_suite(request, Console(stderr=json_out))
    except (TargetError, RunUsageError) as exc:
        fail(str(exc), EXIT_USAGE)
    except TargetUnreachable as exc:
        fail(str(exc), EXIT_COULD_NOT_RUN)  # its message says what to check
    sys.exit(code)


def _parse_thresholds(items: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not name or not 0 <= number <= 1:
            fail(f"--accuracy-threshold {item!r}: use SET=X with X between 0 and 1", EXIT_USAGE)
        out[name] = number
    return out


def _dry_run(request: RunRequest, model: str | None) -> None:
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


for _param in run_command.params:
    if _param.name in ENV:
        _param.envvar = ENV[str(_param.name)]
        if isinstance(_param, click.Option):
            _param.show_envvar = True


@click.command("init")
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
