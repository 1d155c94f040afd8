"""Response bodies as read: content decoding with bounded output, stamped and capped pieces.

httpx would decompress each read without an output limit, so a few KiB of a gzip bomb could
become gigabytes before a size cap saw them; here decoding yields bounded pieces and the
reader stops pulling once the cap is reached. Each kept piece carries the `perf_counter_ns()`
of its read, which is what latency is computed from.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

import httpx

from llmconform.model import BodyChunk

__all__ = ["Body", "BodyDecodeError", "Decoder", "decoder_for", "read_body"]

_MAX_CHUNKS = 100_000  # past this, reads are merged: a trickling target cannot bloat memory
_PIECE = 64 * 1024  # most bytes one decompression step may produce
_GZIP_MAGIC = b"\x1f\x8b"


class BodyDecodeError(Exception):
    """The body's content coding cannot be undone: unsupported, corrupt, or cut short."""


class Decoder:
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


def decoder_for(headers: httpx.Headers) -> Decoder:
    """The decoder for a response's Content-Encoding (gzip or deflate, or none)."""
    codings = [
        c.strip().lower() for v in headers.get_list("content-encoding") for c in v.split(",")
    ]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return Decoder(None)
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return Decoder("deflate" if codings[0] == "deflate" else "gzip")
    raise BodyDecodeError(
        f"the target used Content-Encoding {', '.join(codings)!r}, which llmconform does not "
        "decode (it asks for gzip or deflate only); make the server honour Accept-Encoding"
    )


class Body:
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


async def read_body(response: httpx.Response, body: Body, decoder: Decoder) -> None:
    """Read, decode and keep the body until it ends or reaches the cap."""
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
