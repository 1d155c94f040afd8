"""Test support: run the whole suite in-process against an ASGI app and get the report."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from llmconform.engine.plan import ALL_CAPABILITIES
from llmconform.model import Outcome, RunReport
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.targets import serve_app

TEST_KEY = "sk-llmconform-test-0123456789abcdef"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"  # a copy, with its INDEX.tsv

RunAgainst = Callable[..., RunReport]


def run_against(
    app: Any,
    *,
    api_key: str | None = TEST_KEY,
    keyword: str | None = None,
    capabilities: frozenset[str] = frozenset(ALL_CAPABILITIES),
    model: str = "llmconform-reference",
    apis: frozenset[str] | None = frozenset({"openai", "responses", "anthropic"}),
    include_sdk: bool = False,
    **options: Any,
) -> RunReport:
    """Serve `app` on loopback and run the suite against it like `llmconform run` does.

    Extra keyword `options` are RunSettings fields (profiles, requests, latency, ...).
    SDK cases are left out unless `include_sdk`: they re-test through the official SDKs what
    the wire-level cases test, so the exact-set broken-server tests stay about the wire, and
    tests/sdk covers them.
    """
    if not include_sdk:
        keyword = f"({keyword}) and not sdk" if keyword else "not sdk"
    with serve_app(app, "test-app", api_key, capabilities) as target:
        request = RunSettings(
            target="asgi:test",
            model=model,
            api_key=api_key,
            keyword=keyword,
            capabilities=capabilities,
            apis=apis,
            **options,
        )
        return execute_run(request, target, Console(file=io.StringIO()))


def outcomes(report: RunReport, outcome: Outcome) -> set[str]:
    """Ids of the cases that ended with `outcome`."""
    return {c.case_id for c in report.cases if c.outcome is outcome}


class RecordPaths:
    """ASGI middleware that records the path of every HTTP request it passes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)
