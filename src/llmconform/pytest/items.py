"""The pytest nodes of a run: one item per conformance case, grouped by the file it is in.

An item only judges: its case's exchanges were made before the items ran (or, under
pytest-xdist, in its setup); `ConformanceRun` holds them and the verdicts. pytest outcomes:
pass/warn → passed, fail → failed, error → error (raised in setup), skip/unsupported → skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from llmconform.engine.evaluate import skipped
from llmconform.engine.select import case_profiles
from llmconform.model import Case, CaseResult, Outcome

if TYPE_CHECKING:
    from llmconform.pytest.conformance_run import ConformanceRun

MARKERS = (
    "llmconform: an llmconform conformance case",
    "llmconform_profile(name): the case reports on requirements of that profile",
)


def register_markers(config: pytest.Config) -> None:
    """Register the markers items carry, once (an embedded run and the standalone plugin
    both call this; unregistered, every item warned and made pytest rescan its markers)."""
    registered = config.getini("markers")
    for line in MARKERS:
        if line not in registered:
            config.addinivalue_line("markers", line)


class CaseFailed(Exception):
    """A case failed conformance (the pytest failure carries its findings)."""


class CaseItem(pytest.Item):
    """One conformance case."""

    def __init__(self, *, case: Case, run: ConformanceRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.run = run
        self.add_marker(pytest.mark.llmconform)
        # One `llmconform_profile(name=…)` marker per profile, selected with
        # -m "llmconform_profile(name='chat-streaming')". A single marker *name* keeps -k
        # meaning "case ids containing …": pytest matches -k against marker names too.
        for profile in sorted(case_profiles(case, run.catalog)):
            self.add_marker(pytest.mark.llmconform_profile(name=profile))

    def setup(self) -> None:
        """Skip undeclared capabilities; a case whose exchange broke is an error here."""
        reason = self.run.skip_reason(self.case)
        if reason:
            self.run.results[self.case.id] = skipped(self.case, reason)
            pytest.skip(reason)
        if self.run.lazy and self.case.id not in self.run.captures:
            self.run.exchange([self.case])

    def runtest(self) -> None:
        """Run the pure checks over the captured exchanges."""
        result = self.run.judge(self.case)
        self.user_properties.append(("llmconform_outcome", result.outcome.value))
        if result.outcome in (Outcome.FAIL, Outcome.ERROR):
            raise CaseFailed(result)
        if result.outcome is Outcome.UNSUPPORTED:
            pytest.skip(f"unsupported: {result.reason or 'the target declined the feature'}")
        if result.outcome is Outcome.SKIP:
            pytest.skip(f"inconclusive: {result.reason}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The findings, one per line, instead of a traceback."""
        if isinstance(excinfo.value, CaseFailed):
            return failure_text(excinfo.value.args[0])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        """Where the case is defined."""
        return (f"conformance/{self.case.source}", None, f"llmconform case {self.case.id}")


class CaseGroup(pytest.Collector):
    """The cases of one conformance file (a parent node, so node ids read file::case).

    Created with its node id set to its name (`llmconform/openai/chat.yaml`): under the
    session it would otherwise read `::llmconform/…`, which pytest prints as a stray `.`
    location and in every node id.
    """

    def __init__(self, *, cases: Sequence[Case] = (), run: ConformanceRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cases = tuple(cases)
        self.run = run

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """One item per case of this file that the run selected (nothing is read from disk)."""
        return [CaseItem.from_parent(self, name=c.id, case=c, run=self.run) for c in self.cases]


def failure_text(result: CaseResult) -> str:
    """A failed case for pytest: its first line (what `-rf`/`-rA` show in the short
    summary) names the first failing requirement and its message; the rest lists every
    finding that did not pass."""
    bad = [f for f in result.findings if f.outcome is not Outcome.PASS]
    first = [f for f in bad if f.outcome is result.outcome] or bad
    if first:
        head = f"{first[0].requirement} ({first[0].level}) {first[0].message}"
        if len(bad) > 1:
            head += f" (+{len(bad) - 1} more)"
    else:
        head = f"{result.outcome.value}: {result.reason or 'no finding recorded'}"
    lines = [head]
    if result.reason and first:
        lines.append(f"  {result.reason}")
    lines += [
        f"  [{f.requirement} {f.level}] {f.check}: {f.outcome.value}: {f.message}"
        + (f" (at {f.path})" if f.path else "")
        for f in bad
    ]
    return "\n".join(lines)
