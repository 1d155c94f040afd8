"""The flags of `llmconform run`, and how their values are resolved.

Settings come from flags, then `LLMCONFORM_*` environment variables, then `llmconform.yaml`
(or `--config FILE`), then defaults: the file fills click's `default_map`, the variables are
each option's `envvar`, and click resolves them in exactly that order. The option
declarations are most of the command's code; they live here so that `run_cli` holds only
what the command does with the values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from llmconform import report
from llmconform.cli.common import EXIT_USAGE, fail, packaged_catalog
from llmconform.cli.completion import complete_capabilities, complete_cases, complete_profiles
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES
from llmconform.errors import ConfigError
from llmconform.metrics.latency import PRESETS
from llmconform.settings.config_file import (
    DEFAULT_NAME,
    check_waiver_requirements,
    config_key,
    find_config,
    load_config,
    split_list,
)
from llmconform.settings.run import DEFAULT_LATENCY_PRESET, DEFAULTS

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

# Where `--config` leaves the file's waivers for the command (in the click context's meta).
WAIVERS_KEY = "_waivers"
_PATH_KEYS = ("out", "baseline")  # the config keys that name files or folders


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """Eager: read the settings file before any other option takes its default."""
    path = find_config(value, Path.cwd())
    if path is None:
        return
    try:
        config = load_config(path)
        if config.get("waivers"):
            # Checked here, where the file is read, so a misspelt id stops the run before
            # anything is sent instead of surfacing as an "unused" waiver afterwards.
            known = packaged_catalog().requirements
            check_waiver_requirements(config["waivers"], known, str(path))
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    from llmconform.settings.config_file import default_map

    # Paths in the file are relative to the file (as `--config elsewhere/llmconform.yaml`
    # users expect), not to the folder the command happens to run in.
    for key in _PATH_KEYS:
        if isinstance(config.get(key), str) and not Path(config[key]).is_absolute():
            config[key] = str(path.parent / config[key])
    ctx.default_map = {**(ctx.default_map or {}), **default_map(config)}
    ctx.meta[WAIVERS_KEY] = tuple(config.get("waivers", ()))
    ctx.meta[CONFIG_PATH_KEY] = str(path)


_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

# Where `--config` leaves the path of the settings file it read (in the click context's meta).
CONFIG_PATH_KEY = "config_path"


class _SourcedOption(click.Option):
    """An option whose error message names where its bad value came from.

    click's own hint is the flag plus, whenever the option has one, its environment variable,
    wherever the value really came from: a value from the settings file (which reaches click
    as `default_map`) was blamed on `LLMCONFORM_*`, and a flag's on the variable too.
    """

    def get_error_hint(self, ctx: click.Context | None) -> str:
        """The flag, the variable or the file key that supplied the value being rejected."""
        source = ctx.get_parameter_source(str(self.name)) if ctx is not None else None
        if ctx is not None and source is ParameterSource.DEFAULT_MAP:
            key = config_key(str(self.name)) or str(self.name)
            return f"'{key}' in {ctx.meta.get(CONFIG_PATH_KEY, DEFAULT_NAME)}"
        if source is ParameterSource.ENVIRONMENT:
            return super().get_error_hint(ctx)  # the flag and its variable
        return click.Parameter.get_error_hint(self, ctx)  # the flag alone

    def value_from_envvar(self, ctx: click.Context) -> str | Sequence[str] | None:
        """A repeatable option's variable lists its values separated by commas or spaces
        (click alone splits on whitespace only)."""
        if not self.multiple:
            value: str | Sequence[str] | None = super().value_from_envvar(ctx)
            return value
        raw = self.resolve_envvar_value(ctx)
        return None if raw is None else split_list(raw)


def _option(*decls: str, **attrs: Any) -> _Decorator:
    return click.option(*decls, cls=_SourcedOption, **attrs)


# In the order `--help` lists them.
_OPTIONS: tuple[_Decorator, ...] = (
    _option(
        "--target",
        default=DEFAULTS.target,
        show_default=True,
        help="'reference', an http(s):// base URL ending in /v1, asgi:pkg.module:app, "
        "or replay:CASSETTE.",
    ),
    _option("--model", default=None, help="Model id to test (default: the first listed)."),
    _option(
        "--embedding-model",
        default="",
        metavar="ID",
        help="Model for /embeddings cases [default: --model].",
    ),
    _option(
        "--completion-model",
        default="",
        metavar="ID",
        help="Model for legacy /completions cases [default: --model].",
    ),
    _option(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="Environment variable holding the API key [default: LLMCONFORM_API_KEY].",
    ),
    _option(
        "--restricted-key-env",
        default=None,
        metavar="NAME",
        help="Environment variable holding a key that authenticates but lacks permission "
        "(enables the 403 cases).",
    ),
    _option(
        "--concurrency",
        type=click.IntRange(1, 256),
        default=DEFAULTS.concurrency,
        show_default=True,
        help="Exchanges in flight at once. Keep it low against paid or rate-limited APIs.",
    ),
    _option(
        "--timeout",
        type=click.FloatRange(0.1, 3600),
        default=DEFAULTS.limits.timeout_s,
        show_default=True,
        help="Seconds one exchange may take.",
    ),
    _option(
        "--idle-timeout",
        type=click.FloatRange(0.1, 3600),
        default=DEFAULTS.limits.idle_timeout_s,
        show_default=True,
        help="Seconds a target may stay silent in the middle of an exchange (at most --timeout).",
    ),
    _option(
        "--deadline",
        type=click.FloatRange(1, 7 * 24 * 3600),
        default=DEFAULTS.limits.run_deadline_s,
        show_default=True,
        help="Seconds the whole run may take; unfinished cases then end as errors.",
    ),
    _option(
        "--max-body-mb",
        type=click.IntRange(1, 4096),
        default=DEFAULTS.limits.max_body_bytes // (1024 * 1024),
        show_default=True,
        help="MiB of (decompressed) body kept per response; more is cut and reported.",
    ),
    _option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Report folder [default: reports/<UTC timestamp>].",
    ),
    _option(
        "--format",
        "formats",
        multiple=True,
        type=click.Choice(report.FORMATS),
        help="Another report format to write (repeatable); report.json is always written "
        "[default: json and junit].",
    ),
    _option(
        "-k",
        "--filter",
        "keyword",
        default=None,
        shell_complete=complete_cases,
        help="Select cases by pytest -k expression over case ids, e.g. 'stream and not n2'.",
    ),
    _option(
        "--capability",
        "capabilities",
        multiple=True,
        metavar="NAME",
        shell_complete=complete_capabilities,
        help="Declare a capability of the target (repeatable): "
        f"{', '.join(sorted(ALL_CAPABILITIES))}.",
    ),
    _option(
        "--api",
        "apis",
        multiple=True,
        type=click.Choice([*API_FAMILIES, "all"]),
        help="Wire formats to test (repeatable) [default: all for the embedded reference, "
        "openai for other targets].",
    ),
    _option(
        "--profile",
        "profiles",
        multiple=True,
        metavar="NAME",
        shell_complete=complete_profiles,
        help="Claim a profile (repeatable): run its cases and certify it. Default: all.",
    ),
    _option("--strict", is_flag=True, help="SHOULD warnings also fail certification."),
    _option(
        "--requests",
        "n_requests",
        type=click.IntRange(1, 100_000),
        default=DEFAULTS.requests,
        show_default=True,
        help="Samples per latency case (--profile performance).",
    ),
    _option(
        "--warmup",
        type=click.IntRange(0, 1000),
        default=DEFAULTS.warmup,
        show_default=True,
        help="Leading latency samples to discard.",
    ),
    _option(
        "--latency-preset",
        type=click.Choice(sorted(PRESETS)),
        default=DEFAULT_LATENCY_PRESET,
        show_default=True,
        help="Named TTFT/TPOT p99 thresholds.",
    ),
    _option(
        "--ttft-p99-ms",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="TTFT p99 threshold in ms (overrides the preset).",
    ),
    _option(
        "--tpot-p99-ms",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="TPOT p99 threshold in ms (overrides the preset).",
    ),
    _option(
        "--record/--no-record",
        default=True,
        show_default=True,
        help="Write every exchange (redacted) to cassette.jsonl in the report folder, "
        "so the run can be replayed and verified.",
    ),
    _option(
        "--redact-header",
        "redact_headers",
        multiple=True,
        metavar="NAME",
        help="Another response header to keep out of the cassette (repeatable); "
        "Authorization, x-api-key, api-key and cookies always are.",
    ),
    _option("--insecure", is_flag=True, help="Do not verify TLS certificates (recorded)."),
    _option("-v", "--verbose", is_flag=True, help="List every finding, not just the first."),
    _option("-q", "--quiet", is_flag=True, help="Print only the verdict line."),
    _option("--json", "json_out", is_flag=True, help="Print the JSON report on stdout only."),
    _option(
        "--baseline",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Known failing cases (YAML): only changes the exit code.",
    ),
    _option(
        "--write-baseline",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write this run's failing cases as a baseline file.",
    ),
    _option(
        "--accuracy-threshold",
        "accuracy_thresholds",
        multiple=True,
        metavar="SET=X",
        help="Override an accuracy set's threshold, e.g. arithmetic=0.9 (repeatable).",
    ),
    _option(
        "-x",
        "--exitfirst",
        is_flag=True,
        help="Stop sending new cases after the first failing case (as --max-failures 1).",
    ),
    _option(
        "--max-failures",
        type=click.IntRange(1, 1_000_000),
        default=None,
        metavar="N",
        help="Stop sending new cases after N failing cases: a quick red signal. Cases in "
        "flight finish; the rest are reported as not sent, and the run exits 1.",
    ),
    _option("--no-color", is_flag=True, help="Plain text output: no colours or styles."),
    _option(
        "--dry-run",
        is_flag=True,
        help="Only print how many requests and tokens the run would spend.",
    ),
    _option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        is_eager=True,
        expose_value=False,
        callback=_load_config,
        help=f"Settings file [default: ./{DEFAULT_NAME} when present].",
    ),
)


def run_options(command: Callable[..., None]) -> Callable[..., None]:
    """Declare every option of `llmconform run` on the command's function."""
    # Stacked decorators apply bottom-up, so the last one applied is the first listed.
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def bind_env(command: click.Command) -> None:
    """Give each option named in `ENV` its environment variable, shown in `--help`."""
    for param in command.params:
        if param.name in ENV:
            param.envvar = ENV[str(param.name)]
            if isinstance(param, click.Option):
                param.show_envvar = True
