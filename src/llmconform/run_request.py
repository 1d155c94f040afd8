"""What `llmconform run` was asked to do, as one frozen value (the CLI builds it, the runner
reads it), and the error for a request that cannot be run as asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmconform.engine.executor import Limits
from llmconform.metrics.latency import PRESETS


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
