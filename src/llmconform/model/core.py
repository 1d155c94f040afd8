"""Plain data that flows through llmconform: frozen dataclasses and enums, no I/O.

Flow: a `Case` is planned into `Request`s; a transport turns each into a `Capture`; pure
checks turn captures into `Finding`s; the engine folds findings into a `CaseResult`, and
the results of a run into a `RunReport`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = Any
Headers = tuple[tuple[str, str], ...]


class Level(StrEnum):
    """How binding a requirement is (RFC 2119 words, calibrated by client impact)."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Outcome(StrEnum):
    """What happened to a case or a requirement.

    `error` means llmconform or the network broke, never that the target is wrong;
    `unsupported` means the target gave an answer the spec permits for an absent feature.
    """

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    UNSUPPORTED = "unsupported"
    ERROR = "error"


# Severity order used to fold findings: the worst outcome wins.
_RANK = {
    Outcome.SKIP: 0,
    Outcome.PASS: 1,
    Outcome.UNSUPPORTED: 2,
    Outcome.WARN: 3,
    Outcome.FAIL: 4,
    Outcome.ERROR: 5,
}


def worst(outcomes: list[Outcome], default: Outcome = Outcome.PASS) -> Outcome:
    """Return the most severe outcome, or `default` when there is none."""
    return max(outcomes, key=_RANK.__getitem__, default=default)


def outcome_for_level(level: Level) -> Outcome:
    """A violated MUST fails, a violated SHOULD warns, a MAY is only reported."""
    return {Level.MUST: Outcome.FAIL, Level.SHOULD: Outcome.WARN, Level.MAY: Outcome.PASS}[level]


@dataclass(frozen=True)
class Requirement:
    """One testable statement of a spec, with a stable id (e.g. `CHAT-STREAM-004`)."""

    id: str
    level: Level
    area: str
    statement: str
    spec: str = ""
    rationale: str = ""
    profiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckRef:
    """A check named by a case, with optional keyword arguments from the case file."""

    name: str
    args: tuple[tuple[str, JSON], ...] = ()


@dataclass(frozen=True)
class Case:
    """A fixture case: data loaded from `conformance/*.yaml`.

    `steps` are request templates sent in order; `scenario` names a code-defined
    multi-step exchange instead (e.g. a tool round trip that reads a tool-call id).
    """

    id: str
    title: str
    api: str
    steps: tuple[JSON, ...]
    checks: tuple[CheckRef, ...]
    requires: tuple[str, ...] = ()
    scenario: str | None = None
    tags: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Request:
    """An HTTP request as planned; `path` is relative to the target's base URL."""

    method: str
    path: str
    json: JSON = None
    headers: Headers = ()
    content: bytes | None = None  # raw body, used instead of `json` (malformed-JSON cases)
    stream: bool = False
    auth: str = "default"  # "default" (configured key), "none", or "invalid"
    auth_scheme: str = "bearer"  # "bearer" (Authorization) or "x-api-key" (Anthropic)


@dataclass(frozen=True)
class BodyChunk:
    """Bytes as read from the socket, stamped with `perf_counter_ns()` when read."""

    t_ns: int
    data: bytes


@dataclass(frozen=True)
class Capture:
    """What the transport observed for one request. `error` is set when the exchange broke."""

    request: Request
    status: int | None
    headers: Headers
    chunks: tuple[BodyChunk, ...]
    t_sent_ns: int
    sent_at: float = 0.0  # wall clock (Unix seconds) when sent, to judge `created` timestamps
    t_headers_ns: int | None = None
    t_end_ns: int | None = None
    transport: str = "http"
    error: str | None = None
    truncated: bool = False  # the body hit the size cap
    # Body bytes dropped after judging to keep the run's evidence within its budget
    # (`Limits.evidence_bytes`): the body then holds only its first bytes.
    cut: int = 0
    # Set when a reused connection was found closed before any response and the request was
    # sent again on a new one: what the first attempt saw (evidence for a reuse warning).
    reconnected: str | None = None

    @property
    def body(self) -> bytes:
        """The whole response body."""
        return b"".join(c.data for c in self.chunks)

    def header(self, name: str) -> str | None:
        """First value of a response header, case-insensitive."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched server-sent event (WHATWG HTML §9.2), stamped when its last byte arrived."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    t_ns: int = 0


@dataclass(frozen=True)
class Finding:
    """One observation about a case, tied to the requirement it concerns.

    `outcome` is what this finding does to the case (fail for a MUST, warn for a SHOULD,
    pass for informational notes, unsupported or error for those special answers).
    """

    requirement: str
    level: Level
    check: str
    message: str
    outcome: Outcome
    path: str = ""
    exchange: int = 0
    # The response text at `path` (an SSE event or a JSON value), found by the engine, so a
    # report shows the evidence where the problem is; "" when there is no path or no match.
    evidence: str = ""


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case, with its findings and the requirements its checks covered."""

    case_id: str
    title: str
    api: str
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    requirements: tuple[str, ...] = ()
    reason: str = ""  # why a case was skipped, or what broke for `error`
    duration_ms: float = 0.0
    exchanges: tuple[ExchangeSummary, ...] = ()
    metrics: dict[str, JSON] = field(default_factory=dict)  # measurements (latency, accuracy)


@dataclass(frozen=True)
class ExchangeSummary:
    """A short, secret-free description of one exchange, kept as evidence in reports."""

    method: str
    path: str
    status: int | None
    ms: float | None
    bytes: int
    error: str | None = None
    request_excerpt: str = ""
    response_excerpt: str = ""
    # How the request authenticated ("default": the configured key, "none", "invalid") and
    # with which header, so a report can print a reproduction without holding the key.
    auth: str = "default"
    auth_scheme: str = "bearer"


@dataclass(frozen=True)
class RunInfo:
    """Who ran what against what. `options` holds the configuration with secrets removed."""

    llmconform_version: str
    edition: str
    target: str
    model: str
    started_at: str
    finished_at: str = ""
    complete: bool = True
    options: dict[str, JSON] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementResult:
    """The outcome of a requirement across every case that checked it."""

    requirement: Requirement
    outcome: Outcome
    cases: tuple[str, ...]
    findings: int = 0


class ProfileVerdict(StrEnum):
    """A certification decision for one profile (never a weighted score)."""

    CERTIFIED = "certified"
    NOT_CERTIFIED = "not-certified"
    INCONCLUSIVE = "inconclusive"
    NOT_TESTED = "not-tested"


@dataclass(frozen=True)
class ProfileResult:
    """The verdict of one profile and the requirement counts behind it."""

    name: str
    verdict: ProfileVerdict
    requirements: int
    passed: int = 0
    warned: int = 0
    failed: int = 0
    skipped: int = 0
    errored: int = 0
    failing: tuple[str, ...] = ()  # requirement ids that decided "not certified"
    reason: str = ""


@dataclass(frozen=True)
class RunReport:
    """Everything a renderer needs: run info, per-case and per-requirement results, verdict."""

    info: RunInfo
    cases: tuple[CaseResult, ...]
    requirements: tuple[RequirementResult, ...]
    verdict: Outcome
    counts: dict[str, int] = field(default_factory=dict)
    profiles: tuple[ProfileResult, ...] = ()
    # Why the verdict reads as it does when the tallies alone do not say (nothing tested,
    # an API whose cases all needed an undeclared capability, --strict); decided by the engine.
    notes: tuple[str, ...] = ()
