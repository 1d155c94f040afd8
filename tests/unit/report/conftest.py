"""Hand-built RunReports for the renderer tests.

The factory is handed out as a fixture (`build`) rather than imported, so these tests do not
depend on how the test tree is laid out as packages.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from llmconform.model import (
    CaseResult,
    ExchangeSummary,
    Finding,
    Level,
    Outcome,
    ProfileResult,
    ProfileVerdict,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


class Build:
    """Small constructors with defaults, so each test states only what it is about."""

    @staticmethod
    def finding(
        requirement: str = "CHAT-STREAM-004",
        outcome: Outcome = Outcome.FAIL,
        message: str = "stream ended without data: [DONE]",
        **kw: Any,
    ) -> Finding:
        level = {Outcome.FAIL: Level.MUST, Outcome.WARN: Level.SHOULD}.get(outcome, Level.MAY)
        fields: dict[str, Any] = {"level": level, "check": "stream.done_sentinel", "path": ""}
        fields.update(kw)
        return Finding(requirement=requirement, message=message, outcome=outcome, **fields)

    @staticmethod
    def exchange(**kw: Any) -> ExchangeSummary:
        fields: dict[str, Any] = {
            "method": "POST",
            "path": "/chat/completions",
            "status": 200,
            "ms": 12.5,
            "bytes": 512,
        }
        fields.update(kw)
        return ExchangeSummary(**fields)

    @staticmethod
    def case(
        case_id: str, outcome: Outcome = Outcome.PASS, api: str = "chat", **kw: Any
    ) -> CaseResult:
        fields: dict[str, Any] = {"title": f"title of {case_id}", "duration_ms": 250.0}
        fields.update(kw)
        return CaseResult(case_id=case_id, api=api, outcome=outcome, **fields)

    @staticmethod
    def requirement(
        req_id: str,
        outcome: Outcome = Outcome.PASS,
        cases: tuple[str, ...] = (),
        level: Level = Level.MUST,
        area: str = "streaming",
        **kw: Any,
    ) -> RequirementResult:
        req = Requirement(
            id=req_id,
            level=level,
            area=area,
            statement=f"statement of {req_id}",
            spec="https://example.invalid/spec#" + req_id,
            rationale="clients break otherwise",
            profiles=("chat-core",),
        )
        return RequirementResult(requirement=req, outcome=outcome, cases=cases, **kw)

    @staticmethod
    def info(**kw: Any) -> RunInfo:
        fields: dict[str, Any] = {
            "llmconform_version": "0.1.0",
            "edition": "2026.11",
            "target": "http://127.0.0.1:8000/v1",
            "model": "test-model",
            "started_at": "2026-11-02T10:00:00Z",
            "finished_at": "2026-11-02T10:01:00Z",
            "options": {
                "catalog_digest": DIGEST,
                "concurrency": 4,
                "timeout": 30.0,
                "filters": ["chat-*"],
                "nested": {"b": 1, "a": None},
            },
            "capabilities": ("streaming", "tools"),
        }
        fields.update(kw)
        return RunInfo(**fields)

    @staticmethod
    def profile(
        name: str = "chat-core", verdict: ProfileVerdict = ProfileVerdict.CERTIFIED, **kw: Any
    ) -> ProfileResult:
        fields: dict[str, Any] = {"requirements": 3, "passed": 3}
        fields.update(kw)
        return ProfileResult(name=name, verdict=verdict, **fields)

    @staticmethod
    def report(
        cases: tuple[CaseResult, ...] = (),
        requirements: tuple[RequirementResult, ...] = (),
        verdict: Outcome = Outcome.PASS,
        profiles: tuple[ProfileResult, ...] = (),
        **info: Any,
    ) -> RunReport:
        counts: dict[str, int] = {}
        for case in cases:
            counts[case.outcome.value] = counts.get(case.outcome.value, 0) + 1
        return RunReport(
            info=Build.info(**info),
            cases=cases,
            requirements=requirements,
            verdict=verdict,
            counts=counts,
            profiles=profiles,
        )


@pytest.fixture
def build() -> type[Build]:
    """The factory class."""
    return Build


@pytest.fixture
def sample() -> RunReport:
    """A mixed run: two APIs, every outcome, three requirement areas, four profile verdicts."""
    return sample_report()


def sample_report() -> RunReport:
    """The `sample` fixture's report, for code that runs outside a fixture."""
    b = Build
    fail = b.finding(
        "CHAT-STREAM-004",
        message="stream ended without data: [DONE]",
        path="$.events[-1]",
    )
    second_fail = b.finding("CHAT-STREAM-004", message="second problem", exchange=1)
    warn = b.finding(
        "CHAT-CREATED-002", Outcome.WARN, "created looks like milliseconds", check="chat.created"
    )
    cases = (
        b.case("chat.basic", requirements=("CHAT-CREATED-002",), exchanges=(b.exchange(),)),
        b.case(
            "chat.stream.done",
            Outcome.FAIL,
            findings=(fail, second_fail),
            requirements=("CHAT-STREAM-004",),
            exchanges=(b.exchange(), b.exchange(status=None, ms=None, error="reset")),
            duration_ms=1234.5,
        ),
        b.case(
            "chat.created.seconds",
            Outcome.WARN,
            findings=(warn,),
            requirements=("CHAT-CREATED-002",),
        ),
        b.case("chat.tools.roundtrip", Outcome.ERROR, reason="connection refused"),
        b.case("chat.logprobs", Outcome.SKIP, reason="capability 'logprobs' not declared"),
        b.case(
            "chat.n2",
            Outcome.UNSUPPORTED,
            findings=(b.finding("CHAT-N-001", Outcome.UNSUPPORTED, "n>1 rejected with 400"),),
        ),
        b.case("responses.basic", api="responses", duration_ms=100.0),
    )
    requirements = (
        b.requirement("CHAT-STREAM-004", Outcome.FAIL, ("chat.stream.done",), findings=2),
        b.requirement(
            "CHAT-CREATED-002",
            Outcome.WARN,
            ("chat.basic", "chat.created.seconds"),
            level=Level.SHOULD,
            area="core",
            findings=1,
        ),
        b.requirement("CHAT-N-001", Outcome.UNSUPPORTED, ("chat.n2",), area="core"),
        b.requirement("RESP-001", Outcome.PASS, ("responses.basic",), area="responses"),
    )
    profiles = (
        b.profile(
            "chat-core",
            ProfileVerdict.NOT_CERTIFIED,
            requirements=4,
            passed=1,
            warned=1,
            failed=1,
            skipped=1,
            failing=("CHAT-STREAM-004",),
            reason="1 requirement(s) failed",
        ),
        b.profile("chat-streaming", ProfileVerdict.CERTIFIED, requirements=2, passed=2),
        b.profile(
            "errors-and-auth",
            ProfileVerdict.INCONCLUSIVE,
            requirements=2,
            passed=1,
            errored=1,
            reason="MUST requirement(s) not tested or errored: ERR-001",
        ),
        b.profile(
            "embeddings",
            ProfileVerdict.NOT_TESTED,
            requirements=1,
            passed=0,
            skipped=1,
            reason="no requirement of this profile was tested",
        ),
    )
    return b.report(cases, requirements, Outcome.FAIL, profiles)


def with_message(report: RunReport, message: str) -> RunReport:
    """`report` with the first finding of its failing case replaced by `message`."""
    cases = list(report.cases)
    for i, case in enumerate(cases):
        if case.outcome is Outcome.FAIL:
            first = replace(case.findings[0], message=message)
            cases[i] = replace(case, findings=(first, *case.findings[1:]))
            break
    return replace(report, cases=tuple(cases))


@pytest.fixture
def hostile() -> Any:
    """A function that plants a target-controlled message into the sample's failing case."""
    return with_message
