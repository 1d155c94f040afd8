"""The check registry: named pure functions `check(ctx) -> Iterable[Issue]`.

A check declares the requirement ids it reports on. It never decides the outcome itself: the
engine turns each `Issue` into a `Finding` using the requirement's level from the catalog, so a
requirement's level can be recalibrated in data without touching code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from llmconform.registry import Registry

if TYPE_CHECKING:
    from llmconform.checks.context import CheckContext


class IssueKind(StrEnum):
    """`violation` breaks a requirement; `unsupported` is a permitted refusal; `info`, a note."""

    VIOLATION = "violation"
    UNSUPPORTED = "unsupported"
    INFO = "info"
    INCONCLUSIVE = "inconclusive"  # not enough evidence to decide (e.g. too few samples)


@dataclass(frozen=True)
class Issue:
    """What a check reports; `path` is a JSON path or an event locator (`event[3].choices`)."""

    requirement: str
    message: str
    path: str = ""
    exchange: int = 0
    kind: IssueKind = IssueKind.VIOLATION


CheckFn = Callable[["CheckContext"], Iterable[Issue]]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its name, the requirements it reports on, and the function.

    `expects_error` marks a check that passes only on an error answer (a 4xx): a case using
    one is built to be rejected, so planning counts no output tokens for it.
    """

    name: str
    requirements: tuple[str, ...]
    fn: CheckFn
    doc: str
    expects_error: bool = False


# Every module that defines checks: the registry collects their `@check` functions when it is
# first read (see `llmconform.registry`), so no import has to happen for its side effect.
CHECK_MODULES = (
    "llmconform.checks.http",
    "llmconform.checks.errors",
    "llmconform.checks.properties",
    "llmconform.checks.perf",
    "llmconform.checks.accuracy",
    "llmconform.checks.sdk",
    "llmconform.checks.openai.chat",
    "llmconform.checks.openai.stream",
    "llmconform.checks.openai.stream_usage",
    "llmconform.checks.openai.tools",
    "llmconform.checks.openai.tools_stream",
    "llmconform.checks.openai.completions",
    "llmconform.checks.openai.embeddings",
    "llmconform.checks.openai.logprobs",
    "llmconform.checks.openai.models",
    "llmconform.checks.openai.params",
    "llmconform.checks.openai.structured",
    "llmconform.checks.responses.core",
    "llmconform.checks.responses.params",
    "llmconform.checks.responses.stream",
    "llmconform.checks.responses.tools",
    "llmconform.checks.anthropic.core",
    "llmconform.checks.anthropic.tools",
    "llmconform.checks.anthropic.thinking",
    "llmconform.checks.anthropic.usage",
)


def _spec(fn: CheckFn, name: str, *requirements: str, expects_error: bool = False) -> CheckSpec:
    return CheckSpec(name, requirements, fn, (fn.__doc__ or "").strip(), expects_error)


CHECKS: Registry[CheckSpec] = Registry("check", CHECK_MODULES, _spec)


def check(
    name: str, *requirements: str, expects_error: bool = False
) -> Callable[[CheckFn], CheckFn]:
    """Define `fn` as check `name`, reporting on `requirements` (the first is its default).

    `expects_error`: the check passes only when the answer is an error status.
    """
    if not requirements:
        raise ValueError(f"check {name!r} must name at least one requirement")
    return CHECKS.define(name, *requirements, expects_error=expects_error)


def known_checks() -> dict[str, tuple[str, ...]]:
    """Check names mapped to the requirement ids they may report on (for catalog validation)."""
    return {name: spec.requirements for name, spec in CHECKS.items()}
