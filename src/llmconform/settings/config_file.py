"""`llmconform.yaml`: the run configuration file (pure parsing and validation).

Precedence is flag > environment (`LLMCONFORM_*`) > file > defaults. The file's keys become
click's `default_map` for `run`, which gives exactly that order. Every key is checked here, so
a typo or a wrong type is one clear error naming the key and what is allowed (exit 2), not a
setting silently ignored.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from llmconform.errors import ConfigError
from llmconform.settings.yaml_text import clip, load_user_yaml

DEFAULT_NAME = "llmconform.yaml"


def _str(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(_str(x) for x in v)


# key -> (what is allowed, test, click parameter name or None when handled separately)
_KEYS: dict[str, tuple[str, Callable[[Any], bool], str | None]] = {
    "target": ("a target string (reference, http(s)://…/v1, asgi:…, replay:…)", _str, "target"),
    "model": ("a model id", _str, "model"),
    "embedding_model": ("a model id", _str, "embedding_model"),
    "completion_model": ("a model id", _str, "completion_model"),
    "api_key_env": (
        "the NAME of an environment variable (never the key itself)",
        _str,
        "api_key_env",
    ),
    "capabilities": ("a list of capability names", _strs, "capabilities"),
    "apis": ("a list of: openai, responses, anthropic, all", _strs, "apis"),
    "profiles": ("a list of profile names", _strs, "profiles"),
    "strict": ("true or false", _bool, "strict"),
    "concurrency": ("a positive integer", _int, "concurrency"),
    "timeout": ("seconds (a positive number)", _num, "timeout"),
    "idle_timeout": ("seconds (a positive number)", _num, "idle_timeout"),
    "deadline": ("seconds (a positive number)", _num, "deadline"),
    "max_body_mb": ("a positive integer", _int, "max_body_mb"),
    "requests": ("a positive integer", _int, "n_requests"),
    "warmup": (
        "a non-negative integer",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "warmup",
    ),
    "latency_preset": ("a preset name", _str, "latency_preset"),
    "ttft_p99_ms": ("milliseconds (a positive number)", _num, "ttft_p99_ms"),
    "tpot_p99_ms": ("milliseconds (a positive number)", _num, "tpot_p99_ms"),
    "out": ("a folder path", _str, "out"),
    "formats": ("a list of report formats", _strs, "formats"),
    "record": ("true or false", _bool, "record"),
    "insecure": ("true or false", _bool, "insecure"),
    "redact_headers": ("a list of header names", _strs, "redact_headers"),
    "baseline": ("a path to a baseline file", _str, "baseline"),
    "waivers": ("a list of {requirement, reason, expires: YYYY-MM-DD}", lambda v: True, None),
}
_WAIVER_KEYS = {"requirement", "reason", "expires"}


def find_config(explicit: Path | None, cwd: Path) -> Path | None:
    """The file to use: the one given, else `llmconform.yaml` in the current folder."""
    if explicit is not None:
        return explicit
    candidate = cwd / DEFAULT_NAME
    return candidate if candidate.is_file() else None


def parse_config(text: str, source: str = DEFAULT_NAME) -> dict[str, Any]:
    """Validate the file's content; returns the mapping of known keys to checked values."""
    try:
        doc = load_user_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    for key, value in doc.items():
        if key not in _KEYS:
            raise ConfigError(
                f"{source}: unknown key {clip(key)}; allowed keys: {', '.join(sorted(_KEYS))}"
            )
        allowed, test, _ = _KEYS[key]
        if not test(value):
            raise ConfigError(f"{source}: {key} must be {allowed}, got {clip(value)}")
    if "waivers" in doc:
        doc["waivers"] = parse_waivers(doc["waivers"], source)
    return dict(doc)


