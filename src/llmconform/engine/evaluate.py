"""Judge a case from its captures (pure): run its checks and fold the findings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from email.utils import parsedate_to_datetime
from typing import Any

from llmconform.catalog.steps import request_excerpt
from llmconform.checks import CHECKS, CheckContext, Exchange, Issue, IssueKind, Unverifiable
from llmconform.engine.focus import focus
from llmconform.engine.redaction import EXCERPT_GAP
from llmconform.model import (
    Capture,
    Case,
    CaseResult,
    ExchangeSummary,
    Finding,
    Level,
    Outcome,
    Requirement,
    outcome_for_level,
    worst,
)

# Raised by the engine itself when a response broke off or hit the size cap.
TRANSPORT_REQUIREMENT = "HTTP-003"
RATE_REQUIREMENT = "RATE-001"
# Raised by the engine when a reused connection was found closed and the request was retried.
REUSE_REQUIREMENT = "HTTP-004"
# Tags of cases expanded into many samples (see engine/expand.py).
SAMPLED_TAGS = frozenset({"repeat", "accuracy", "property"})
EXCERPT_BYTES = 600
# Of a longer body, the excerpt keeps this much of the start and the rest of EXCERPT_BYTES
# from the end: how a stream ends (a missing `data: [DONE]`, a last event) is often the point.
EXCERPT_HEAD = 240
# The request body is kept whole up to this size, so a report can print a reproduction.
REQUEST_EXCERPT_CHARS = 8000
NESTED_TOO_DEEP = "the response is nested too deeply to be processed (a client would fail too)"


def _finding(issue: Issue, check: str, requirements: Mapping[str, Requirement]) -> Finding:
    req = requirements.get(issue.requirement)
    level = req.level if req else Level.MUST
    if issue.kind is IssueKind.UNSUPPORTED:
        outcome = Outcome.UNSUPPORTED
    elif issue.kind is IssueKind.INFO:
        outcome = Outcome.PASS
    elif issue.kind is IssueKind.INCONCLUSIVE:
        outcome = Outcome.SKIP  # not decided: the requirement counts as untested
    else:
        outcome = outcome_for_level(level)
    return Finding(
        issue.requirement, level, check, issue.message, outcome, issue.path, issue.exchange
    )


def summarize(index: int, capture: Capture) -> ExchangeSummary:
    """Evidence for a report: method, path, status, timing, and short body excerpts."""
    ms = None
    if capture.t_end_ns is not None:
        ms = (capture.t_end_ns - capture.t_sent_ns) / 1e6
    body = capture.body
    return ExchangeSummary(
        method=capture.request.method,
        path=capture.request.path,
        status=capture.status,
        ms=ms,
        bytes=len(body),
        error=capture.error,
        request_excerpt=request_excerpt(capture.request, REQUEST_EXCERPT_CHARS),
        response_excerpt=body_excerpt(body),
        auth=capture.request.auth,
        auth_scheme=capture.request.auth_scheme,
    )


def body_excerpt(body: bytes) -> str:
    """The body whole when short; else its start and its end around an omission marker."""
    if len(body) <= EXCERPT_BYTES:
        return body.decode("utf-8", "replace")
    tail = EXCERPT_BYTES - EXCERPT_HEAD
    head_text = body[:EXCERPT_HEAD].decode("utf-8", "replace")
    tail_text = body[-tail:].decode("utf-8", "replace")
    return head_text + EXCERPT_GAP.format(len(body) - EXCERPT_BYTES) + tail_text


def span_ms(captures: Sequence[Capture]) -> float:
    """Wall time of a case: its first request sent to its last response ended (0 if none).

    The span, not the sum: an expanded case's samples overlap."""
    ended = [c for c in captures if c.t_end_ns is not None and c.t_sent_ns]
    if not ended:
        return 0.0
    first = min(c.t_sent_ns for c in ended)
    last = max(c.t_end_ns or 0 for c in ended)
    return round(max(0, last - first) / 1e6, 3)


