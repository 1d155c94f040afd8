"""Checks: named pure functions over a `CheckContext`, registered by id.

Importing this package registers every check; `CHECKS` maps names to `CheckSpec`s.
"""

from llmconform.checks import (
    accuracy,
    anthropic,
    chat,
    completions,
    embeddings,
    errors,
    http,
    logprobs,
    models,
    params,
    perf,
    properties,
    responses,
    sdk,
    stream,
    structured,
    tools,
)
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import CHECKS, CheckSpec, Issue, IssueKind, check, known_checks
from llmconform.engine import chat_scenarios  # registers the Chat Completions scenarios

__all__ = [
    "CHECKS",
    "CheckContext",
    "CheckSpec",
    "Exchange",
    "Issue",
    "IssueKind",
    "Unverifiable",
    "accuracy",
    "anthropic",
    "chat",
    "chat_scenarios",
    "check",
    "completions",
    "embeddings",
    "errors",
    "http",
    "known_checks",
    "logprobs",
    "models",
    "params",
    "perf",
    "properties",
    "responses",
    "sdk",
    "stream",
    "structured",
    "tools",
]
