"""The value types of a run's work: what to send (`CaseWork`), where (`Connection`) and
within which budgets (`Limits`). Pure data: planning builds them, the transport reads them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field, replace

from llmconform.model.core import Capture, Request

__all__ = ["CUT_KEEP", "EVIDENCE_BODIES", "CaseWork", "Connection", "Limits", "SendFn", "cut_body"]

_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Time and size budgets (all configurable, all with safe defaults)."""

    timeout_s: float = 60.0  # whole exchange, headers to last byte
    connect_timeout_s: float = 10.0
    idle_timeout_s: float = 30.0  # longest silence between two reads
    max_body_bytes: int = 32 * _MIB  # decoded body bytes kept per exchange
    run_deadline_s: float = 1800.0  # the whole run; unfinished cases then end as errors

    @property
    def evidence_bytes(self) -> int:
        """Run-wide budget of response body bytes kept (in memory, then in the cassette)
        once cases are judged: beyond it, bodies keep only their first `CUT_KEEP` bytes."""
        return EVIDENCE_BODIES * self.max_body_bytes


# The run-wide evidence budget, in whole capped bodies: a few oversized answers are kept
# whole; a target answering every request with gigabytes costs this much, not N times it.
EVIDENCE_BODIES = 4
CUT_KEEP = 64 * 1024  # a body cut for the evidence budget keeps this many bytes


@dataclass(frozen=True)
class Connection:
    """Where to send requests. `api_key` is a secret: it is kept out of repr and messages."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    transport_kind: str = "http"
    verify_tls: bool = True
    # A second key that authenticates but lacks permission (403 cases); also a secret.
    restricted_key: str | None = field(default=None, repr=False)


SendFn = Callable[[Request], Awaitable[Capture]]


@dataclass(frozen=True)
class CaseWork:
    """The exchanges of one case: a fixed list of requests, or a scenario generator factory.

    A scenario yields a `Request`, receives its `Capture`, and yields the next request
    (httpx's auth-flow pattern), so multi-turn logic stays free of I/O.
    """

    case_id: str
    requests: tuple[Request, ...] = ()
    scenario: Callable[[], Generator[Request, Capture, None]] | None = None
    # An async driver instead (SDK cases, engine/sdk_runner): it sends through the given
    # function, which records each exchange, and returns captures of its own to append.
    driver: Callable[[SendFn, Limits], Awaitable[list[Capture]]] | None = None
    weight: int = 0  # exchanges expected, for scheduling only (0: count `requests`)

    def flow(self) -> Generator[Request, Capture, None]:
        """The generator that drives this case's exchanges."""
        if self.scenario is not None:
            return self.scenario()
        return _fixed(self.requests)


def _fixed(requests: tuple[Request, ...]) -> Generator[Request, Capture, None]:
    # Not `yield from`: the executor send()s captures in, which a tuple iterator rejects.
    for request in requests:  # noqa: UP028
        yield request


def cut_body(capture: Capture, keep: int = CUT_KEEP) -> Capture:
    """`capture` with its body cut to its first `keep` bytes (chunk count and timestamps
    kept, so replayed timings stay exact); unchanged when the body is no longer."""
    total = sum(len(ch.data) for ch in capture.chunks)
    if total <= keep:
        return capture
    chunks = []
    left = keep
    for ch in capture.chunks:
        data = ch.data[:left] if left > 0 else b""
        left -= len(data)
        chunks.append(replace(ch, data=data))
    return replace(capture, chunks=tuple(chunks), cut=capture.cut + total - keep)
