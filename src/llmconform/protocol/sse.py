"""A sans-IO, incremental Server-Sent Events decoder (WHATWG HTML, "interpreting an event stream").

`SSEDecoder.feed()` takes bytes exactly as read from the socket, in any split, and returns the
events dispatched by that read; `close()` marks the end of the stream. Besides events, the decoder
records framing observations (`SSEObservations`) that conformance checks report on: BOM, line
endings, comments, unknown fields, payload lines sent without a `data:` prefix, an unterminated
final event, invalid UTF-8.

Design notes:
- Lines are split on bytes, not text. CR and LF are ASCII and never occur inside a multibyte UTF-8
  sequence, so splitting first and decoding each complete line gives the same text as decoding the
  whole stream (a sequence cut short by a line break is invalid either way), lets `max_line_bytes`
  count real bytes, and makes invalid-UTF-8 detection exact.
- Only the bytes of each new chunk are scanned for terminators; the partial line grows in a
  `bytearray`, so a long line arriving one byte at a time costs linear time.
- A CR ends a line as soon as it is seen (so an event is dispatched without waiting for the next
  read); a LF at the start of the next chunk is then swallowed as the second half of a CRLF.
- Only U+000D and U+000A end lines. U+2028, U+2029, U+0085 and form feed are legal inside JSON
  strings and stay in the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from llmconform.model import BodyChunk, SSEEvent

__all__ = ["SSEDecoder", "SSELineTooLong", "SSEObservations", "decode_sse"]

_BOM = b"\xef\xbb\xbf"
_EOL = re.compile(rb"\r\n|\r|\n")
_MAX_UNKNOWN_FIELDS = 20
_MAX_NAME_CHARS = 64  # unknown field names are evidence only; a huge one must not bloat reports
_MAX_TAIL_CHARS = 200


class SSELineTooLong(ValueError):
    """A single line exceeded the decoder's `max_line_bytes`.

    `events` holds the events that the failing `feed()` call dispatched before the limit was hit,
    so a caller that turns this into a finding loses nothing already decoded. The decoder is
    unusable afterwards: further `feed()` calls raise again.
    """

    def __init__(self, message: str, events: list[SSEEvent] | None = None) -> None:
        super().__init__(message)
        self.events: list[SSEEvent] = events if events is not None else []


@dataclass(frozen=True)
class SSEObservations:
    """Framing facts seen while decoding a stream, for conformance checks.

    `unknown_fields` keeps at most 20 distinct names, each cut to 64 characters. Note that a raw
    JSON object line (`{"id":…}`) contains a colon, so per spec it is a field named `{"id"` and
    lands in `unknown_fields`; `json_like_lines` counts such unprefixed payload lines directly.
    `data_without_space` counts `data:x` lines (a non-empty value not starting with a space).
    """

    bom: bool
    line_endings: frozenset[str]
    comments: int
    unknown_fields: tuple[str, ...]
    lines_without_colon: int
    incomplete_tail: bool
    invalid_utf8: bool
    data_without_space: int
    # Extras beyond the core set:
    json_like_lines: int = 0  # non-comment lines starting with '{' or '[' (payload sans 'data:')
    events: int = 0  # events dispatched
    blocks_without_data: int = 0  # blank-line-ended blocks that had fields but no data: no event
    retry: int | None = None  # last valid `retry` value (reconnection time, ms)
    unterminated_data: str | None = None  # data of the undispatched final event (first 200 chars)


class SSEDecoder:
    """Incremental decoder: feed() any split of bytes; events come back as soon as dispatched.

    Memory is bounded by the current partial line and the current event's buffers; dispatched
    events are handed back and never kept. `max_line_bytes` (None: unlimited) guards against a
    peer that never sends a line terminator: exceeding it raises `SSELineTooLong`.

    `SSEEvent.id` is the spec's last-event-ID buffer, which persists across events; it is None
    until an `id` field has been seen. `SSEEvent.retry` is the valid `retry` value given in the
    event's own block, if any.
    """

    def __init__(self, max_line_bytes: int | None = None) -> None:
        self._max = max_line_bytes
        self._head: bytes | None = b""  # bytes held until we know whether a BOM starts the stream
        self._partial = bytearray()
        self._pending_cr = False  # last byte seen was CR: a LF next is the rest of a CRLF
        self._t = 0
        self._closed = False
        self._failed: str | None = None
        self._lines = 0  # complete lines so far, for error messages
        # Current event buffers.
        self._data: list[str] = []
        self._type = ""
        self._retry: int | None = None
        self._block_has_fields = False
        self._last_id: str | None = None
        # Observations.
        self._bom = False
        self._endings: set[str] = set()
        self._comments = 0
        self._unknown: list[str] = []
        self._no_colon = 0
        self._incomplete = False
        self._invalid = False
        self._data_no_space = 0
        self._json_like = 0
        self._events = 0
        self._no_data_blocks = 0
        self._last_retry: int | None = None
        self._tail_data: str | None = None

    @property
    def observations(self) -> SSEObservations:
        """A snapshot of what has been observed so far (complete after `close()`)."""
        return SSEObservations(
            bom=self._bom,
            line_endings=frozenset(self._endings),
            comments=self._comments,
            unknown_fields=tuple(self._unknown),
            lines_without_colon=self._no_colon,
            incomplete_tail=self._incomplete,
            invalid_utf8=self._invalid,
            data_without_space=self._data_no_space,
            json_like_lines=self._json_like,
            events=self._events,
            blocks_without_data=self._no_data_blocks,
            retry=self._last_retry,
            unterminated_data=self._tail_data,
        )

    def feed(self, data: bytes, t_ns: int = 0) -> list[SSEEvent]:
        """Decode the next bytes; return the events they complete, stamped with `t_ns`."""
        if self._failed is not None:
            raise SSELineTooLong(self._failed)
        if self._closed:
            raise RuntimeError("SSEDecoder.feed() called after close()")
        if not data:
            return []
        self._t = t_ns
        if self._head is not None:
            head = self._head + data
            if len(head) < len(_BOM) and _BOM.startswith(head):
                self._head = head  # could still become a BOM: wait for more bytes
                return []
            self._head = None
            if head.startswith(_BOM):
                self._bom = True
                head = head[len(_BOM) :]
            data = head
        if self._pending_cr:
            self._pending_cr = False
            if data[:1] == b"\n":
                self._endings.add("\r\n")
                data = data[1:]
            else:
                self._endings.add("\r")
        if not data:
            return []

        if b"\r" in data:
            pieces = _EOL.split(data)
            if data[-1:] == b"\r":
                self._pending_cr = True
                self._note_endings(data[:-1])
            else:
                self._note_endings(data)
        else:
            pieces = data.split(b"\n")
            if len(pieces) > 1:
                self._endings.add("\n")

        out: list[SSEEvent] = []
        if len(pieces) == 1:
            self._partial += data
            self._check_partial(out)
            return out
        first = pieces[0]
        if self._partial:
            first = bytes(self._partial) + first
            self._partial = bytearray()
        pieces[0] = first
        last = pieces.pop()
        self._process(pieces, out)
        self._partial += last
        self._check_partial(out)
        return out

    def close(self) -> list[SSEEvent]:
        """End of stream. An unterminated final event is not dispatched (per spec), only observed.

        Always returns an empty list; it exists so callers can treat every decoder alike.
        """
        if self._closed:
            return []
        self._closed = True
        if self._head:  # a lone BOM prefix: ordinary (invalid) bytes of an unterminated line
            self._partial += self._head
        self._head = None
        if self._pending_cr:
            self._pending_cr = False
            self._endings.add("\r")
        if self._partial or self._block_has_fields:
            self._incomplete = True
            pending = list(self._data)
            if self._partial:
                line = self._decode(bytes(self._partial))
                name, _, value = line.partition(":")
                if name == "data":
                    pending.append(value[1:] if value[:1] == " " else value)
            if pending:
                self._tail_data = "\n".join(pending)[:_MAX_TAIL_CHARS]
        self._partial = bytearray()
        self._data = []
        return []

    # -- internals ---------------------------------------------------------------------------

    def _note_endings(self, data: bytes) -> None:
        """Record which terminators occur in `data` (a trailing CR is excluded by the caller)."""
        if len(self._endings) == 3:
            return
        rest = data
        if b"\r\n" in data:
            self._endings.add("\r\n")
            rest = data.replace(b"\r\n", b"")
        if b"\r" in rest:
            self._endings.add("\r")
        if b"\n" in rest:
            self._endings.add("\n")

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._invalid = True
            return raw.decode("utf-8", "replace")

    def _check_partial(self, out: list[SSEEvent]) -> None:
        if self._max is not None and len(self._partial) > self._max:
            self._fail(f"{len(self._partial)} bytes so far, no line terminator yet", out)

    def _fail(self, detail: str, out: list[SSEEvent]) -> None:
        self._failed = (
            f"SSE line {self._lines + 1} is longer than the limit of {self._max} bytes ({detail})"
        )
        self._partial = bytearray()
        raise SSELineTooLong(self._failed, out)

    def _process(self, lines: list[bytes], out: list[SSEEvent]) -> None:
        """Interpret complete lines (terminators removed). This is the hot loop."""
        limit = self._max
        for raw in lines:
            if limit is not None and len(raw) > limit:
                self._fail(f"{len(raw)} bytes", out)
            self._lines += 1
            if not raw:
                self._dispatch(out)
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._invalid = True
                line = raw.decode("utf-8", "replace")
            name, sep, value = line.partition(":")
            if not name:  # the line starts with ':'
                self._comments += 1
                continue
            self._block_has_fields = True
            if line[0] in "{[":
                self._json_like += 1
            if not sep:
                self._no_colon += 1
            elif value[:1] == " ":
                value = value[1:]
            elif value and name == "data":
                self._data_no_space += 1
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._type = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry":
                self._set_retry(value)
            elif len(self._unknown) < _MAX_UNKNOWN_FIELDS:
                short = name[:_MAX_NAME_CHARS]
                if short not in self._unknown:
                    self._unknown.append(short)

    def _set_retry(self, value: str) -> None:
        if not (value.isascii() and value.isdigit()):
            return
        try:
            retry = int(value)
        except ValueError:  # more digits than the interpreter will convert: not a usable delay
            return
        self._retry = retry
        self._last_retry = retry

    def _dispatch(self, out: list[SSEEvent]) -> None:
        if self._data:
            out.append(
                SSEEvent(
                    data="\n".join(self._data),
                    event=self._type or "message",
                    id=self._last_id,
                    retry=self._retry,
                    t_ns=self._t,
                )
            )
            self._data = []
            self._events += 1
        elif self._block_has_fields:
            self._no_data_blocks += 1
        self._type = ""
        self._retry = None
        self._block_has_fields = False


def decode_sse(
    chunks: Iterable[BodyChunk], max_line_bytes: int | None = None
) -> tuple[list[SSEEvent], SSEObservations]:
    """Decode a whole captured body (sequence of timestamped chunks).

    On `SSELineTooLong`, the exception's `events` holds every event decoded before the failure.
    """
    decoder = SSEDecoder(max_line_bytes)
    events: list[SSEEvent] = []
    for chunk in chunks:
        try:
            events.extend(decoder.feed(chunk.data, chunk.t_ns))
        except SSELineTooLong as exc:
            raise SSELineTooLong(str(exc), events + exc.events) from None
    events.extend(decoder.close())
    return events, decoder.observations
