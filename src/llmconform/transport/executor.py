"""Run exchanges against a target concurrently: the only place that sends HTTP requests.

Each case's requests run in order; cases run concurrently up to `concurrency`, so a run
against a slow endpoint takes about (total request time / concurrency). Bytes are stamped
with `perf_counter_ns()` as they are read; decoding and checks happen later, off this path.

Targets are not trusted. Every exchange is bounded in time (connect, idle, whole exchange)
and in memory (the body cap counts bytes *after* content decoding, done by `engine.body` with
bounded output so that a gzip bomb cannot expand past the cap); the whole run is bounded by
a deadline; redirects are reported, never followed; nothing a target sends can raise out of
`send`. Every error message says what happened and what the user can do about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from llmconform.engine.redaction import redact
from llmconform.errors import Misconfigured, TargetFailure
from llmconform.model import Capture, Request
from llmconform.model.work import CaseWork, Connection, Limits, SendFn
from llmconform.transport.body import Body, BodyDecodeError, decoder_for, read_body
from llmconform.transport.errors import describe, redirect_error, size_text
from llmconform.transport.http_client import tls_verify
from llmconform.transport.idle import Quiet, work_when_quiet

__all__ = [
    "DEADLINE_ERROR",
    "INVALID_KEY",
    "CaseWork",
    "Connection",
    "Limits",
    "SendFn",
    "execute",
    "fetch",
    "is_deadline_error",
    "make_client",
    "run_cases",
    "send",
]

INVALID_KEY = "llmconform-deliberately-invalid-key"
DEADLINE_ERROR = "run deadline reached"  # every deadline error message starts with this
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


# -- requests -----------------------------------------------------------------------------------
def _headers(request: Request, conn: Connection) -> dict[str, str]:
    # Only codings decoded here (with a bounded output) are offered; httpx would otherwise
    # offer br/zstd whenever those packages happen to be installed.
    headers = {"accept": "application/json, text/event-stream", "accept-encoding": "gzip, deflate"}
    if request.json is not None or request.content is not None:
        headers["content-type"] = "application/json"
    key = conn.api_key if request.auth == "default" else None
    if request.auth == "invalid":
        key = INVALID_KEY
    elif request.auth == "restricted":
        key = conn.restricted_key
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
    """Send one request and capture the response; never raises for anything the target does.

    A request sent on a reused (kept-alive) connection that the server had already closed
    gets no response at all. curl and the official SDKs then retry once on a new connection,
    and so does this: only when nothing of the response arrived and the connection was a
    reused one. The first attempt's failure is kept in `Capture.reconnected` (the evidence),
    and the engine reports it as a warning about connection reuse, not a broken response.
    """
    sent_at = time.time()
    t0 = time.perf_counter_ns()
    deadline = time.monotonic() + limits.timeout_s
    attempt = await _attempt(client, request, conn, limits, limits.timeout_s)
    reconnected: str | None = None
    if attempt.stale:
        reconnected = attempt.error
        left = max(0.001, deadline - time.monotonic())
        async with make_client(conn, limits, 1) as fresh:
            attempt = await _attempt(fresh, request, conn, limits, left)
    error = attempt.error
    body = attempt.body
    if body.truncated and error is None:
        error = (
            f"the target sent more than {size_text(limits.max_body_bytes)} of body (counted after "
            "decompression) and llmconform stopped reading; raise --max-body-mb if that is "
            "expected"
        )
    return Capture(
        request=request,
        status=attempt.status,
        headers=attempt.headers,
        chunks=body.done(),
        t_sent_ns=t0,
        sent_at=sent_at,
        t_headers_ns=attempt.t_headers,
        t_end_ns=time.perf_counter_ns(),
        transport=conn.transport_kind,
        error=_hide(error, conn),
        truncated=body.truncated,
        reconnected=_hide(reconnected, conn),
    )


def _hide(text: str | None, conn: Connection) -> str | None:
    return redact(redact(text, conn.api_key), conn.restricted_key) if text else None


@dataclass
class _Attempt:
    """One try at an exchange on one connection."""

    body: Body
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    t_headers: int | None = None
    error: str | None = None
    stale: bool = False  # a reused connection was closed before any response: retry once


# Failures that mean the peer closed the socket before answering anything.
_CLOSED_EARLY = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


async def _attempt(
    client: httpx.AsyncClient,
    request: Request,
    conn: Connection,
    limits: Limits,
    timeout_s: float,
) -> _Attempt:
    out = _Attempt(Body(limits.max_body_bytes))
    connected = False  # whether this attempt opened a new TCP connection (httpcore trace)

    async def trace(event: str, info: object) -> None:
        nonlocal connected
        if event.startswith("connection.connect_tcp.") or event.startswith(
            "connection.connect_unix_socket."
        ):
            connected = True

    try:
        async with asyncio.timeout(timeout_s):
            req = client.build_request(
                request.method,
                _url(conn, request.path),
                headers=_headers(request, conn),
                json=request.json if request.content is None else None,
                content=request.content,
                extensions={"trace": trace},
            )
            response = await client.send(req, stream=True)
            try:
                out.t_headers = time.perf_counter_ns()
                out.status = response.status_code
                out.headers = tuple(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                )
                if out.status in _REDIRECTS:
                    out.error = redirect_error(out.status, response.headers.get("location"))
                await read_body(response, out.body, decoder_for(response.headers))
            finally:
                await response.aclose()
    except TimeoutError:
        out.error = (
            f"no complete answer within the {limits.timeout_s:g} s exchange timeout; "
            "raise --timeout if the target is that slow"
        )
    except BodyDecodeError as exc:
        out.error = str(exc)
    except Exception as exc:  # whatever a target does, the run goes on with the next exchange
        got = out.status is not None
        out.error = describe(exc, limits.connect_timeout_s, limits.idle_timeout_s, got)
        out.stale = isinstance(exc, _CLOSED_EARLY) and not got and not connected
    return out


def make_client(conn: Connection, limits: Limits, concurrency: int) -> httpx.AsyncClient:
    """One pooled client for the run: connections are reused across exchanges."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(limits.idle_timeout_s, connect=limits.connect_timeout_s),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        follow_redirects=False,  # a redirect is reported, and never carries the key elsewhere
        verify=tls_verify(conn.verify_tls),
        trust_env=False,  # proxies from the environment could see the key; targets are explicit
    )


