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


CHECKS: dict[str, CheckSpec] = {}


def check(
    name: str, *requirements: str, expects_error: bool = False
) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` as check `name`, reporting on `requirements` (the first is its default).

    `expects_error`: the check passes only when the answer is an error status.
    """

    def register(fn: CheckFn) -> CheckFn:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        if not requirements:
            raise ValueError(f"check {name!r} must name at least one requirement")
        doc = (fn.__doc__ or "").strip()
        CHECKS[name] = CheckSpec(name, requirements, fn, doc, expects_error)
        return fn

    return register


def known_checks() -> dict[str, tuple[str, ...]]:
    """Check names mapped to the requirement ids they may report on (for catalog validation)."""
    return {name: spec.requirements for name, spec in CHECKS.items()}
