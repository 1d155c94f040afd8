"""A deliberately hostile HTTP/1.1 server for robustness tests (raw asyncio, loopback only).

Every behaviour is something a broken or malicious target may do to a client: reset, stall,
trickle, stream forever, send gigabytes, one endless line, a gzip bomb, huge headers,
redirect elsewhere, echo the credentials back. Large bodies are generated lazily in small
blocks and written with `drain()`, so the server never holds more than one block and stops
producing as soon as the client stops reading.

The behaviour is chosen per server (`HostileServer("reset")`) or per request path: a base URL
from `server.base("gzip_bomb")` puts `/b/gzip_bomb/` in every path. `GET …/models` gets a valid
model list so that a CLI run's reachability check passes and the hostile behaviour hits the
cases themselves; `server.base("gzip_bomb", models=True)` (`/m/…/`) sends it to the model
lookup as well.

Each connection serves one request and ends (`Connection: close`): a hostile answer must not
leave the next exchange guessing where a message starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

MODEL = "hostile-model"
# A distinctive fake key for the tests: searched for in every output to prove it never leaks.
KEY = "sk-hostile-LEAKCHECK-5f9d2a7c1e3b"
BLOCK = 64 * 1024
_MAX_REQUEST_BODY = 1024 * 1024
_MAX_LOOPS = 1_000_000  # every endless behaviour is bounded anyway
_START_TIMEOUT_S = 5.0
_STOP_TIMEOUT_S = 5.0

CHUNK = {
    "id": "chatcmpl-hostile",
    "object": "chat.completion.chunk",
    "created": 1_700_000_000,
    "model": MODEL,
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}}],
}
COMPLETION = {
    "id": "chatcmpl-hostile",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}
HTML = b"<!DOCTYPE html><html><head><title>Bad Gateway</title></head><body>oops</body></html>"


@dataclass(frozen=True)
class Seen:
    """A request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def head(status: int, headers: list[tuple[str, str]], reason: str = "X") -> bytes:
    """A status line and header block; the connection always closes after the answer."""
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(data: bytes) -> bytes:
    """One frame of chunked transfer coding."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"
Writer = asyncio.StreamWriter
Behaviour = Callable[["HostileServer", Writer, str], Awaitable[None]]


def sse(obj: object) -> bytes:
    """One SSE event carrying `obj` as JSON."""
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


async def send_json(w: Writer, status: int, body: bytes, ctype: str = "application/json") -> None:
    w.write(head(status, [("content-type", ctype), ("content-length", str(len(body)))]) + body)
    await w.drain()


async def stream_blocks(w: Writer, blocks: Iterator[bytes]) -> None:
    """Write a chunked body block by block, waiting for the client each time; then end it."""
    for block in blocks:
        w.write(chunked(block))
        await w.drain()
    w.write(LAST_CHUNK)
    await w.drain()


def repeat(block: bytes, total: int) -> Iterator[bytes]:
    """`total` bytes made of `block` repeated, produced lazily."""
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


_MIB = 1024 * 1024
_gzip_prefix: tuple[list[bytes], Any] | None = None
_gzip_lock = threading.Lock()


def _zeros_prefix() -> tuple[list[bytes], Any]:
    """The compressed form of the first 64 MiB of zeros and the compressor state after it.

    Compressing costs ~3 ms per MiB; computed once per process, it keeps many concurrent
    bomb answers from starving the server's event loop.
    """
    global _gzip_prefix
    with _gzip_lock:
        if _gzip_prefix is None:
            z = zlib.compressobj(9, zlib.DEFLATED, 31)
            zeros = bytes(_MIB)
            blocks = [out for _ in range(64) if (out := z.compress(zeros))]
            _gzip_prefix = (blocks, z)
        return _gzip_prefix


def gzip_of_zeros(total: int) -> Iterator[bytes]:
    """A single gzip stream of `total` (at least 64 MiB) zero bytes, compressed lazily."""
    blocks, state = _zeros_prefix()
    yield from blocks
    z = state.copy()
    for piece in repeat(bytes(_MIB), total - 64 * _MIB):
        out = z.compress(piece)
        if out:
            yield out
    yield z.flush()


# -- behaviours ----------------------------------------------------------------------------------
async def b_ok(srv: HostileServer, w: Writer, path: str) -> None:
    await send_json(w, 200, json.dumps(COMPLETION).encode())


async def b_models(srv: HostileServer, w: Writer, path: str) -> None:
    body = {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "x"}]}
    await send_json(w, 200, json.dumps(body).encode())


async def b_reset(srv: HostileServer, w: Writer, path: str) -> None:
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))
    w.write(chunked(sse(CHUNK)))
    await w.drain()
    sock = w.get_extra_info("socket")
    # SO_LINGER with a zero timeout turns close() into a TCP RST instead of a FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()


async def b_silent(srv: HostileServer, w: Writer, path: str) -> None:
    await srv.wait_stop()


async def b_slow(srv: HostileServer, w: Writer, path: str) -> None:
    body = json.dumps(COMPLETION).encode()
    data = head(200, [("content-type", "application/json"), ("content-length", str(len(body)))])
    for i in range(min(len(data + body), _MAX_LOOPS)):
        w.write((data + body)[i : i + 1])
        await w.drain()
        if await srv.wait_stop(srv.tick_s):
            return


async def b_sse_forever(srv: HostileServer, w: Writer, path: str) -> None:
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))
    for _ in range(_MAX_LOOPS):
        w.write(chunked(sse(CHUNK)))
        await w.drain()
        if await srv.wait_stop(0.01):
            return


async def b_huge_body(srv: HostileServer, w: Writer, path: str) -> None:
    w.write(head(200, [("content-type", "application/json"), ("transfer-encoding", "chunked")]))
    blocks = repeat(b'{"pad":"' + b"a" * (BLOCK - 8), 10 * 1024**3)
    await stream_blocks(w, blocks)


async def b_huge_line(srv: HostileServer, w: Writer, path: str) -> None:
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))

    def blocks() -> Iterator[bytes]:
        yield b"data: "
        yield from repeat(b"a" * BLOCK, srv.huge_line_bytes)
        yield b"\n\n"

    await stream_blocks(w, blocks())


async def b_invalid_utf8(srv: HostileServer, w: Writer, path: str) -> None:
    await send_json(w, 200, b'{"id": "\xff\xfe\xc3\x28", "object": "chat.completion\x80"}')


async def b_invalid_json(srv: HostileServer, w: Writer, path: str) -> None:
    await send_json(w, 200, b'{"id": "chatcmpl-1", "choices": [{"index": 0,')


async def b_html_200(srv: HostileServer, w: Writer, path: str) -> None:
    await send_json(w, 200, HTML, "text/html; charset=utf-8")


async def b_html_500(srv: HostileServer, w: Writer, path: str) -> None:
    await send_json(w, 500, HTML, "text/html; charset=utf-8")


async def _redirect(w: Writer, status: int, location: str) -> None:
    body = b"moved"
    w.write(head(status, [("location", location), ("content-length", str(len(body)))]) + body)
    await w.drain()


async def b_redirect(srv: HostileServer, w: Writer, path: str) -> None:
    await _redirect(w, 307, "/v1/elsewhere/chat/completions?sig=query-secret")


async def b_redirect_other(srv: HostileServer, w: Writer, path: str) -> None:
    await _redirect(w, 307, f"{srv.redirect_to}/v1/chat/completions?sig=query-secret")


async def b_redirect_loop(srv: HostileServer, w: Writer, path: str) -> None:
    await _redirect(w, 302, path)


async def b_huge_header(srv: HostileServer, w: Writer, path: str) -> None:
    body = json.dumps(COMPLETION).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    w.write(head(200, [*headers, ("x-pad", "a" * (1024 * 1024))]) + body)
    await w.drain()


async def b_gzip_bomb(srv: HostileServer, w: Writer, path: str) -> None:
    headers = [("content-type", "application/json"), ("content-encoding", "gzip")]
    w.write(head(200, [*headers, ("transfer-encoding", "chunked")]))
    await stream_blocks(w, gzip_of_zeros(2 * 1024**3))


async def b_gzip_ok(srv: HostileServer, w: Writer, path: str) -> None:
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    body = z.compress(json.dumps(COMPLETION).encode()) + z.flush()
    w.write(
        head(
            200,
            [
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
                ("content-length", str(len(body))),
            ],
        )
        + body
    )
    await w.drain()


async def b_deflate_ok(srv: HostileServer, w: Writer, path: str) -> None:
    body = zlib.compress(json.dumps(COMPLETION).encode())
    w.write(
        head(
            200,
            [
                ("content-type", "application/json"),
                ("content-encoding", "deflate"),
                ("content-length", str(len(body))),
            ],
        )
        + body
    )
    await w.drain()


async def b_brotli(srv: HostileServer, w: Writer, path: str) -> None:
    body = b"\x1b\x03\x00\xf8\xa5\x00"  # not decodable without brotli, whatever it is
    headers = [("content-type", "application/json"), ("content-encoding", "br")]
    w.write(head(200, [*headers, ("content-length", str(len(body)))]) + body)
    await w.drain()


async def b_cut_before_done(srv: HostileServer, w: Writer, path: str) -> None:
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))
    w.write(chunked(sse(CHUNK)) + chunked(sse(CHUNK)))
    await w.drain()
    w.close()  # a FIN in the middle of the chunked body, before `data: [DONE]`


async def b_echo(srv: HostileServer, w: Writer, path: str) -> None:
    """An error body that quotes the request headers back, credentials included."""
    seen = srv.requests[-1].headers if srv.requests else {}
    text = "; ".join(f"{k}={v}" for k, v in seen.items())
    error = {"error": {"message": f"rejected: {text}", "type": "invalid_request_error"}}
    await send_json(w, 400, json.dumps(error).encode())


async def b_echo_split(srv: HostileServer, w: Writer, path: str) -> None:
    """Like `echo`, but the key is cut in two reads (a pause between two halves)."""
    seen = srv.requests[-1].headers if srv.requests else {}
    text = json.dumps({"error": {"message": f"rejected: {seen.get('authorization', '')}"}})
    body = text.encode()
    w.write(head(400, [("content-type", "application/json"), ("content-length", str(len(body)))]))
    half = body.find(b"LEAK") + 2 if b"LEAK" in body else len(body) // 2
    w.write(body[:half])
    await w.drain()
    await srv.wait_stop(0.05)
    w.write(body[half:])
    await w.drain()


def _echoed_key(srv: HostileServer) -> str:
    seen = srv.requests[-1].headers if srv.requests else {}
    return seen.get("authorization", "").removeprefix("Bearer ")


def key_encodings(key: str) -> dict[str, str]:
    """The key as a client could decode it back: every character percent-encoded, every
    character \\u-escaped (as raw JSON text), and base64 at each of the three alignments."""
    import base64

    b64 = {f"base64_{n}": base64.b64encode(b"x" * n + key.encode()).decode() for n in range(3)}
    return {
        "percent": "".join(f"%{b:02X}" for b in key.encode()),
        "json_u": "".join(f"\\u{ord(c):04x}" for c in key),
        **b64,
    }


async def b_echo_encoded(srv: HostileServer, w: Writer, path: str) -> None:
    """An error that quotes the key back encoded: URL-encoded in the body and in a Location
    header, \\u-escaped inside a JSON string, and base64 at each alignment."""
    forms = key_encodings(_echoed_key(srv))
    message = " ".join(f"{name}={value}" for name, value in forms.items())
    body = ('{"error": {"message": "rejected: ' + message + '", "type": "x"}}').encode()
    location = f"http://127.0.0.1/login?next=%2Fv1&k={forms['percent']}"
    hdrs = [("content-type", "application/json"), ("location", location)]
    w.write(head(400, [*hdrs, ("content-length", str(len(body)))]) + body)
    await w.drain()


async def b_echo_sse_split(srv: HostileServer, w: Writer, path: str) -> None:
    """A stream whose content deltas, joined as a client joins them, spell the key."""
    key = _echoed_key(srv)
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))
    thirds = [
        key[: len(key) // 3],
        key[len(key) // 3 : 2 * len(key) // 3],
        key[2 * len(key) // 3 :],
    ]
    for text in ["Your key is ", *thirds, "."]:
        chunk = {**CHUNK, "choices": [{"index": 0, "delta": {"content": text}}]}
        w.write(chunked(sse(chunk)))
    done = {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    w.write(chunked(sse(done)) + chunked(b"data: [DONE]\n\n") + LAST_CHUNK)
    await w.drain()


DEPTH = 100_000


async def b_deep_json(srv: HostileServer, w: Writer, path: str) -> None:
    """A JSON body nested 100,000 levels deep."""
    deep = b"[" * DEPTH + b"]" * DEPTH
    await send_json(w, 200, b'{"id": "x", "choices": ' + deep + b"}")


async def b_deep_sse(srv: HostileServer, w: Writer, path: str) -> None:
    """A stream whose one event is nested 100,000 levels deep."""
    w.write(head(200, [("content-type", "text/event-stream"), ("transfer-encoding", "chunked")]))
    deep = b"[" * DEPTH + b"]" * DEPTH
    w.write(chunked(b'data: {"choices": ' + deep + b"}\n\n") + chunked(b"data: [DONE]\n\n"))
    w.write(LAST_CHUNK)
    await w.drain()


BEHAVIOURS: dict[str, Behaviour] = {
    name.removeprefix("b_"): fn for name, fn in globals().items() if name.startswith("b_")
}


@dataclass
class HostileServer:
    """A raw TCP server in a background thread on an ephemeral port of `host`."""

    behaviour: str = "ok"
    host: str = "127.0.0.1"
    tick_s: float = 1.0  # pause between bytes of the `slow` behaviour
    huge_line_bytes: int = 100 * 1024 * 1024
    redirect_to: str = ""  # base URL (no /v1) for `redirect_other`
    requests: list[Seen] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stop: asyncio.Event | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """`http://host:port` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def base(self, behaviour: str | None = None, *, models: bool = False) -> str:
        """A base URL ending in /v1 whose requests get `behaviour` (default: the server's);
        with `models`, `GET …/models` gets it too (model discovery under attack)."""
        prefix = "m" if models else "b"
        return self.url + (f"/{prefix}/{behaviour}" if behaviour else "") + "/v1"

    def pick(self, method: str, path: str) -> Behaviour:
        """The behaviour for one request."""
        parts = path.split("/")
        if len(parts) > 2 and parts[1] == "m":
            return BEHAVIOURS[parts[2]]
        if method == "GET" and path.rstrip("/").endswith("/models"):
            return b_models
        name = parts[2] if len(parts) > 2 and parts[1] == "b" else self.behaviour
        return BEHAVIOURS[name]

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> HostileServer:
        """Bind and serve in a daemon thread; returns once the port is listening."""
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {self.behaviour!r}")
        _zeros_prefix()  # now, not inside the event loop where it would stall every client
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_S) or not self.port:
            raise RuntimeError("the hostile server did not start")
        return self

    def stop(self) -> None:
        """Stop serving, end every open connection, and join the thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_S)
            if self._thread.is_alive():
                raise RuntimeError("the hostile server thread did not stop")

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def wait_stop(self, seconds: float | None = None) -> bool:
        """Sleep until the server stops (or `seconds` pass); True when it is stopping."""
        assert self._stop is not None
        if seconds is None:
            await self._stop.wait()
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
        return self._stop.is_set()

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main(ready))
        finally:
            self._loop.close()

    async def _main(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        open_: dict[asyncio.Task[None], Writer] = {}

        async def on_connect(reader: asyncio.StreamReader, writer: Writer) -> None:
            task = asyncio.current_task()
            assert task is not None
            open_[task] = writer
            try:
                await self._serve(reader, writer)
            except asyncio.CancelledError:
                pass  # stopping; a cancelled handler task makes asyncio log a traceback
            finally:
                open_.pop(task, None)

        server = await asyncio.start_server(on_connect, self.host, 0)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        await self._stop.wait()
        server.close()
        for writer in list(open_.values()):
            writer.transport.abort()  # a handler blocked in drain() wakes up with an error
        if open_:
            await asyncio.wait(list(open_), timeout=_STOP_TIMEOUT_S / 2)
        for task in list(open_):
            task.cancel()
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            length = min(int(headers.get("content-length", "0") or 0), _MAX_REQUEST_BODY)
            await reader.readexactly(length)
            self.requests.append(Seen(method, path, headers))
            await self.pick(method, path)(self, writer, path)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client left: that is the point of most behaviours
        finally:
            with contextlib.suppress(Exception):
                writer.close()
