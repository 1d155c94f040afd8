"""Checks: named pure functions over a `CheckContext`, registered by id.

Importing this package registers every check; `CHECKS` maps names to `CheckSpec`s.
"""

from llmconform.checks import (
    anthropic,
    chat,
    completions,
    embeddings,
    errors,
    http,
    models,
    perf,
    responses,
    stream,
)
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import CHECKS, CheckSpec, Issue, IssueKind, check, known_checks

__all__ = [
    "CHECKS",
    "CheckContext",
    "CheckSpec",
    "Exchange",
    "Issue",
    "IssueKind",
    "Unverifiable",
    "anthropic",
    "chat",
    "check",
    "completions",
    "embeddings",
    "errors",
    "http",
    "known_checks",
    "models",
    "perf",
    "responses",
    "stream",
]
