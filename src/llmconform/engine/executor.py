"""Run exchanges against a target concurrently: the only place that sends HTTP requests.

Each case's requests run in order; cases run concurrently up to `concurrency`, so a run
against a slow endpoint takes about (total request time / concurrency). Bytes are stamped
with `perf_counter_ns()` as they are read; decoding and checks happen later, off this path.

Targets are not trusted. Every exchange is bounded in time (connect, idle, whole exchange)
and in memory (the body cap counts bytes *after* content decoding, which is done here with
bounded output so that a gzip bomb cannot expand past the cap); the whole run is bounded by
a deadline; redirects are reported, never followed; nothing a target sends can raise out of
`send`. Every error message says what happened and what the user can do about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import httpx

from llmconform.http_client import tls_verify
from llmconform.model import BodyChunk, Capture, CaseResult, Request

__all__ = [
    "DEADLINE_ERROR",
    "INVALID_KEY",
    "CaseWork",
    "Connection",
    "Limits",
    "SendFn",
    "execute",
    "is_deadline_error",
    "make_client",
    "redact",
    "redact_result",
    "run_cases",
    "send",
]

INVALID_KEY = "llmconform-deliberately-invalid-key"
DEADLINE_ERROR = "run deadline reached"  # every deadline error message starts with this
_MIB = 1024 * 1024
_MAX_CHUNKS = 100_000  # past this, reads are merged: a trickling target cannot bloat memory
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_LOCATION_CHARS = 200
_PIECE = 64 * 1024  # most bytes one decompression step may produce
_REDACTED = "[REDACTED]"
_GZIP_MAGIC = b"\x1f\x8b"
_MIN_PARTIAL_KEY = 6  # a cut-off excerpt ending in this much of the key is redacted too


@dataclass(frozen=True)
class Limits:
    """Time and size budgets (all configurable, all with safe defaults)."""

    timeout_s: float = 60.0  # whole exchange, headers to last byte
    connect_timeout_s: float = 10.0
    idle_timeout_s: float = 30.0  # longest silence between two reads
    max_body_bytes: int = 32 * _MIB  # decoded body bytes kept per exchange
    run_deadline_s: float = 1800.0  # the whole run; unfinished cases then end as errors


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


# -- secrets ------------------------------------------------------------------------------------
def redact(text: str, secret: str | None) -> str:
    """Remove a secret from text that may end up in a report or a log.

    Also removes its JSON-escaped and URL-encoded forms (a target may echo it back in a JSON
    or a URL), and a piece of it at either end of the text (an excerpt may cut through it).
    """
    if not secret:
        return text
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, _REDACTED)
    for n in range(len(secret) - 1, _MIN_PARTIAL_KEY - 1, -1):
        if text.endswith(secret[:n]):
            text = text[:-n] + _REDACTED
            break
    for n in range(len(secret) - 1, _MIN_PARTIAL_KEY - 1, -1):
        if text.startswith(secret[-n:]):
            text = _REDACTED + text[n:]
            break
    return text


def redact_result(result: CaseResult, secret: str | None) -> CaseResult:
    """A case result with the secret removed from every text a report shows.

    Excerpts and messages quote what the target sent, and a hostile target can echo the
    request headers back, so this runs over every result before it is stored.
    """
    if not secret:
        return result

    def clean(text: str) -> str:
        return redact(text, secret)

    return replace(
        result,
        reason=clean(result.reason),
        findings=tuple(
            replace(f, message=clean(f.message), path=clean(f.path)) for f in result.findings
        ),
        exchanges=tuple(
            replace(
                e,
                path=clean(e.path),
                error=clean(e.error) if e.error else e.error,
                request_excerpt=clean(e.request_excerpt),
                response_excerpt=clean(e.response_excerpt),
            )
            for e in result.exchanges
        ),
    )


# -- content coding -----------------------------------------------------------------------------
class BodyDecodeError(Exception):
    """The body's content coding cannot be undone: unsupported, corrupt, or cut short."""