def parse_waivers(raw: Any, source: str) -> list[dict[str, Any]]:
    """Each waiver names a requirement, a reason and an expiry date."""
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: waivers must be a list")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"{source}: waivers[{i}]"
        if not isinstance(item, dict) or set(item) != _WAIVER_KEYS:
            raise ConfigError(f"{where} must have exactly the keys requirement, reason, expires")
        if not _str(item["requirement"]) or not _str(item["reason"]):
            raise ConfigError(f"{where}: requirement and reason must be non-empty strings")
        expires = item["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise ConfigError(f"{where}: expires must be a date YYYY-MM-DD") from None
        if not isinstance(expires, dt.date):
            raise ConfigError(f"{where}: expires must be a date YYYY-MM-DD")
        out.append(
            {
                "requirement": item["requirement"],
                "reason": item["reason"],
                "expires": expires.isoformat(),
            }
        )
    return out


def check_waiver_requirements(
    waivers: Iterable[Mapping[str, Any]], known: Collection[str], source: str
) -> None:
    """Every waiver must name a requirement of the catalog (`known`); raises ConfigError.

    A waiver is matched to findings by exact id, so a misspelt one waives nothing and would
    only ever be reported "unused": the failure it was meant to cover still fails, and the
    user reads a waiver in their file and never learns why it did not apply.
    """
    for i, waiver in enumerate(waivers):
        rid = str(waiver["requirement"])
        if rid in known:
            continue
        # Ids are upper-case: compare so, so that "stream-003" still finds STREAM-003.
        hint = did_you_mean(rid.upper(), known, "requirement")
        raise ConfigError(
            f"{source}: waivers[{i}]: unknown requirement {clip(rid)}; {hint} "
            "(`llmconform list --requirements` lists them)"
        )


def check_baseline_cases(ids: Iterable[str], known: Collection[str], source: str) -> None:
    """Every baseline entry must name a case of the catalog (`known`); raises ConfigError.

    The same rule as for waivers: a misspelt id would never match a failing case, so the
    failure it was meant to cover still breaks CI and the entry itself is never reported.
    """
    for rid in sorted(ids):
        if rid not in known:
            hint = did_you_mean(rid.lower(), known, "case")
            raise ConfigError(
                f"{source}: known_failures: unknown case {rid!r}; {hint} "
                "(`llmconform list` lists them)"
            )


def did_you_mean(name: str, known: Collection[str], what: str) -> str:
    """ "did you mean A, B?" with the closest known names, or that none is close."""
    close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else f"no {what} is close"


def split_list(text: str) -> list[str]:
    """The items of a list-valued environment variable: separated by commas, spaces or both.

    `LLMCONFORM_PROFILES=chat-core,chat-streaming` and `... chat-core chat-streaming` mean the
    same; split on spaces only, the first read as one unknown profile name.
    """
    return [item for item in re.split(r"[\s,]+", text) if item]


def config_key(param: str) -> str | None:
    """The file key that sets click parameter `param` (None when the file cannot set it)."""
    return next((key for key, (_, _, name) in _KEYS.items() if name == param), None)


def default_map(config: Mapping[str, Any]) -> dict[str, Any]:
    """Click parameter defaults from a validated configuration."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        param = _KEYS[key][2]
        if param is not None:
            out[param] = value
    return out


def load_config(path: Path) -> dict[str, Any]:
    """Read and validate a configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    return parse_config(text, str(path))


STARTER = """\
# llmconform.yaml — settings for `llmconform run` in this folder.
# Precedence: command-line flag > LLMCONFORM_* environment variable > this file > defaults.
# Every key is optional; unknown keys are an error (so typos cannot be ignored silently).

# What to test. `reference` is the embedded reference server.
target: reference                 # or http://127.0.0.1:8000/v1, asgi:pkg.module:app
# model: my-model                 # default: the first model GET /models lists
# api_key_env: MY_PROVIDER_KEY    # NAME of the variable holding the key (LLMCONFORM_API_KEY)

# What the target supports beyond the core (chat, streaming, stream_usage, models).
# capabilities: [n, tools, json_schema, logprobs, embeddings]
# apis: [openai]                  # openai, responses, anthropic, all
# profiles: [chat-core, chat-streaming]   # claim profiles; performance/accuracy are opt-in
# strict: false                   # true: SHOULD warnings fail certification

# Gentle by default: paid APIs are billed per request.
concurrency: 4
timeout: 60                       # seconds per exchange
# idle_timeout: 30
# deadline: 1800                  # seconds for the whole run

# Latency profile (llmconform run --profile performance).
# requests: 300
# latency_preset: mlperf-server   # or mlperf-interactive
# ttft_p99_ms: 2000
# tpot_p99_ms: 100

# Known problems. A waiver shows as WAIVED in every report and never certifies a MUST.
# waivers:
#   - requirement: STREAM-USAGE-001
#     reason: usage chunk lands in release 2.4 (ticket 123)
#     expires: 2027-03-31
# A CI baseline only changes the exit code (llmconform run --write-baseline known.yaml).
# baseline: known-failures.yaml

# Reports.
# out: reports/latest
# formats: [json, junit, markdown, html, badge]
"""