@dataclass
class _CaseState:
    """What a case has done so far, readable after its task was cut off by the deadline."""

    captures: list[Capture] = field(default_factory=list)
    pending: Request | None = None


def is_deadline_error(error: str | None) -> bool:
    """Whether a capture's error says the run deadline stopped the exchange."""
    return bool(error) and str(error).startswith(DEADLINE_ERROR)


def _deadline_capture(request: Request, limits: Limits) -> Capture:
    # No status: the exchange did not finish, which says nothing about the target (an error).
    return Capture(
        request,
        None,
        (),
        (),
        time.perf_counter_ns(),
        sent_at=time.time(),
        t_end_ns=time.perf_counter_ns(),
        error=(
            f"{DEADLINE_ERROR}: the whole run may take {limits.run_deadline_s:g} s and this "
            "case had not finished; raise --deadline or select fewer cases with -k"
        ),
    )


class TargetDown(TargetFailure):
    """The reachability probe got no HTTP answer at all; the message says what happened."""


# Reads each capture as it arrives; a line back means the run's setup was refused (stop).
Watch = Callable[[Capture], str | None]


async def run_cases(
    work: Sequence[CaseWork],
    conn: Connection,
    limits: Limits,
    concurrency: int,
    on_case_done: Callable[[str, list[Capture]], None] | None = None,
    probe: Request | None = None,
    idle: Callable[[], bool] | None = None,
    watch: Watch | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, list[Capture]]:
    """Execute every case's requests; returns captures by case id.

    `watch`, when given, sees every capture (the probe's first) as it arrives; once it
    returns a line, the cases are cancelled and `Misconfigured(line)` is raised: the target
    refused the run's own key, model or URL, and the rest of the run would test nothing.

    `stop`, when given, is asked before each case is sent: once it says True, the cases
    not yet started are left out (no captures), those in flight finish.

    `idle`, when given, is called whenever the run has been quiet for a moment (see
    engine/idle), one small item of work at a time, until it returns False.

    A case still running (or waiting) when `limits.run_deadline_s` is reached is stopped; its
    last capture is a `DEADLINE_ERROR` with no status, so it is judged an error.

    `probe`, when given, is sent first and alongside the cases: any HTTP answer lets the run
    go on (a target that answers costs no extra round trip); none at all cancels the cases
    and raises `TargetDown`, so a dead target ends the run at once.
    """
    results: dict[str, list[Capture]] = {}
    gate = asyncio.Semaphore(max(1, concurrency))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.run_deadline_s
    quiet = Quiet()
    refused: asyncio.Future[str] = loop.create_future()

    def seen(capture: Capture) -> None:
        if watch is not None and not refused.done():
            line = watch(capture)
            if line:
                refused.set_result(line)

    async with make_client(conn, limits, concurrency) as client:

        async def one(item: CaseWork) -> None:
            state = _CaseState()
            cutoff = asyncio.timeout_at(deadline)
            try:
                async with cutoff, gate:
                    if stop is not None and stop():
                        return  # never sent: the caller asked to stop (--max-failures)
                    quiet.mark()
                    await _drive(item, client, conn, limits, state, seen)
            except TimeoutError:
                if not cutoff.expired():
                    raise
                first = item.requests[0] if item.requests else Request("GET", "(not started)")
                state.captures.append(_deadline_capture(state.pending or first, limits))
            quiet.mark()
            results[item.case_id] = state.captures
            if on_case_done:
                on_case_done(item.case_id, state.captures)

        # Created first, the probe takes the first pooled connection.
        checked = asyncio.ensure_future(send(client, probe, conn, limits)) if probe else None
        cases = asyncio.gather(*(one(w) for w in work))
        spare = asyncio.ensure_future(work_when_quiet(idle, quiet)) if idle else None
        try:
            if checked is not None:
                answer = await checked
                if answer.status is None:
                    raise TargetDown(answer.error or "no answer")
                seen(answer)
            either: list[asyncio.Future[Any]] = [cases, refused]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if refused.done():
                raise Misconfigured(
                    redact(redact(refused.result(), conn.api_key), conn.restricted_key)
                )
            await cases
        except BaseException:
            # Stopped (dead target, Ctrl-C, a bug): end every case before the client closes,
            # as awaiting the gather alone would on cancellation.
            if checked is not None:
                checked.cancel()
            cases.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cases
            raise
        finally:
            if spare is not None:
                spare.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await spare
    return results


