"""One conformance run inside pytest: the catalog, the exchanges, the captures, the verdicts.

`ConformanceRun` is a pytest plugin object. Collection appends one item per selected case
(`pytest_items`); before the first item runs, every runnable case's exchanges are executed
concurrently (I/O bound, bounded by concurrency), so each item then only runs its pure checks
over the captures. `llmconform run` registers one directly; the standalone plugin
(`pytest_plugin`) builds one from its command-line options.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import pytest

from llmconform.catalog.loader import Catalog, load_catalog
from llmconform.catalog.steps import Variables
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate, skipped, stopped_early_reason, strictly
from llmconform.engine.expand import ExpandOptions, expand, split_sample_id
from llmconform.engine.plan import CORE_CAPABILITIES, skip_reason
from llmconform.engine.preflight import Preflight
from llmconform.engine.redaction import redact_result
from llmconform.engine.sdk_cases import absent_reason, missing_sdk, sdk_of
from llmconform.engine.select import group_name
from llmconform.errors import Misconfigured
from llmconform.evidence.cassette import Cassette
from llmconform.evidence.cassette import load as load_cassette
from llmconform.model import Capture, Case, CaseResult, Outcome, Request
from llmconform.model.work import cut_body
from llmconform.pytest.items import CaseGroup, CaseItem, register_markers
from llmconform.settings import RunSettings
from llmconform.transport.executor import (
    CaseWork,
    Connection,
    TargetDown,
    execute,
    is_deadline_error,
)
from llmconform.transport.floor import measure_floor_ms
from llmconform.transport.targets import OpenTarget, TargetUnreachable, discover_model, open_target

PLUGIN_NAME = "llmconform-run"
CUT_REASON = (
    "the recorded evidence of this case was cut to keep the run within its evidence budget: "
    "it cannot be judged again"
)
REPEAT_TAG = "repeat"  # a case sampled `requests` times (latency profile; see engine/expand)


class Progress:
    """Callbacks for a progress display (no-ops by default)."""

    def start(self, total: int) -> None:
        """`total` cases are about to run."""

    def advance(self, case_id: str) -> None:
        """One case finished its exchanges."""

    def stop(self) -> None:
        """All exchanges finished (or were interrupted)."""


def _weight(work: CaseWork) -> int:
    """How many exchanges a work item will make, roughly (for scheduling only)."""
    if work.weight:
        return work.weight
    if work.requests:
        return len(work.requests)
    return 2 if work.scenario is not None else 1


class ConformanceRun:
    """Plugin object holding one run's state: catalog, captures, results."""

    def __init__(
        self,
        options: RunSettings,
        progress: Progress | None = None,
        target: OpenTarget | None = None,
        case_filter: Callable[[Case], bool] | None = None,
        probe: bool = False,
    ) -> None:
        self.options = options
        # Probe the target (GET /models) alongside the first exchanges. No answer at all
        # stops the run; the error is kept in `unreachable` for the runner to raise
        # (raising inside a pytest hook would be an internal error).
        self.probe = probe
        self.unreachable: TargetUnreachable | None = None
        # The target refused the run's own key, model or URL (engine/preflight): kept for
        # the runner to raise, like `unreachable`.
        self.refused: Misconfigured | None = None
        self.progress = progress or Progress()
        self.catalog: Catalog = load_catalog(known_checks=known_checks())
        self.case_filter = case_filter
        self.target = target
        self.model = options.model or ""
        self.captures: dict[str, list[Capture]] = {}
        self.results: dict[str, CaseResult] = {}
        self.capabilities: frozenset[str] = frozenset()
        self.interrupted = False
        self.settings: dict[str, Any] = {
            "latency": {**options.latency, "warmup": options.warmup},
            "accuracy": {"thresholds": dict(options.accuracy_thresholds)},
            # Checks name --concurrency 1 when streams end early while others were in flight.
            "concurrency": options.concurrency,
        }
        self._samples: dict[str, dict[int, list[Capture]]] = {}
        self.lazy = False  # exchange each case when its item runs (pytest-xdist workers)
        self._floor_measured = False
        self._finished: deque[str] = deque()  # exchanged, not judged yet
        self._early: set[str] = set()  # judged while other exchanges were still running
        self.failures = 0  # failing cases judged so far (for --max-failures)
        self.stopped_early = False  # cases were left unsent once max_failures had failed
        self.missing_sdks: set[str] = set()  # SDKs whose cases were skipped: not installed
        self.cassette: Cassette | None = None
        self._preflight: Preflight | None = None
        # Response body bytes the captures hold, against the run-wide evidence budget.
        self._kept = 0
        self._stack = ExitStack()

    # -- pytest hooks -------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        """Register the markers the items carry (unregistered, each item warned, and cost
        pytest a scan of every registered marker)."""
        register_markers(config)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, items: list[pytest.Item]
    ) -> None:
        """Append one item per case (before -k/-m deselection runs).

        Collected through the session like any collector's items, so that pytest's own
        hooks see them (the header's "collected N items" counts them)."""
        by_file: dict[str, list[Case]] = {}
        for case in self.catalog.cases.values():
            if self.case_filter and not self.case_filter(case):
                continue
            by_file.setdefault(case.source, []).append(case)
        for cases in by_file.values():
            name = group_name(cases[0])
            group = CaseGroup.from_parent(session, name=name, nodeid=name, cases=cases, run=self)
            items.extend(session.genitems(group))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Execute all selected cases' exchanges concurrently before the items run."""
        if session.config.option.collectonly:
            return None
        cases = [i.case for i in session.items if isinstance(i, CaseItem)]
        if not cases:
            return None
        self._open()
        if hasattr(session.config, "workerinput"):
            # A pytest-xdist worker collects every case but runs only those the controller
            # sends it: it exchanges each one as it arrives (CaseItem.setup), so that no
            # case is sent twice. Concurrency is then the number of workers.
            self.lazy = True
            return None
        self.exchange([c for c in cases if self.skip_reason(c) is None])
        return True if self.unreachable or self.refused else None  # True: no item runs

    def exchange(self, runnable: list[Case]) -> None:
        """Execute the exchanges of these cases concurrently and keep their captures."""
        if self.cassette is not None:  # replay: the evidence stands in for the network
            for case in runnable:
                if case.id in self.cassette.cases:
                    self.captures[case.id] = self.cassette.cases[case.id]
            return
        variables = Variables(
            self.model, self.options.embedding_model, self.options.completion_model
        )
        opts = ExpandOptions(self.options.requests, self.options.warmup, self.settings)
        work = [w for case in runnable for w in expand(case, variables, opts)]
        # Longest cases first, so a multi-request case does not finish alone at the end.
        work.sort(key=lambda w: -_weight(w))
        assert self.target is not None
        conn = Connection(
            self.target.base_url,
            self.target.api_key,
            self.target.kind,
            self.options.verify_tls,
            self.restricted_key,
        )

        def done(case_id: str, captures: list[Capture]) -> None:
            base, k = split_sample_id(case_id)
            self._kept += _body_bytes(captures)
            if k is not None:  # one sample of an expanded case
                self._samples.setdefault(base, {})[k] = captures
            else:
                self.captures[case_id] = captures
                self._finished.append(case_id)
                if limit:  # judged now: the count decides whether the next case is sent
                    self._judge_one()
                if self._kept > self.options.limits.evidence_bytes:
                    # Past the budget: judged now, so its bodies can be cut at once.
                    self._judge_early(case_id)
            self.progress.advance(case_id)

        limit = self.options.max_failures

        def stop() -> bool:
            if limit and self.failures >= limit:
                self.stopped_early = True
            return self.stopped_early

        # Finished cases are judged while the loop waits on the target (engine/idle), so
        # that little judging is left once the last answer is in. Not when latency is
        # measured: judging then would sit inside other samples' timings.
        timed = any(REPEAT_TAG in c.tags for c in runnable)
        # A pytest-xdist worker exchanges one case for the item about to judge it anyway.
        idle = None if timed or self.lazy else self._judge_one

        # Everything alive by now (modules, the SDKs' pydantic classes: ~220k objects with
        # both SDKs) outlives the run. Frozen, a full garbage collection no longer rescans it:
        # unfrozen one took 133 ms, a pause that lands inside some exchange's timing.
        gc.freeze()
        probe = Request("GET", "/models") if self.probe else None
        self.probe = False  # once per run
        watch = self._preflight or Preflight(
            self.model,
            bool(conn.api_key),
            self.options.api_key_env,
            conn.base_url,
            expect_probe=probe is not None,
        )
        self._preflight = watch  # pytest-xdist workers exchange case by case: one watcher
        self.progress.start(len(work))
        try:
            execute(
                work,
                conn,
                self.options.limits,
                self.options.concurrency,
                done,
                probe,
                idle,
                watch,
                stop,
            )
        except TargetDown as exc:
            self.unreachable = TargetUnreachable(f"cannot reach {self.target.label}: {exc}")
            return
        except Misconfigured as exc:
            self.refused = exc
            return
        except KeyboardInterrupt:
            self.interrupted = True
            raise
        finally:
            self.progress.stop()
            for base, samples in self._samples.items():  # in sample order, warm-ups first
                self.captures[base] = [c for k in sorted(samples) for c in samples[k]]
        if any(REPEAT_TAG in c.tags for c in runnable) and not self._floor_measured:
            # After the exchanges (not before): the floor is the instrument's, not the target's.
            self.settings["latency"].update(measure_floor_ms())
            self._floor_measured = True

    def pytest_sessionfinish(self) -> None:
        """Stop whatever the run started (the embedded server); let the collector see all."""
        gc.unfreeze()
        self._stack.close()

    @property
    def restricted_key(self) -> str | None:
        """The key that authenticates but lacks permission, if the run has one (a secret)."""
        if self.options.restricted_key:
            return self.options.restricted_key
        return self.target.restricted_key if self.target else None

    # -- run logic -----------------------------------------------------------------------
    def _open(self) -> None:
        if self.target is None:
            self.target = self._stack.enter_context(
                open_target(self.options.target, self.options.api_key)
            )
        if self.target.cassette is not None:
            self.cassette = load_cassette(self.target.cassette)
            header = self.cassette.header
            self.model = self.model or str(header.get("model", ""))
            self.settings = dict(header.get("settings") or self.settings)
            self.capabilities = frozenset(header.get("capabilities") or ())
            return
        if not self.model:
            self.model = self.target.default_model or discover_model(
                Connection(
                    self.target.base_url,
                    self.target.api_key,
                    self.target.kind,
                    self.options.verify_tls,
                ),
                self.options.limits,
                self.target.label,
                self.options.api_key_env,
            )
        declared = self.options.capabilities
        if declared is None:
            declared = self.target.capabilities or CORE_CAPABILITIES
        # A configured key is not a claim that the server requires one: a server that accepts
        # any key would then fail AUTH-001. `auth` is claimed only explicitly (--capability).
        # Only a configured key can exercise the 403 cases, whatever was declared.
        if self.restricted_key:
            declared = declared | {"restricted_key"}
        else:
            declared = declared - {"restricted_key"}
        self.capabilities = declared

    def skip_reason(self, case: Case) -> str | None:
        """Why `case` does not run against this target (capabilities), or here (an SDK case
        whose SDK is not installed; a replay needs none), or None."""
        reason = skip_reason(case, self.capabilities)
        if reason is not None:
            return reason
        if self.cassette is not None:  # a replay: skipped if the recording run skipped it
            absent = self.cassette.header.get("sdks_missing") or ()
            sdk = sdk_of(case)
            return absent_reason(sdk) if sdk is not None and sdk in absent else None
        sdk = missing_sdk(case)
        if sdk is None:
            return None
        self.missing_sdks.add(sdk)  # recorded in the cassette: verify and replay accept it
        return absent_reason(sdk)

    def judge_finished(self) -> None:
        """After an interruption: judge every case whose exchanges finished but whose item
        never ran, so that nothing already paid for is lost from the report."""
        for case_id in list(self.captures):
            if case_id not in self.results:
                self.judge(self.catalog.cases[case_id])

    def _judge_one(self) -> bool:
        """Judge one finished case ahead of its item; False when none is waiting."""
        if not self._finished:
            return False
        self._judge_early(self._finished.popleft())
        return True

    def _judge_early(self, case_id: str) -> None:
        if case_id in self._early:
            return
        try:
            self.judge(self.catalog.cases[case_id])
        except Exception:  # left to the item, which reports it through pytest as usual
            return
        self._early.add(case_id)

    def _within_budget(self, case_id: str) -> None:
        """Once judged, a case's bodies are evidence only: past the run-wide budget they
        keep their first bytes (recorded as cut), so memory and the cassette stay bounded
        however many oversized answers the target sends."""
        if self._kept <= self.options.limits.evidence_bytes or self.cassette is not None:
            return
        captures = self.captures.get(case_id)
        if not captures:
            return
        cut = [cut_body(c) for c in captures]
        self._kept -= _body_bytes(captures) - _body_bytes(cut)
        # In place: the executor's own result map holds this same list until the run ends.
        captures[:] = cut

    def judge(self, case: Case) -> CaseResult:
        """Evaluate one case from its captures and remember the result (secret-free)."""
        if case.id in self._early:
            return self.results[case.id]
        captures = self.captures.get(case.id)
        # A replay of such a run has no exchange for them either (its cassette says so).
        replayed = self.cassette.header.get("stopped_early") if self.cassette else None
        if captures is None and (self.stopped_early or isinstance(replayed, int)):
            limit = replayed if isinstance(replayed, int) else self.options.max_failures
            result = skipped(case, stopped_early_reason(limit))
        elif captures is None:
            why = (
                "the cassette holds no exchange for this case"
                if self.cassette is not None
                else "the run stopped before this case's exchanges finished"
            )
            result = skipped(case, why, Outcome.ERROR)
        elif self.cassette is not None and any(c.cut for c in captures):
            result = skipped(case, CUT_REASON, Outcome.ERROR)
        else:
            result = evaluate(case, captures, self.catalog.requirements, self.model, self.settings)
            cut = next(
                (c.error for c in captures if c.status is None and is_deadline_error(c.error)),
                None,
            )
            if cut:
                # The run deadline stopped this case: an error, and the run is incomplete.
                self.interrupted = True
                result = replace(result, outcome=Outcome.ERROR, reason=cut, findings=())
        if self.options.strict:  # one judgement: the item fails as the report will
            result = strictly(result)
        # Excerpts and messages quote the target, which may echo the key back.
        key = self.target.api_key if self.target else self.options.api_key
        result = redact_result(redact_result(result, key), self.restricted_key)
        if result.outcome is Outcome.FAIL:
            self.failures += 1
        self.results[case.id] = result
        self._within_budget(case.id)
        return result


def _body_bytes(captures: list[Capture]) -> int:
    return sum(len(ch.data) for c in captures for ch in c.chunks)