class _Decoder:
    """Undoes a gzip or deflate content coding, producing at most `_PIECE` bytes per step.

    httpx decompresses each read without an output limit, so a few KiB of a gzip bomb could
    become gigabytes before the size cap sees them; here the caller stops pulling pieces.
    """

    def __init__(self, coding: str | None) -> None:
        self.coding = coding
        self._z = zlib.decompressobj(31 if coding == "gzip" else 15) if coding else None
        self._produced = 0
        self._fed = False
        self._raw = False
        self._held = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of one raw read (lazily: stop iterating to stop decompressing)."""
        if self._z is None:
            if data:
                yield data
            return
        self._fed = self._fed or bool(data)
        data, self._held = self._held + data, b""
        more = False  # zlib may hold output back when a step filled its whole piece
        while data or more:
            if self._z.eof:
                if self.coding == "gzip" and len(data) < 2 and _GZIP_MAGIC.startswith(data):
                    self._held = data  # the next member's magic may be split across reads
                    return
                if self.coding != "gzip" or data[:2] != _GZIP_MAGIC:
                    return  # bytes after the end of the stream are dropped, never accumulated
                self._z = zlib.decompressobj(31)  # another gzip member follows
            try:
                out = self._z.decompress(data, _PIECE)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._produced and not self._raw:
                    # Many servers label raw deflate (no zlib header) "deflate": retry as raw.
                    self._raw, self._z = True, zlib.decompressobj(-15)
                    continue
                raise BodyDecodeError(
                    f"the target's {self.coding} body is corrupt ({exc}); it cannot be decoded"
                ) from None
            self._produced += len(out)
            if out:
                yield out
            more = len(out) == _PIECE and not self._z.eof
            data = self._z.unused_data if self._z.eof else self._z.unconsumed_tail

    def finish(self) -> Iterator[bytes]:
        """What is left at the end of the body; a compressed stream cut short is an error."""
        if self._z is None or not self._fed:
            return
        tail = self._z.flush()
        if tail:
            yield tail
        if not self._z.eof:
            raise BodyDecodeError(
                f"the target's {self.coding} body ends before the compressed stream does; "
                "the response is incomplete"
            )


def _decoder_for(headers: httpx.Headers) -> _Decoder:
    codings = [
        c.strip().lower() for v in headers.get_list("content-encoding") for c in v.split(",")
    ]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return _Decoder(None)
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return _Decoder("deflate" if codings[0] == "deflate" else "gzip")
    raise BodyDecodeError(
        f"the target used Content-Encoding {', '.join(codings)!r}, which llmconform does not "
        "decode (it asks for gzip or deflate only); make the server honour Accept-Encoding"
    )


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


def _size(n: int) -> str:
    return f"{n // _MIB} MiB" if n >= _MIB and n % _MIB == 0 else f"{n} bytes"


def _location(value: str) -> str:
    """A redirect target for messages: no query, fragment or user-info (they may hold tokens)."""
    text = value.split("#", 1)[0].split("?", 1)[0]
    scheme, sep, rest = text.partition("://")
    if sep:
        authority, slash, path = rest.partition("/")
        text = f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
    if len(text) > _MAX_LOCATION_CHARS:
        text = text[:_MAX_LOCATION_CHARS] + "…"
    return text


def _redirect_error(status: int, location: str | None) -> str:
    if not location:
        return f"the target answered {status} (a redirect) without a Location header"
    return (
        f"redirected ({status}) to {_location(location)}; llmconform does not follow redirects "
        "(the API key must never reach another address): use the final URL as --target"
    )


def _describe(exc: Exception, limits: Limits, got_headers: bool) -> str:
    """What went wrong and what to do, for an exception raised while exchanging."""
    name = type(exc).__name__
    detail = str(exc) or "no details"
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"could not connect within {limits.connect_timeout_s:g} s ({name}); check the host "
            "and port in --target and that nothing drops the packets"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return (
            f"the target sent nothing for {limits.idle_timeout_s:g} s ({name}); raise "
            "--idle-timeout if it is that slow to answer"
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {limits.idle_timeout_s:g} s ({name}); raise --idle-timeout"
    if isinstance(exc, httpx.ConnectError):
        return (
            f"could not connect: {detail} ({name}); is the server running and the --target "
            "URL right?"
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        where = "body" if got_headers else "status line or headers"
        return (
            f"the response {where} broke HTTP/1.1 rules or the connection closed early: "
            f"{detail} ({name}); headers over 100 KiB are refused as well"
        )
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        when = "reading the response" if isinstance(exc, httpx.ReadError) else "sending"
        detail = str(exc) or "connection reset"
        return f"the connection broke while {when}: {detail} ({name}); the target reset it"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"the target URL cannot be used: {detail} ({name}); check --target"
    if isinstance(exc, httpx.HTTPError):
        return f"the exchange failed: {detail} ({name})"
    return f"unexpected client failure: {name}: {detail}; please report this as an llmconform bug"


class _Body:
    """Decoded body pieces, each stamped when read; merged once there are too many."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.truncated = False
        self.chunks: list[BodyChunk] = []
        self._tail = bytearray()
        self._tail_t = 0

    def add(self, data: bytes) -> None:
        """Keep `data` up to the cap; the byte past the cap marks the body truncated."""
        room = self.cap - self.size
        if len(data) > room:
            data, self.truncated = data[:room], True
        if not data:
            return
        self.size += len(data)
        now = time.perf_counter_ns()
        if len(self.chunks) < _MAX_CHUNKS:
            self.chunks.append(BodyChunk(now, data))
        else:
            self._tail += data
            self._tail_t = now

    def done(self) -> tuple[BodyChunk, ...]:
        """All pieces, the merged tail last."""
        if self._tail:
            self.chunks.append(BodyChunk(self._tail_t, bytes(self._tail)))
            self._tail.clear()
        return tuple(self.chunks)


