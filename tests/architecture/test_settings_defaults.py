"""Every entry point reads the one set of run defaults (`settings.DEFAULTS`).

The settings used to be declared four times and drifted: `--requests` defaulted to 300 in the
CLI and to 100 in the runner and the plugin, so a plugin run could never decide a p99 gate.
"""

from __future__ import annotations

from typing import Any

import click
import pytest

from llmconform.cli.plan import plan_command
from llmconform.cli.run import run_command
from llmconform.pytest.plugin import pytest_addoption
from llmconform.settings import DEFAULTS

# option (as click names its parameter) -> the default it must have
EXPECTED: dict[str, Any] = {
    "target": DEFAULTS.target,
    "concurrency": DEFAULTS.concurrency,
    "timeout": DEFAULTS.limits.timeout_s,
    "idle_timeout": DEFAULTS.limits.idle_timeout_s,
    "deadline": DEFAULTS.limits.run_deadline_s,
    "n_requests": DEFAULTS.requests,
    "warmup": DEFAULTS.warmup,
}


def _defaults(command: click.Command) -> dict[str, Any]:
    return {p.name: p.default for p in command.params if p.name is not None}


@pytest.mark.parametrize("command", [run_command, plan_command], ids=["run", "plan"])
def test_cli_flags_default_to_the_settings(command: click.Command) -> None:
    found = _defaults(command)
    shared = {name: value for name, value in EXPECTED.items() if name in found}
    assert shared, "the command declares none of the shared settings"
    assert {name: found[name] for name in shared} == shared


def test_run_and_plan_agree_on_latency_samples() -> None:
    run, plan = _defaults(run_command), _defaults(plan_command)
    assert run["n_requests"] == plan["n_requests"] == DEFAULTS.requests
    assert run["warmup"] == plan["warmup"] == DEFAULTS.warmup


class _Recorder:
    """Stands in for pytest's parser: records each option's default."""

    def __init__(self) -> None:
        self.defaults: dict[str, Any] = {}

    def getgroup(self, *args: object) -> _Recorder:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.defaults[names[0]] = kwargs.get("default")


def test_the_pytest_plugin_defaults_to_the_settings() -> None:
    parser = _Recorder()
    pytest_addoption(parser)  # type: ignore[arg-type]
    got = parser.defaults
    assert got["--llmconform-requests"] == DEFAULTS.requests
    assert got["--llmconform-warmup"] == DEFAULTS.warmup
    assert got["--llmconform-concurrency"] == DEFAULTS.concurrency
    assert got["--llmconform-timeout"] == DEFAULTS.limits.timeout_s
    assert got["--llmconform-api-key-env"] == DEFAULTS.api_key_env


def test_a_p99_gate_is_decidable_by_default() -> None:
    # Nearest-rank p99 needs n >= 299; a default below it makes every gate inconclusive.
    assert DEFAULTS.requests >= 299
