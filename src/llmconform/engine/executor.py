"""Run exchanges against a target concurrently: the only place that sends HTTP requests.

Each case's requests run in order; cases run concurrently up to `concurrency`, so a run
against a slow endpoint takes about (total request time / concurrency). Bytes are stamped
with `perf_counter_ns()` as they are read; decoding and checks happen later, off this path.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import httpx

from llmconform.model import BodyChunk, Capture, Request

INVALID_KEY = "llmconform-deliberately-invalid-key"


@dataclass(frozen=True)
class Limits:
    """Time and size budgets of one exchange (all configurable, all with safe defaults)."""

    timeout_s: float = 60.0  # whole exchange, headers to last byte
    connect_timeout_s: float = 10.0
    idle_timeout_s: float = 30.0  # longest silence between two reads
    max_body_bytes: int = 32 * 1024 * 1024


@dataclass(frozen=True)
class Connection:
    """Where to send requests. `api_key` is a secret: it is kept out of repr and messages."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    transport_kind: str = "http"
    verify_tls: bool = True


@dataclass(frozen=True)
class CaseWork:
    """The exchanges of one case: a fixed list of requests, or a scenario generator factory.

    A scenario yields a `Request`, receives its `Capture`, and yields the next request
    (httpx's auth-flow pattern), so multi-turn logic stays free of I/O.
    """

    case_id: str
    requests: tuple[Request, ...] = ()
    scenario: Callable[[], Generator[Request, Capture, None]] | None = None

    def flow(self) -> Generator[Request, Capture, None]:
        """The generator that drives this case's exchanges."""
        if self.scenario is not None:
            return self.scenario()
        return _fixed(self.requests)


def _fixed(requests: tuple[Request, ...]) -> Generator[Request, Capture, None]:
    # Not `yield from`: the executor send()s captures in, which a tuple iterator rejects.
    for request in requests:  # noqa: UP028
        yield request


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from text that may end up in a report or a log."""
    return text.replace(secret, "[REDACTED]") if secret else text


def _headers(request: Request, conn: Connection) -> dict[str, str]:
    headers = {"accept": "application/json, text/event-stream"}
    if request.json is not None or request.content is not None:
        headers["content-type"] = "application/json"
    key = conn.api_key if request.auth == "default" else None
    if request.auth == "invalid":
        key = INVALID_KEY
    if key and request.auth_scheme == "x-api-key":
        headers["x-api-key"] = key
    elif key:
        headers["authorization"] = f"Bearer {key}"
    headers.update({k.lower(): v for k, v in request.headers})
    return headers


def _url(conn: Connection, path: str) -> str:
    return conn.base_url.rstrip("/") + "/" + path.lstrip("/")


async def send(
    client: httpx.AsyncClient, request: Request, conn: Connection, limits: Limits
) -> Capture:
    """Send one request and capture the response; never raises for network trouble."""
    chunks: list[BodyChunk] = []
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    t_headers: int | None = None
    error: str | None = None
    truncated = False
    sent_at = time.time()
    t0 = time.perf_counter_ns()
    try:
        async with asyncio.timeout(limits.timeout_s):
            req = client.build_request(
                request.method,
                _url(conn, request.path),
                headers=_headers(request, conn),
                json=request.json if request.content is None else None,
                content=request.content,
            )
            response = await client.send(req, stream=True)
            try:
                t_headers = time.perf_counter_ns()
                status = response.status_code
                headers = tuple(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                )
                size = 0
                async for data in response.aiter_bytes():
                    chunks.append(BodyChunk(time.perf_counter_ns(), data))
                    size += len(data)
                    if size > limits.max_body_bytes:
                        truncated = True
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        error = f"no complete answer within the {limits.timeout_s:g} s exchange timeout"
    except httpx.TimeoutException as exc:
        error = f"timed out ({type(exc).__name__}) after {limits.idle_timeout_s:g} s of silence"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    error = redact(error, conn.api_key) if error else None
    return Capture(
        request=request,
        status=status,
        headers=headers,
        chunks=tuple(chunks),
        t_sent_ns=t0,
        sent_at=sent_at,
        t_headers_ns=t_headers,
        t_end_ns=time.perf_counter_ns(),
        transport=conn.transport_kind,
        error=error,
        truncated=truncated,
    )


def make_client(conn: Connection, limits: Limits, concurrency: int) -> httpx.AsyncClient:
    """One pooled client for the run: connections are reused across exchanges."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(limits.idle_timeout_s, connect=limits.connect_timeout_s),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        follow_redirects=False,  # a redirect is reported, and never carries the key elsewhere
        verify=conn.verify_tls,
        trust_env=False,  # proxies from the environment could see the key; targets are explicit
    )


async def run_cases(
    work: Sequence[CaseWork],
    conn: Connection,
    limits: Limits,
    concurrency: int,
    on_case_done: Callable[[str, list[Capture]], None] | None = None,
) -> dict[str, list[Capture]]:
    """Execute every case's requests; returns captures by case id (finished cases only)."""
    results: dict[str, list[Capture]] = {}
    gate = asyncio.Semaphore(max(1, concurrency))
    async with make_client(conn, limits, concurrency) as client:

        async def one(item: CaseWork) -> None:
            async with gate:
                captures = await _drive(item, client, conn, limits)
            results[item.case_id] = captures
            if on_case_done:
                on_case_done(item.case_id, captures)

        await asyncio.gather(*(one(w) for w in work))
    return results


async def _drive(
    item: CaseWork, client: httpx.AsyncClient, conn: Connection, limits: Limits
) -> list[Capture]:
    captures: list[Capture] = []
    flow = item.flow()
    try:
        request = next(flow)
        while True:
            capture = await send(client, request, conn, limits)
            captures.append(capture)
            request = flow.send(capture)
    except StopIteration:
        pass
    except Exception as exc:  # a scenario bug is a harness error for this case only
        failed = Request("GET", "(scenario)")
        captures.append(
            Capture(
                failed,
                None,
                (),
                (),
                time.perf_counter_ns(),
                error=f"scenario failed: {type(exc).__name__}: {exc}",
            )
        )
    return captures


def execute(
    work: Sequence[CaseWork],
    conn: Connection,
    limits: Limits,
    concurrency: int,
    on_case_done: Callable[[str, list[Capture]], None] | None = None,
) -> dict[str, list[Capture]]:
    """Synchronous entry point (runs its own event loop)."""
    return asyncio.run(run_cases(work, conn, limits, concurrency, on_case_done))
