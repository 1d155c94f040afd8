"""The `llmconform` command line: run, list, serve-reference.

Exit codes: 0 conformant (warnings allowed), 1 conformance failures, 2 usage error,
3 could not run or complete (target unreachable, interrupted, harness error).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape

from llmconform import EDITION, __version__, report, report_cli
from llmconform.catalog import CatalogError, load_catalog
from llmconform.checks import known_checks
from llmconform.engine.executor import Limits
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES, CORE_CAPABILITIES
from llmconform.metrics.latency import PRESETS
from llmconform.runner import RunRequest, RunUsageError, known_profiles, run_suite
from llmconform.targets import TargetError, TargetUnreachable

EXIT_USAGE = 2
EXIT_COULD_NOT_RUN = 3

err_console = Console(stderr=True)


def _fail(message: str, code: int) -> NoReturn:
    """One clear line on stderr and the exit code."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="llmconform", message=f"%(prog)s %(version)s (edition {EDITION})"
)
def main() -> None:
    """Conformance tests and certification for OpenAI-compatible LLM servers.

    \b
    Examples:
      llmconform run                                  # against the embedded reference server
      llmconform run --target http://127.0.0.1:8000/v1 --model my-model
      LLMCONFORM_API_KEY=... llmconform run --target https://api.example.com/v1
      llmconform list
    """


@main.command()
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
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (recorded).")
@click.option("-v", "--verbose", is_flag=True, help="List every finding, not just the first.")
def run(
    target: str,
    model: str | None,
    embedding_model: str,
    completion_model: str,
    api_key_env: str | None,
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
    insecure: bool,
    verbose: bool,
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
        _fail(
            f"unknown capability {', '.join(unknown)}; known: "
            f"{', '.join(sorted(ALL_CAPABILITIES))}",
            EXIT_USAGE,
        )
    if profiles:
        known = known_profiles()
        bad = [p for p in profiles if p not in known]
        if bad:
            _fail(f"unknown profile {', '.join(bad)}; known: {', '.join(known)}", EXIT_USAGE)
    env_name = api_key_env or "LLMCONFORM_API_KEY"
    api_key = os.environ.get(env_name) or None
    if api_key_env and api_key is None:
        _fail(f"--api-key-env {api_key_env}: that environment variable is not set", EXIT_USAGE)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = out or Path("reports") / stamp
    request = RunRequest(
        target=target,
        model=model,
        embedding_model=embedding_model,
        completion_model=completion_model,
        api_key=api_key,
        api_key_env=env_name,
        concurrency=concurrency,
        limits=Limits(
            timeout_s=timeout,
            idle_timeout_s=min(timeout, idle_timeout),
            max_body_bytes=max_body_mb * 1024 * 1024,
            run_deadline_s=deadline,
        ),
        out_dir=out_dir,
        record=out_dir / "cassette.jsonl" if record else None,
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
    )
    try:
        code = run_suite(request, Console())
    except (TargetError, RunUsageError) as exc:
        _fail(str(exc), EXIT_USAGE)
    except TargetUnreachable as exc:
        _fail(
            f"{exc}. Is the server running and the URL right (it should end in /v1)?",
            EXIT_COULD_NOT_RUN,
        )
    sys.exit(code)


@main.command("list")
@click.option(
    "--requirements", "show_requirements", is_flag=True, help="List requirements instead of cases."
)
def list_(show_requirements: bool) -> None:
    """List the suite's cases (or requirements) for this edition."""
    try:
        catalog = load_catalog(known_checks=known_checks())
    except CatalogError as exc:
        _fail(f"the packaged conformance catalog is broken: {exc}", EXIT_COULD_NOT_RUN)
    if show_requirements:
        for req in catalog.requirements.values():
            click.echo(f"{req.id:<18} {req.level.value:<6} {req.area:<8} {req.statement}")
        return
    for case in catalog.cases.values():
        needs = f"  [needs: {', '.join(case.requires)}]" if case.requires else ""
        click.echo(f"{case.id:<34} {case.title}{needs}")
    click.echo(
        f"\n{len(catalog.cases)} cases, {len(catalog.requirements)} requirements, "
        f"edition {EDITION} ({catalog.digest()[:19]})"
    )


@main.command("serve-reference")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--api-key-env",
    default=None,
    metavar="NAME",
    help="Require the key in this environment variable (default: no auth).",
)
def serve_reference(host: str, port: int, api_key_env: str | None) -> None:
    """Serve the reference implementation (base URL http://HOST:PORT/v1)."""
    from llmconform.reference.app import create_app
    from llmconform.reference.server import serve

    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            _fail(f"--api-key-env {api_key_env}: that environment variable is not set", EXIT_USAGE)
    err_console.print(f"reference server on http://{host}:{port}/v1 (Ctrl-C to stop)")
    serve(create_app(api_key=api_key), host, port)


def _register_evidence_commands() -> None:
    from llmconform.evidence_cli import keygen_command, sign_command, verify_command

    for command in (verify_command, sign_command, keygen_command):
        main.add_command(command)


_register_evidence_commands()
main.add_command(report_cli.report_command)
