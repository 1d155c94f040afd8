"""Checks: named pure functions over a `CheckContext`, collected by id into `CHECKS`.

`CHECKS` (a `Registry`) lists the modules that define checks and reads them on first use.
"""

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
    "check",
    "known_checks",
]