async def _drive(
    item: CaseWork,
    client: httpx.AsyncClient,
    conn: Connection,
    limits: Limits,
    state: _CaseState,
    seen: Callable[[Capture], None],
) -> None:
    flow = item.flow()
    try:
        if item.driver is not None:
            send_fn = _recorder(client, conn, limits, state, seen)
            state.captures.extend(await item.driver(send_fn, limits))
            return
        state.pending = next(flow)
        while True:
            capture = await send(client, state.pending, conn, limits)
            seen(capture)
            state.captures.append(capture)
            state.pending = None
            state.pending = flow.send(capture)
    except StopIteration:
        pass
    except Exception as exc:  # a scenario bug is a harness error for this case only
        failed = Request("GET", "(scenario)")
        message = f"scenario failed: {type(exc).__name__}: {exc}"
        state.captures.append(
            Capture(
                failed,
                None,
                (),
                (),
                time.perf_counter_ns(),
                error=redact(redact(message, conn.api_key), conn.restricted_key),
            )
        )


def _recorder(
    client: httpx.AsyncClient,
    conn: Connection,
    limits: Limits,
    state: _CaseState,
    seen: Callable[[Capture], None],
) -> SendFn:
    """`send` for a driver: every exchange is recorded as soon as it completes."""

    async def exchange(request: Request) -> Capture:
        state.pending = request
        capture = await send(client, request, conn, limits)
        seen(capture)
        state.captures.append(capture)
        state.pending = None
        return capture

    return exchange


def execute(
    work: Sequence[CaseWork],
    conn: Connection,
    limits: Limits,
    concurrency: int,
    on_case_done: Callable[[str, list[Capture]], None] | None = None,
    probe: Request | None = None,
    idle: Callable[[], bool] | None = None,
    watch: Watch | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, list[Capture]]:
    """Synchronous entry point (runs its own event loop); see `run_cases`."""
    results: dict[str, list[Capture]] = {}

    async def main() -> None:
        results.update(
            await run_cases(work, conn, limits, concurrency, on_case_done, probe, idle, watch, stop)
        )

    # The captures are not the task's result on purpose: asyncio.run() may repr() its main
    # task at exit (Python 3.11 signal handling), and a task repr includes its result:
    # hundreds of MB of text for a capture holding a 32 MiB body.
    asyncio.run(main())
    return results


def fetch(request: Request, conn: Connection, limits: Limits) -> Capture:
    """One exchange on its own (model discovery, before a run), under every bound a run's
    exchanges have: the body cap counted after bounded decompression, the connect, idle and
    whole-exchange timeouts, and the run deadline (whichever ends first)."""
    out: list[Capture] = []

    async def main() -> None:
        cutoff = asyncio.timeout(limits.run_deadline_s)
        try:
            async with cutoff, make_client(conn, limits, 1) as client:
                out.append(await send(client, request, conn, limits))
        except TimeoutError:
            if not cutoff.expired():
                raise
            out.append(_deadline_capture(request, limits))

    asyncio.run(main())
    return out[0]