async def _read_body(response: httpx.Response, body: _Body, decoder: _Decoder) -> None:
    raws = response.aiter_raw()
    try:
        async for raw in raws:
            for piece in decoder.feed(raw):
                body.add(piece)
                if body.truncated:
                    return
    finally:
        # Closed here, not by the event loop at shutdown, when the connection is long gone.
        await raws.aclose()  # type: ignore[attr-defined]
    for piece in decoder.finish():
        body.add(piece)
        if body.truncated:
            return


async def send(
    client: httpx.AsyncClient, request: Request, conn: Connection, limits: Limits
) -> Capture:
    """Send one request and capture the response; never raises for anything the target does."""
    body = _Body(limits.max_body_bytes)
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    t_headers: int | None = None
    error: str | None = None
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
                if status in _REDIRECTS:
                    error = _redirect_error(status, response.headers.get("location"))
                await _read_body(response, body, _decoder_for(response.headers))
            finally:
                await response.aclose()
    except TimeoutError:
        error = (
            f"no complete answer within the {limits.timeout_s:g} s exchange timeout; "
            "raise --timeout if the target is that slow"
        )
    except BodyDecodeError as exc:
        error = str(exc)
    except Exception as exc:  # whatever a target does, the run goes on with the next exchange
        error = _describe(exc, limits, status is not None)
    if body.truncated and error is None:
        error = (
            f"the target sent more than {_size(limits.max_body_bytes)} of body (counted after "
            "decompression) and llmconform stopped reading; raise --max-body-mb if that is "
            "expected"
        )
    return Capture(
        request=request,
        status=status,
        headers=headers,
        chunks=body.done(),
        t_sent_ns=t0,
        sent_at=sent_at,
        t_headers_ns=t_headers,
        t_end_ns=time.perf_counter_ns(),
        transport=conn.transport_kind,
        error=redact(redact(error, conn.api_key), conn.restricted_key) if error else None,
        truncated=body.truncated,
    )


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


class TargetDown(Exception):
    """The reachability probe got no HTTP answer at all; the message says what happened."""


async def run_cases(
    work: Sequence[CaseWork],
    conn: Connection,
    limits: Limits,
    concurrency: int,
    on_case_done: Callable[[str, list[Capture]], None] | None = None,
    probe: Request | None = None,
) -> dict[str, list[Capture]]:
    """Execute every case's requests; returns captures by case id.

    A case still running (or waiting) when `limits.run_deadline_s` is reached is stopped; its
    last capture is a `DEADLINE_ERROR` with no status, so it is judged an error.

    `probe`, when given, is sent first and alongside the cases: any HTTP answer lets the run
    go on (a target that answers costs no extra round trip); none at all cancels the cases
    and raises `TargetDown`, so a dead target ends the run at once.
    """
    results: dict[str, list[Capture]] = {}
    gate = asyncio.Semaphore(max(1, concurrency))
    deadline = asyncio.get_running_loop().time() + limits.run_deadline_s
    async with make_client(conn, limits, concurrency) as client:

        async def one(item: CaseWork) -> None:
            state = _CaseState()
            cutoff = asyncio.timeout_at(deadline)
            try:
                async with cutoff, gate:
                    await _drive(item, client, conn, limits, state)
            except TimeoutError:
                if not cutoff.expired():
                    raise
                first = item.requests[0] if item.requests else Request("GET", "(not started)")
                state.captures.append(_deadline_capture(state.pending or first, limits))
            results[item.case_id] = state.captures
            if on_case_done:
                on_case_done(item.case_id, state.captures)

        # Created first, the probe takes the first pooled connection.
        checked = asyncio.ensure_future(send(client, probe, conn, limits)) if probe else None
        cases = asyncio.gather(*(one(w) for w in work))
        if checked is not None:
            answer = await checked
            if answer.status is None:
                cases.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cases
                raise TargetDown(answer.error or "no answer")
        await cases
    return results


async def _drive(
    item: CaseWork,
    client: httpx.AsyncClient,
    conn: Connection,
    limits: Limits,
    state: _CaseState,
) -> None:
    flow = item.flow()
    try:
        if item.driver is not None:
            state.captures.extend(await item.driver(_recorder(client, conn, limits, state), limits))
            return
        state.pending = next(flow)
        while True:
            capture = await send(client, state.pending, conn, limits)
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
    client: httpx.AsyncClient, conn: Connection, limits: Limits, state: _CaseState
) -> SendFn:
    """`send` for a driver: every exchange is recorded as soon as it completes."""

    async def exchange(request: Request) -> Capture:
        state.pending = request
        capture = await send(client, request, conn, limits)
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
) -> dict[str, list[Capture]]:
    """Synchronous entry point (runs its own event loop); see `run_cases`."""
    results: dict[str, list[Capture]] = {}

    async def main() -> None:
        results.update(await run_cases(work, conn, limits, concurrency, on_case_done, probe))

    # The captures are not the task's result on purpose: asyncio.run() may repr() its main
    # task at exit (Python 3.11 signal handling), and a task repr includes its result:
    # hundreds of MB of text for a capture holding a 32 MiB body.
    asyncio.run(main())
    return results
