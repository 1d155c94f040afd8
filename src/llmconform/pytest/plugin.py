"""The pytest plugin: `pytest -p llmconform.pytest_plugin --llmconform-target URL`.

A vendor loads it in their own test run and gets the outcomes `llmconform run` would give:
its options build a `ConformanceRun` (conformance_run), whose items (pytest_items) are the
cases. Without `--llmconform-target` it only registers its markers and stays inert (it is
also a `pytest11` entry point, so it loads wherever llmconform is installed).
"""

from __future__ import annotations

import os

import pytest

from llmconform.engine.plan import API_FAMILIES, CORE_CAPABILITIES
from llmconform.engine.select import default_apis, selected
from llmconform.model import Limits
from llmconform.pytest.conformance_run import PLUGIN_NAME, ConformanceRun
from llmconform.pytest.items import register_markers
from llmconform.settings import DEFAULTS, RunSettings


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options for running the suite from plain pytest."""
    group = parser.getgroup("llmconform", "LLM API conformance (llmconform)")
    group.addoption(
        "--llmconform-target",
        default=None,
        help="target to test: reference, http(s)://host/v1, or asgi:pkg.mod:app",
    )
    group.addoption("--llmconform-model", default=None, help="model id to test")
    group.addoption(
        "--llmconform-api-key-env",
        default=DEFAULTS.api_key_env,
        help="environment variable holding the API key",
    )
    group.addoption(
        "--llmconform-concurrency",
        type=int,
        default=DEFAULTS.concurrency,
        help=f"exchanges in flight at once (default {DEFAULTS.concurrency})",
    )
    group.addoption(
        "--llmconform-timeout",
        type=float,
        default=DEFAULTS.limits.timeout_s,
        help=f"seconds one exchange may take (default {DEFAULTS.limits.timeout_s:g})",
    )
    group.addoption(
        "--llmconform-requests",
        type=int,
        default=DEFAULTS.requests,
        help=f"samples per latency case (default {DEFAULTS.requests}; p99 needs 299)",
    )
    group.addoption(
        "--llmconform-warmup",
        type=int,
        default=DEFAULTS.warmup,
        help=f"leading latency samples discarded (default {DEFAULTS.warmup})",
    )
    group.addoption(
        "--llmconform-profile",
        action="append",
        default=None,
        help="claim a profile (repeatable); opt-in profiles (performance, accuracy) need it",
    )
    group.addoption(
        "--llmconform-api",
        action="append",
        default=None,
        choices=sorted(API_FAMILIES),
        help="wire formats to test (repeatable; default: all for reference, else openai)",
    )
    group.addoption(
        "--llmconform-capability",
        action="append",
        default=None,
        help="declare a capability of the target (repeatable)",
    )
    group.addoption(
        "--llmconform-strict",
        action="store_true",
        default=False,
        help="SHOULD warnings fail their case (as llmconform run --strict)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; start a run when --llmconform-target is given."""
    register_markers(config)
    target = config.getoption("llmconform_target", None)
    if target is None or config.pluginmanager.has_plugin(PLUGIN_NAME):
        return
    caps = config.getoption("llmconform_capability")
    options = RunSettings(
        target=target,
        model=config.getoption("llmconform_model"),
        api_key=os.environ.get(config.getoption("llmconform_api_key_env")) or None,
        concurrency=config.getoption("llmconform_concurrency"),
        limits=Limits(timeout_s=config.getoption("llmconform_timeout")),
        requests=config.getoption("llmconform_requests"),
        warmup=config.getoption("llmconform_warmup"),
        capabilities=(CORE_CAPABILITIES | frozenset(caps)) if caps else None,
        strict=config.getoption("llmconform_strict"),
    )
    claimed = config.getoption("llmconform_profile") or []
    apis = frozenset(config.getoption("llmconform_api") or ()) or default_apis(
        "reference" if target == "reference" else "http"
    )
    run = ConformanceRun(
        options, case_filter=lambda case: selected(case, run.catalog, apis, claimed)
    )
    config.pluginmanager.register(run, PLUGIN_NAME)
