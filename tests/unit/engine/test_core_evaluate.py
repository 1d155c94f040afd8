"""engine.evaluate: from captures and checks to findings and a case outcome (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from llmconform.checks import CHECKS, CheckContext, Issue, IssueKind, Unverifiable, check
from llmconform.engine.evaluate import (
    REUSE_REQUIREMENT,
    TRANSPORT_REQUIREMENT,
    evaluate,
    skipped,
    summarize,
)
from llmconform.model import Case, CaseResult, CheckRef, Level, Outcome, Requirement

from core_helpers import T0, capture, completion

REQS = {
    r.id: r
    for r in (
        Requirement("T-MUST", Level.MUST, "t", "must"),
        Requirement("T-SHOULD", Level.SHOULD, "t", "should"),
        Requirement("T-MAY", Level.MAY, "t", "may"),
        Requirement(TRANSPORT_REQUIREMENT, Level.MUST, "http", "complete"),
    )
}


# Test-only checks, registered once under names no conformance file uses.
@check("core-test.issue", "T-MUST", "T-SHOULD", "T-MAY")
def _issue(ctx: CheckContext) -> Iterator[Issue]:
    for req in ctx.args.get("reqs", []):
        kind = IssueKind(ctx.args.get("kind", "violation"))
        yield Issue(req, f"about {req}", "$.x", ctx.primary.index, kind)


@check("core-test.crash", "T-SHOULD")
def _crash(ctx: CheckContext) -> Iterator[Issue]:
    raise KeyError("boom")


@check("core-test.unverifiable", "T-SHOULD", "T-MUST")
def _unverifiable(ctx: CheckContext) -> Iterator[Issue]:
    _ = ctx.primary.json  # raises Unverifiable on a non-JSON body
    raise Unverifiable("no data")


@check("core-test.clean", "T-MAY")
def _clean(ctx: CheckContext) -> Iterator[Issue]:
    return iter(())


CHECKS.include(__name__)  # the test-only definitions above


def make_case(*refs: CheckRef) -> Case:
    return Case("t.case", "a case", "openai-chat", (), refs)


def issue_ref(*reqs: str, kind: str = "violation") -> CheckRef:
    return CheckRef("core-test.issue", (("kind", kind), ("reqs", list(reqs))))


@pytest.mark.parametrize(
    ("req", "outcome"),
    [("T-MUST", Outcome.FAIL), ("T-SHOULD", Outcome.WARN), ("T-MAY", Outcome.PASS)],
)
def test_the_requirement_level_decides_the_outcome(req: str, outcome: Outcome) -> None:
    result = evaluate(make_case(issue_ref(req)), [capture(completion())], REQS)
    [finding] = result.findings
    assert (finding.requirement, finding.level, finding.outcome) == (req, REQS[req].level, outcome)
    assert (finding.check, finding.message, finding.path) == (
        "core-test.issue",
        f"about {req}",
        "$.x",
    )
    assert result.outcome is outcome


def test_the_worst_finding_decides_the_case() -> None:
    result = evaluate(make_case(issue_ref("T-MAY", "T-SHOULD", "T-MUST")), [capture(b"{}")], REQS)
    assert [f.outcome for f in result.findings] == [Outcome.PASS, Outcome.WARN, Outcome.FAIL]
    assert result.outcome is Outcome.FAIL


def test_an_undeclared_requirement_counts_as_must() -> None:
    result = evaluate(make_case(issue_ref("T-MUST")), [capture(b"{}")], {})
    assert result.findings[0].level is Level.MUST
    assert result.outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("kind", "outcome"), [("info", Outcome.PASS), ("unsupported", Outcome.UNSUPPORTED)]
)
def test_info_and_unsupported_issues_ignore_the_level(kind: str, outcome: Outcome) -> None:
    result = evaluate(make_case(issue_ref("T-MUST", kind=kind)), [capture(b"{}")], REQS)
    assert [f.outcome for f in result.findings] == [outcome]
    assert result.outcome is outcome


def test_a_clean_case_passes_and_lists_what_it_covered() -> None:
    result = evaluate(make_case(CheckRef("core-test.clean")), [capture(completion())], REQS)
    assert result.outcome is Outcome.PASS
    assert result.findings == ()
    assert result.requirements == (TRANSPORT_REQUIREMENT, "T-MAY")
    assert (result.case_id, result.title, result.api) == ("t.case", "a case", "openai-chat")


def test_no_response_at_all_is_an_error_not_a_failure() -> None:
    lost = capture(b"", status=None, error="ConnectError: connection refused")
    result = evaluate(make_case(issue_ref("T-MUST")), [capture(completion()), lost], REQS)
    assert result.outcome is Outcome.ERROR
    assert result.reason == "ConnectError: connection refused"
    assert result.findings == ()  # the checks did not run on a half-done case
    assert len(result.exchanges) == 2 and result.exchanges[1].status is None


def test_a_response_that_breaks_off_is_a_target_failure() -> None:
    broken = capture(b'{"id": "chatcmpl-', error="RemoteProtocolError: peer closed")
    result = evaluate(make_case(CheckRef("core-test.clean")), [broken], REQS)
    [finding] = result.findings
    assert finding.requirement == TRANSPORT_REQUIREMENT
    assert finding.check == "engine"
    assert finding.message == "response broke off: RemoteProtocolError: peer closed"
    assert result.outcome is Outcome.FAIL


def test_a_body_cut_at_the_size_cap_is_reported_on_its_exchange() -> None:
    big = capture(b"x" * 50, truncated=True)
    result = evaluate(make_case(CheckRef("core-test.clean")), [capture(b"{}"), big], REQS)
    [finding] = result.findings
    assert (finding.requirement, finding.exchange) == (TRANSPORT_REQUIREMENT, 1)
    assert "size limit" in finding.message and "--max-body-mb" in finding.message
    assert "broke off" not in finding.message  # it did not: llmconform stopped reading


def test_a_cut_body_does_not_cascade_into_cannot_verify_failures() -> None:
    # The unverifiable check's requirements stay untested, not failed and not passed.
    cut = capture(b'{"id": "chatcmpl', truncated=True)
    case = make_case(CheckRef("core-test.unverifiable"), CheckRef("core-test.clean"))
    result = evaluate(case, [cut], REQS)
    assert [f.requirement for f in result.findings] == [TRANSPORT_REQUIREMENT]
    assert result.outcome is Outcome.FAIL
    assert "T-SHOULD" not in result.requirements and "T-MUST" not in result.requirements
    assert "T-MAY" in result.requirements  # the check that ran still covers its requirement
    # A whole body that cannot be read is still a failure of its own.
    whole = evaluate(case, [capture(b"not json")], REQS)
    assert any("cannot verify" in f.message for f in whole.findings)


def test_a_crashing_check_is_an_error_and_the_other_checks_still_run() -> None:
    case = make_case(CheckRef("core-test.crash"), issue_ref("T-SHOULD"))
    result = evaluate(case, [capture(b"{}")], REQS)
    crash, warn = result.findings
    assert crash.outcome is Outcome.ERROR
    assert (crash.requirement, crash.check) == ("T-SHOULD", "core-test.crash")
    assert crash.message == "check crashed: KeyError: 'boom'"
    assert warn.outcome is Outcome.WARN
    assert result.outcome is Outcome.ERROR
    assert result.reason == crash.message


def test_unverifiable_is_a_finding_of_the_first_requirement_never_a_pass() -> None:
    result = evaluate(make_case(CheckRef("core-test.unverifiable")), [capture(b"<html>")], REQS)
    [finding] = result.findings
    assert finding.requirement == "T-SHOULD"  # the check's first requirement
    assert finding.outcome is Outcome.WARN  # its level decides, as for any issue
    assert finding.message.startswith("cannot verify: response body is not JSON")
    assert "'<html>'" in finding.message


def test_summaries_keep_short_secret_free_evidence() -> None:
    cap = capture(b"y" * 1000, request_json={"model": "m", "n": 1})
    summary = summarize(0, cap)
    assert (summary.method, summary.path, summary.status, summary.bytes) == (
        "POST",
        "/chat/completions",
        200,
        1000,
    )
    assert summary.ms == pytest.approx(1.0)
    assert summary.response_excerpt == "y" * 240 + "\n[… 400 bytes omitted …]\n" + "y" * 360
    assert summary.request_excerpt == 'POST /chat/completions {"model": "m", "n": 1}'
    assert (summary.auth, summary.auth_scheme) == ("default", "bearer")


def test_a_long_body_keeps_its_end_where_a_stream_says_how_it_ended() -> None:
    body = b"data: {}\n\n" * 200 + b'data: {"last": true}\n\n'
    summary = summarize(0, capture(body, request_json={"model": "m"}))
    assert summary.response_excerpt.startswith("data: {}")
    assert summary.response_excerpt.endswith('data: {"last": true}\n\n')
    assert len(summary.response_excerpt.encode()) < 700
    assert summarize(0, capture(b"short")).response_excerpt == "short"


def test_skipped_results_carry_the_reason() -> None:
    result = skipped(make_case(), "needs capability tools")
    assert (result.outcome, result.reason, result.findings) == (
        Outcome.SKIP,
        "needs capability tools",
        (),
    )
    assert skipped(make_case(), "x", Outcome.ERROR).outcome is Outcome.ERROR


def test_check_args_reach_the_check_and_created_time_is_kept() -> None:
    cap = capture(completion(created=T0))
    assert cap.sent_at == T0
    result = evaluate(make_case(issue_ref()), [cap], REQS)
    assert result.outcome is Outcome.PASS and result.findings == ()


def test_a_429_with_an_unusable_retry_after_is_reported_anywhere() -> None:
    from llmconform.catalog.loader import load_catalog
    from llmconform.checks import known_checks
    from llmconform.engine.evaluate import evaluate
    from llmconform.model import BodyChunk, Capture, Request

    catalog = load_catalog(known_checks=known_checks())
    case = catalog.cases["chat.basic"]
    body = (BodyChunk(1, b'{"error": {"message": "slow down", "type": "rate_limit"}}'),)

    def capture(retry: str | None) -> Capture:
        headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
        if retry is not None:
            headers += (("retry-after", retry),)
        return Capture(Request("POST", "/chat/completions"), 429, headers, body, 0)

    bad = evaluate(case, [capture("soon")], catalog.requirements)
    assert "RATE-001" in bad.requirements
    assert any(f.requirement == "RATE-001" for f in bad.findings)
    for fine in ("7", "Wed, 21 Oct 2026 07:28:00 GMT", None):
        ok = evaluate(case, [capture(fine)], catalog.requirements)
        assert not any(f.requirement == "RATE-001" for f in ok.findings)


def test_a_case_lasts_from_its_first_request_to_its_last_response() -> None:
    # Samples overlap: the span, not the sum (reports and JUnit 'time' show it).
    from dataclasses import replace

    first = replace(capture(completion()), t_sent_ns=1_000_000_000, t_end_ns=1_250_000_000)
    overlapping = replace(first, t_sent_ns=1_100_000_000, t_end_ns=1_400_500_000)
    result = evaluate(make_case(CheckRef("core-test.clean")), [first, overlapping], REQS)
    assert result.duration_ms == 400.5
    unfinished = replace(first, t_end_ns=None)
    assert evaluate(make_case(CheckRef("core-test.clean")), [unfinished], REQS).duration_ms == 0.0


def test_a_key_cut_at_the_excerpt_seam_is_redacted_on_both_sides() -> None:
    from llmconform.engine.evaluate import EXCERPT_HEAD
    from llmconform.engine.redaction import redact_result

    key = "sk-seam-0123456789abcdefghij"
    # The key straddles the end of the kept start; a second copy straddles the kept end's start.
    body = b"a" * (EXCERPT_HEAD - 10) + key.encode() + b"b" * 600
    tail_start = len(body) - (600 - EXCERPT_HEAD)
    body = body[: tail_start - 8] + key.encode() + body[tail_start - 8 + len(key) :]
    summary = summarize(0, capture(body))
    assert "bytes omitted" in summary.response_excerpt
    assert key[:10] in summary.response_excerpt  # the cut pieces are there before redaction
    result = CaseResult("c", "t", "chat", Outcome.PASS, exchanges=(summary,))
    clean = redact_result(result, key).exchanges[0].response_excerpt
    for n in range(6, len(key)):
        assert key[:n] not in clean and key[-n:] not in clean, n
    assert clean.count("[REDACTED]") == 2


def test_a_retried_stale_connection_is_a_reuse_warning_not_a_broken_response() -> None:
    reqs = {**REQS, REUSE_REQUIREMENT: Requirement(REUSE_REQUIREMENT, Level.SHOULD, "http", "r")}
    retried = dataclasses.replace(
        capture(completion()), reconnected="Server disconnected without sending a response."
    )
    result = evaluate(make_case(CheckRef("core-test.clean")), [retried], reqs)
    [finding] = result.findings
    assert (finding.requirement, finding.outcome) == (REUSE_REQUIREMENT, Outcome.WARN)
    assert "new connection" in finding.message and "without sending" in finding.message
    assert REUSE_REQUIREMENT in result.requirements and result.outcome is Outcome.WARN
    plain = evaluate(make_case(CheckRef("core-test.clean")), [capture(completion())], reqs)
    assert plain.findings == () and REUSE_REQUIREMENT not in plain.requirements
