"""The settings of one run, as one frozen value with one set of defaults.

The CLI (`llmconform run`, `plan`), the pytest plugin, the runner, the report's
`info.options` and `verify` all read this object, so a default is written once: a flag's
default is `DEFAULTS.<field>`, and a test holds every entry point to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from llmconform.model import Limits

__all__ = [
    "DEFAULTS",
    "DEFAULT_LATENCY_PRESET",
    "LATENCY_PRESETS",
    "RunOptionsJSON",
    "RunSettings",
    "read_options",
]

# Latency gates (p99, ms) of the presets a run can name; MLPerf's server and interactive limits.
LATENCY_PRESETS: dict[str, dict[str, float]] = {
    "mlperf-server": {"ttft_p99_ms": 2000.0, "tpot_p99_ms": 100.0},
    "mlperf-interactive": {"ttft_p99_ms": 500.0, "tpot_p99_ms": 30.0},
}
DEFAULT_LATENCY_PRESET = "mlperf-server"


@dataclass(frozen=True)
class RunSettings:
    """Everything a run was asked to do (the keys are secrets: not in repr)."""

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
    capabilities: frozenset[str] | None = None  # None: the target's defaults or the core set
    verify_tls: bool = True
    verbose: bool = False
    apis: frozenset[str] | None = None  # `--api` families; None: all for the reference, else openai
    profiles: tuple[str, ...] = ()  # claimed profiles; () = every profile
    strict: bool = False  # SHOULD warnings fail certification
    embedding_model: str = ""  # for /embeddings cases; default: the chat model
    completion_model: str = ""  # for legacy /completions cases; default: the chat model
    # Samples per latency case: p99 by nearest rank needs n >= 299 to be decided.
    requests: int = 300
    warmup: int = 3  # leading samples discarded
    latency: dict[str, float] = field(
        default_factory=lambda: dict(LATENCY_PRESETS[DEFAULT_LATENCY_PRESET])
    )
    record: Path | None = None  # write a cassette of every exchange here
    redact_headers: frozenset[str] = frozenset()  # more response headers kept out of cassettes
    waivers: tuple[dict[str, Any], ...] = ()  # validated by settings.config_file
    baseline: frozenset[str] | None = None  # case ids known to fail (CI gating only)
    write_baseline: Path | None = None
    quiet: bool = False  # only the verdict line
    json_out: bool = False  # the JSON report on stdout, nothing else
    accuracy_thresholds: dict[str, float] = field(default_factory=dict)  # per fixture set
    # Stop sending new cases once this many have failed (0: never); a quick red signal.
    max_failures: int = 0

    def options_json(
        self,
        *,
        apis: list[str],
        catalog_digest: str,
        transport: str,
        cassette: dict[str, Any] | None,
        failing_examples: dict[str, Any] | None,
        waivers: list[dict[str, Any]],
    ) -> RunOptionsJSON:
        """The report's `info.options`: these settings plus what the run itself decided."""
        return {
            "concurrency": self.concurrency,
            "timeout_s": self.limits.timeout_s,
            "idle_timeout_s": self.limits.idle_timeout_s,
            "run_deadline_s": self.limits.run_deadline_s,
            "max_body_bytes": self.limits.max_body_bytes,
            "api_key_env": self.api_key_env if self.api_key else None,
            "filter": self.keyword,
            "profiles": list(self.profiles),
            "strict": self.strict,
            "requests": self.requests,
            "warmup": self.warmup,
            "latency_thresholds_ms": dict(self.latency),
            "apis": apis,
            "verify_tls": self.verify_tls,
            "catalog_digest": catalog_digest,
            "cassette": cassette,
            "failing_examples": failing_examples,
            "waivers": waivers,
            "transport": transport,
        }


DEFAULTS = RunSettings()


class RunOptionsJSON(TypedDict, total=False):
    """The JSON form of a run's settings in a report (`info.options`), key by key."""

    concurrency: int
    timeout_s: float
    idle_timeout_s: float
    run_deadline_s: float
    max_body_bytes: int
    api_key_env: str | None
    filter: str | None
    profiles: list[str]
    strict: bool
    requests: int
    warmup: int
    latency_thresholds_ms: dict[str, float]
    apis: list[str]
    verify_tls: bool
    catalog_digest: str
    cassette: dict[str, Any] | None
    failing_examples: dict[str, Any] | None
    waivers: list[dict[str, Any]]
    transport: str


_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "concurrency": (int,),
    "timeout_s": (int, float),
    "idle_timeout_s": (int, float),
    "run_deadline_s": (int, float),
    "max_body_bytes": (int,),
    "api_key_env": (str, type(None)),
    "filter": (str, type(None)),
    "profiles": (list,),
    "strict": (bool,),
    "requests": (int,),
    "warmup": (int,),
    "latency_thresholds_ms": (dict,),
    "apis": (list,),
    "verify_tls": (bool,),
    "catalog_digest": (str,),
    "cassette": (dict, type(None)),
    "failing_examples": (dict, type(None)),
    "waivers": (list,),
    "transport": (str,),
}


_NAME_LISTS = frozenset({"profiles", "apis"})


def read_options(raw: Mapping[str, Any]) -> tuple[RunOptionsJSON, list[str]]:
    """A report's options read back with their types checked: (the known keys, problems).

    An unknown key or a value of the wrong type is a problem (a report we did not write as
    it stands); the keys that pass are returned typed.
    """
    problems: list[str] = []
    known: dict[str, Any] = {}
    for key, value in raw.items():
        types = _OPTION_TYPES.get(key)
        if types is None:
            problems.append(f"the report's options hold an unknown key {key[:40]!r}")
        elif (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            problems.append(f"the report's option {key!r} has the wrong type")
        elif (
            key in _NAME_LISTS
            and isinstance(value, list)
            and not all(isinstance(v, str) for v in value)
        ):
            problems.append(f"the report's option {key!r} must list names")
        else:
            known[key] = value
    return RunOptionsJSON(**known), problems  # type: ignore[typeddict-item]