def evaluate(
    case: Case,
    captures: Sequence[Capture],
    requirements: Mapping[str, Requirement],
    model: str = "",
    settings: Mapping[str, Any] | None = None,
) -> CaseResult:
    """Run the case's checks over its captures; the case outcome is the worst finding."""
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(captures))
    summaries = tuple(summarize(i, c) for i, c in enumerate(captures))
    # Every exchange is held to HTTP-003 (the response completes), whatever the case checks.
    covered = tuple(
        dict.fromkeys(
            [
                TRANSPORT_REQUIREMENT,
                *(r for ref in case.checks for r in CHECKS[ref.name].requirements),
            ]
        )
    )
    base = CaseResult(
        case.id,
        case.title,
        case.api,
        Outcome.PASS,
        requirements=covered,
        duration_ms=span_ms(captures),
        exchanges=summaries,
    )

    broken = [ex for ex in exchanges if ex.capture.error and ex.capture.status is None]
    # A sampled case (latency, accuracy, properties) judges its samples one by one: a few
    # lost samples are the checks' to count; only losing all of them is an error.
    sampled = any(tag in SAMPLED_TAGS for tag in case.tags)
    if broken and (not sampled or len(broken) == len(exchanges)):
        # No response at all: we learnt nothing about the target (network or harness trouble).
        return _replace(base, outcome=Outcome.ERROR, reason=str(broken[0].capture.error))

    findings: list[Finding] = []
    metrics: dict[str, Any] = {}
    for ex in exchanges:
        if ex.capture.error or ex.capture.truncated:
            if ex.capture.error:
                why = ex.capture.error
                if not 300 <= (ex.status or 0) < 400:  # a redirect's message says what it is
                    why = f"response broke off: {why}"
            else:
                why = (
                    "the body exceeded the size limit (--max-body-mb) and was cut: an unbounded "
                    "answer to this request; raise the limit if such a body is legitimate"
                )
            findings.append(
                _finding(
                    Issue(TRANSPORT_REQUIREMENT, why, exchange=ex.index),
                    "engine",
                    requirements,
                )
            )
    # With a body cut short, checks that cannot read it would each add a "cannot verify"
    # MUST failure restating HTTP-003; their requirements stay untested instead.
    cut = bool(findings)
    unjudged: set[str] = set()
    judged: set[str] = set()
    findings += _rate_limit_findings(exchanges, requirements)
    findings += _reuse_findings(exchanges, requirements)
    if any(ex.capture.reconnected for ex in exchanges):  # tested only when it happened
        covered = (*covered, REUSE_REQUIREMENT)
    if any(ex.status == 429 for ex in exchanges):  # RATE-001 is tested only when a 429 came
        covered = (*covered, RATE_REQUIREMENT)
    for ref in case.checks:
        spec = CHECKS[ref.name]
        ctx = CheckContext(case, exchanges, dict(ref.args), model, settings or {}, metrics)
        try:
            issues = list(spec.fn(ctx))
        except Unverifiable as exc:
            if cut:
                unjudged.update(spec.requirements)
                continue
            issues = [Issue(spec.requirements[0], f"cannot verify: {exc}")]
        except RecursionError:
            # Only a document nested beyond reason exhausts the stack: the target's doing.
            issues = [Issue(spec.requirements[0], "cannot verify: " + NESTED_TOO_DEEP)]
        except Exception as exc:  # a broken check must not end the run: it is an error
            findings.append(
                Finding(
                    spec.requirements[0],
                    Level.MUST,
                    ref.name,
                    f"check crashed: {type(exc).__name__}: {exc}",
                    Outcome.ERROR,
                )
            )
            continue
        judged.update(spec.requirements)
        findings.extend(_finding(i, ref.name, requirements) for i in issues)
    if unjudged:
        covered = tuple(r for r in covered if r not in unjudged or r in judged)
    findings = [_with_evidence(f, exchanges) for f in findings]
    outcome = worst([f.outcome for f in findings])
    reason = next((f.message for f in findings if f.outcome in (Outcome.ERROR, Outcome.SKIP)), "")
    return _replace(
        base,
        outcome=outcome,
        findings=tuple(findings),
        reason=reason,
        requirements=covered,
        metrics=metrics,
    )


def _with_evidence(finding: Finding, exchanges: Sequence[Exchange]) -> Finding:
    """A failing or warning finding with the response text its path points at."""
    if not finding.path or finding.outcome not in (Outcome.FAIL, Outcome.WARN):
        return finding
    if not 0 <= finding.exchange < len(exchanges):
        return finding
    text = focus(exchanges[finding.exchange], finding.path)
    return dataclasses.replace(finding, evidence=text) if text else finding


def _valid_retry_after(value: str) -> bool:
    if value.strip().isdigit():
        return True
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def _reuse_findings(
    exchanges: Sequence[Exchange], requirements: Mapping[str, Requirement]
) -> list[Finding]:
    """A reused connection found closed before any response: the server's reuse behaviour."""
    out: list[Finding] = []
    for ex in exchanges:
        if ex.capture.reconnected:
            issue = Issue(
                REUSE_REQUIREMENT,
                "the server had closed the kept-alive connection this request was sent on, "
                "without announcing it (no Connection: close on the previous response); "
                f"nothing of a response arrived ({ex.capture.reconnected}), so the request was "
                "sent once more on a new connection, as curl and the SDKs do",
                exchange=ex.index,
            )
            out.append(_finding(issue, "engine", requirements))
    return out


def _rate_limit_findings(
    exchanges: Sequence[Exchange], requirements: Mapping[str, Requirement]
) -> list[Finding]:
    """Any exchange of any case may meet a 429: its Retry-After must then be usable."""
    out: list[Finding] = []
    for ex in exchanges:
        retry = ex.capture.header("retry-after") if ex.status == 429 else None
        if retry is not None and not _valid_retry_after(retry):
            issue = Issue(
                RATE_REQUIREMENT,
                f"429 with an unusable Retry-After {retry[:40]!r}",
                exchange=ex.index,
            )
            out.append(_finding(issue, "engine", requirements))
    return out


def strictly(result: CaseResult, waived: AbstractSet[str] = frozenset()) -> CaseResult:
    """`result` as `--strict` judges it: every warning is a failure, so the case, its
    requirements and the run fail alike; except a waived requirement's finding, which a
    waiver turned into a warning on purpose (dated and reasoned) and stays one."""
    promote = [f.outcome is Outcome.WARN and f.requirement not in waived for f in result.findings]
    if not any(promote):
        return result
    from dataclasses import replace

    findings = tuple(
        replace(f, outcome=Outcome.FAIL) if up else f
        for f, up in zip(result.findings, promote, strict=True)
    )
    outcome = worst([result.outcome, *(f.outcome for f in findings)])
    return _replace(result, findings=findings, outcome=outcome)


# The reason of a case never sent because the run stopped early (`--max-failures N`).
STOPPED_EARLY_PREFIX = "not sent: the run stopped early"


def stopped_early_reason(max_failures: int) -> str:
    """Why a case was not sent: `max_failures` cases had failed already."""
    n = max_failures
    return f"{STOPPED_EARLY_PREFIX} after {n} failing case(s) (--max-failures {n})"


def skipped(case: Case, reason: str, outcome: Outcome = Outcome.SKIP) -> CaseResult:
    """The result of a case that did not run."""
    return CaseResult(case.id, case.title, case.api, outcome, reason=reason)


def _replace(result: CaseResult, **changes: object) -> CaseResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]
