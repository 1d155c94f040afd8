"""Cassettes: every exchange of a run, redacted, in a replayable file (pure but for load/save).

Format: JSON Lines. The first line is a header (format, version, edition, catalog digest,
target, model, run settings); each further line is one case: its id and its exchanges, each
with the request as planned (its JSON body in the key order it was sent in) and the response
as captured (status, headers, body chunks in base64 with their time offsets from the send).
Offsets, not absolute clocks, so a replay reproduces every timing-derived figure exactly.

Secrets: requests are stored as planned, before the transport adds credentials, so no
Authorization or x-api-key value is ever in them; response headers that can carry secrets
are dropped, the configured key is scrubbed from every byte, and secret-looking query
parameters are masked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmconform.errors import EvidenceError
from llmconform.model import BodyChunk, Capture, Request

FORMAT = "llmconform-cassette"
VERSION = 1
REDACTED = "[REDACTED]"
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization"}
)
_SECRET_QUERY = re.compile(r"([?&](?:api[-_]?key|key|token|access[-_]token|sig)=)[^&#]*", re.I)


class CassetteError(EvidenceError):
    """A cassette file is missing, malformed, or of another format or version."""


@dataclass(frozen=True)
class Cassette:
    """A loaded cassette: its header and the captures of each case."""

    header: dict[str, Any]
    cases: dict[str, list[Capture]] = field(default_factory=dict)


def _scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if secret:
            data = data.replace(secret.encode(), REDACTED.encode())
    return data


def scrub_chunks(chunks: Sequence[bytes], secrets: Iterable[str]) -> list[bytes]:
    """Scrub secrets from a body kept as chunks, including a secret split across chunks.

    Each occurrence is found in the joined body; its replacement goes into the chunk where
    it starts and its remaining bytes are dropped from the chunks after, so the chunk count
    (and so every timestamp) is kept.
    """
    joined = b"".join(chunks)
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        if not secret:
            continue
        needle = secret.encode()
        start = joined.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = joined.find(needle, start + len(needle))
    if not spans:
        return list(chunks)
    spans.sort()
    out: list[bytes] = []
    pos = 0
    for chunk in chunks:
        end = pos + len(chunk)
        piece = bytearray()
        i = pos
        while i < end:
            span = next((sp for sp in spans if sp[0] <= i < sp[1]), None)
            if span is None:
                piece.append(joined[i])
                i += 1
                continue
            if span[0] == i:
                piece += REDACTED.encode()
            i = min(span[1], end)
        out.append(bytes(piece))
        pos = end
    return out


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _SECRET_QUERY.sub(r"\1" + REDACTED, text)


def _headers(
    headers: Iterable[tuple[str, str]], secrets: tuple[str, ...], extra: frozenset[str]
) -> list[list[str]]:
    out = []
    for key, value in headers:
        if key.lower() in SECRET_HEADERS or key.lower() in extra:
            out.append([key, REDACTED])
        else:
            out.append([key, _scrub_text(value, secrets)])
    return out


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode_capture(
    c: Capture, secrets: tuple[str, ...] = (), redact_headers: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One exchange as plain, redacted data."""
    r = c.request
    content = _scrub_bytes(r.content, secrets) if r.content is not None else None
    req_json = json.loads(_scrub_text(json.dumps(r.json), secrets)) if r.json is not None else None
    out: dict[str, Any] = {
        "request": {
            "method": r.method,
            "path": _scrub_text(r.path, secrets),
            "json": req_json,
            "content_b64": _b64(content) if content is not None else None,
            "headers": _headers(r.headers, secrets, redact_headers),
            "stream": r.stream,
            "auth": r.auth,
            "auth_scheme": r.auth_scheme,
        },
        "response": {
            "status": c.status,
            "headers": _headers(c.headers, secrets, redact_headers),
            "chunks": [
                [ch.t_ns - c.t_sent_ns, _b64(data)]
                for ch, data in zip(
                    c.chunks, scrub_chunks([ch.data for ch in c.chunks], secrets), strict=True
                )
            ],
            "t_headers_ns": None if c.t_headers_ns is None else c.t_headers_ns - c.t_sent_ns,
            "t_end_ns": None if c.t_end_ns is None else c.t_end_ns - c.t_sent_ns,
            "sent_at": c.sent_at,
            "transport": c.transport,
            "error": None if c.error is None else _scrub_text(c.error, secrets),
            "truncated": c.truncated,
        },
    }
    if c.reconnected is not None:  # only then: cassettes of ordinary runs keep their form
        out["response"]["reconnected"] = _scrub_text(c.reconnected, secrets)
    return out


def decode_capture(data: Mapping[str, Any]) -> Capture:
    """A capture back from cassette data; timestamps are offsets from a send time of 0."""
    try:
        rq, rs = data["request"], data["response"]
        content = rq.get("content_b64")
        request = Request(
            method=rq["method"],
            path=rq["path"],
            json=rq.get("json"),
            headers=tuple((k, v) for k, v in rq.get("headers", [])),
            content=base64.b64decode(content) if content is not None else None,
            stream=bool(rq.get("stream")),
            auth=rq.get("auth", "default"),
            auth_scheme=rq.get("auth_scheme", "bearer"),
        )
        return Capture(
            request=request,
            status=rs["status"],
            headers=tuple((k, v) for k, v in rs.get("headers", [])),
            chunks=tuple(BodyChunk(int(t), base64.b64decode(b)) for t, b in rs["chunks"]),
            t_sent_ns=0,
            sent_at=float(rs.get("sent_at", 0.0)),
            t_headers_ns=rs.get("t_headers_ns"),
            t_end_ns=rs.get("t_end_ns"),
            transport="replay",
            error=rs.get("error"),
            truncated=bool(rs.get("truncated")),
            reconnected=rs.get("reconnected"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"malformed exchange in cassette: {exc!r}") from None


def _lines(
    header: Mapping[str, Any],
    cases: Mapping[str, list[Capture]],
    secrets: tuple[str, ...],
    redact_headers: frozenset[str],
) -> Iterator[str]:
    # ASCII-only lines: U+2028 and friends inside strings would otherwise look like line
    # breaks to str.splitlines() and to many line-oriented tools.
    yield json.dumps({"format": FORMAT, "version": VERSION, **header}, sort_keys=True) + "\n"
    for case_id, captures in cases.items():
        row = {
            "case_id": case_id,
            "exchanges": [encode_capture(c, secrets, redact_headers) for c in captures],
        }
        # Not sort_keys: a request body is kept in the key order it was sent in (the executor
        # serialises it in that order), so checks that quote it (property findings) read the
        # same text from the cassette as from the live capture. encode_capture builds every
        # other mapping in a fixed order, so the line stays deterministic.
        yield json.dumps(row) + "\n"


def dumps(
    header: Mapping[str, Any],
    cases: Mapping[str, list[Capture]],
    secrets: tuple[str, ...] = (),
    redact_headers: frozenset[str] = frozenset(),
) -> str:
    """The cassette text: header line, then one line per case in the given order."""
    return "".join(_lines(header, cases, secrets, redact_headers))


def write(
    path: Path,
    header: Mapping[str, Any],
    cases: Mapping[str, list[Capture]],
    secrets: tuple[str, ...] = (),
    redact_headers: frozenset[str] = frozenset(),
) -> str:
    """Write a cassette case by case (never the whole text in memory), atomically;
    returns its content hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cassette-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            for line in _lines(header, cases, secrets, redact_headers):
                fh.write(line)
                digest.update(line.encode("ascii"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return "sha256:" + digest.hexdigest()


def loads(text: str) -> Cassette:
    """Parse cassette text; raises CassetteError with what is wrong."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        raise CassetteError("the cassette is empty")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise CassetteError(f"the cassette header is not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteError("not an llmconform cassette (missing format header)")
    if header.get("version") != VERSION:
        raise CassetteError(
            f"cassette version {header.get('version')!r} is not supported "
            f"(this llmconform reads version {VERSION})"
        )
    cases: dict[str, list[Capture]] = {}
    for n, line in enumerate(lines[1:], start=2):
        try:
            row = json.loads(line)
            cases[row["case_id"]] = [decode_capture(x) for x in row["exchanges"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CassetteError(f"cassette line {n} is malformed: {exc!r}") from None
    return Cassette(header, cases)


def sha256_file(path: Path) -> str:
    """The content hash recorded in the report for a cassette file."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path) -> Cassette:
    """Read and parse a cassette file."""
    try:
        return loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc.strerror}") from None
