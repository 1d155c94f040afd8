"""Cassettes: every exchange of a run, redacted, in a replayable file (pure but for load/save).

Format: JSON Lines. The first line is a header (format, version, edition, catalog digest,
target, model, run settings; what the run's report states that no exchange shows: its
times, completeness, options and each case's duration, for `verify`); each further line is one
case: its id and its exchanges, each with the request as planned (its JSON body in the key
order it was sent in) and the response as captured (status, headers, body chunks in base64
with their time offsets from the send).
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

from llmconform.engine.redaction import redact
from llmconform.engine.secret_forms import Span, byte_spans
from llmconform.errors import EvidenceError
from llmconform.model import BodyChunk, Capture, Request
from llmconform.model.work import cut_body

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
    return scrub_chunks([data], secrets)[0]


def scrub_chunks(chunks: Sequence[bytes], secrets: Iterable[str]) -> list[bytes]:
    """Scrub secrets from a body kept as chunks, including a secret split across chunks.

    Every form a client could turn back into a secret counts (engine/secret_forms: escaped,
    percent-encoded, base64, split across stream events). Each occurrence is found in the
    joined body; its replacement goes into the chunk where it starts and its remaining bytes
    are dropped from the chunks after, so the chunk count (and so every timestamp) is kept.
    """
    joined = b"".join(chunks)
    spans: list[Span] = []
    for secret in secrets:
        spans += byte_spans(joined, secret, REDACTED.encode())
    if not spans:
        return list(chunks)
    spans.sort(key=lambda sp: (sp[0], -sp[1]))
    merged: list[Span] = []
    for span in spans:  # overlapping finds: the first (widest) one wins
        if merged and span[0] < merged[-1][1]:
            continue
        merged.append(span)
    out: list[bytes] = []
    pos = 0
    k = 0
    for chunk in chunks:
        end = pos + len(chunk)
        piece = bytearray()
        i = pos
        while i < end:
            while k < len(merged) and merged[k][1] <= i:
                k += 1
            if k == len(merged) or merged[k][0] >= end:
                piece += joined[i:end]
                break
            lo, hi, replacement = merged[k]
            if lo > i:
                piece += joined[i:lo]
                i = lo
            if lo == i:
                piece += replacement
            i = min(hi, end)
        out.append(bytes(piece))
        pos = end
    return out


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = redact(text, secret)
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
            # Only when cut, so cassettes of ordinary runs keep their bytes (and hashes).
            **({"cut": c.cut} if c.cut else {}),
        },
    }
    if c.reconnected is not None:  # only then: cassettes of ordinary runs keep their form
        out["response"]["reconnected"] = _scrub_text(c.reconnected, secrets)
    return out


def _want(ok: bool, what: str) -> None:
    if not ok:
        raise CassetteError(f"malformed exchange in cassette: {what}")


def _pairs(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    _want(
        isinstance(value, list)
        and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in value
        ),
        f"{what} must be a list of [name, value] strings",
    )
    return tuple((k, v) for k, v in value)


def _offset(value: Any, what: str, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    _want(isinstance(value, int) and not isinstance(value, bool), f"{what} must be an integer")
    return int(value)


def decode_capture(data: Mapping[str, Any]) -> Capture:
    """A capture back from cassette data; timestamps are offsets from a send time of 0.

    Every field is checked for its type here, so that crafted evidence is refused with a
    message (exit 2) instead of failing later inside a check or a renderer."""
    _want(isinstance(data, dict), "an exchange must be an object")
    rq, rs = data.get("request"), data.get("response")
    _want(isinstance(rq, dict) and isinstance(rs, dict), "request and response must be objects")
    assert isinstance(rq, dict) and isinstance(rs, dict)
    _want(isinstance(rq.get("method"), str), "request.method must be a string")
    _want(isinstance(rq.get("path"), str), "request.path must be a string")
    content = rq.get("content_b64")
    _want(content is None or isinstance(content, str), "request.content_b64 must be a string")
    status = rs.get("status")
    _want(
        status is None or (isinstance(status, int) and not isinstance(status, bool)),
        "response.status must be an integer or null",
    )
    error = rs.get("error")
    _want(error is None or isinstance(error, str), "response.error must be a string or null")
    chunks = rs.get("chunks")
    _want(isinstance(chunks, list), "response.chunks must be a list")
    assert isinstance(chunks, list)
    for chunk in chunks:
        _want(
            isinstance(chunk, list)
            and len(chunk) == 2
            and isinstance(chunk[0], int)
            and not isinstance(chunk[0], bool)
            and isinstance(chunk[1], str),
            "response.chunks must be [offset, base64] pairs",
        )
    sent_at = rs.get("sent_at", 0.0)
    _want(
        isinstance(sent_at, (int, float)) and not isinstance(sent_at, bool),
        "response.sent_at must be a number",
    )
    for name in ("auth", "auth_scheme"):
        _want(isinstance(rq.get(name, ""), str), f"request.{name} must be a string")
    cut = rs.get("cut", 0)
    _want(isinstance(cut, int) and not isinstance(cut, bool) and cut >= 0, "response.cut")
    try:
        request = Request(
            method=rq["method"],
            path=rq["path"],
            json=rq.get("json"),
            headers=_pairs(rq.get("headers", []), "request.headers"),
            content=base64.b64decode(content, validate=True) if content is not None else None,
            stream=bool(rq.get("stream")),
            auth=rq.get("auth", "default"),
            auth_scheme=rq.get("auth_scheme", "bearer"),
        )
        return Capture(
            request=request,
            status=status,
            headers=_pairs(rs.get("headers", []), "response.headers"),
            chunks=tuple(BodyChunk(t, base64.b64decode(b, validate=True)) for t, b in chunks),
            t_sent_ns=0,
            sent_at=float(sent_at),
            t_headers_ns=_offset(rs.get("t_headers_ns"), "response.t_headers_ns"),
            t_end_ns=_offset(rs.get("t_end_ns"), "response.t_end_ns"),
            transport="replay",
            error=error,
            truncated=bool(rs.get("truncated")),
            cut=cut,
            reconnected=_text_or_none(rs.get("reconnected")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"malformed exchange in cassette: {exc!r}") from None


def _body_bytes(captures: Iterable[Capture]) -> int:
    return sum(len(ch.data) for c in captures for ch in c.chunks)


def _lines(
    header: Mapping[str, Any],
    cases: Mapping[str, list[Capture]],
    secrets: tuple[str, ...],
    redact_headers: frozenset[str],
    budget_bytes: int | None = None,
) -> Iterator[str]:
    # ASCII-only lines: U+2028 and friends inside strings would otherwise look like line
    # breaks to str.splitlines() and to many line-oriented tools.
    yield json.dumps({"format": FORMAT, "version": VERSION, **header}, sort_keys=True) + "\n"
    written = 0
    for case_id, captures in cases.items():
        if budget_bytes is not None:
            # The run-wide evidence budget, on disk too: past it, bodies are cut (and say so).
            if written + _body_bytes(captures) > budget_bytes:
                captures = [cut_body(c) for c in captures]
            written += _body_bytes(captures)
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
    budget_bytes: int | None = None,
) -> str:
    """Write a cassette case by case (never the whole text in memory), atomically;
    returns its content hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cassette-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            for line in _lines(header, cases, secrets, redact_headers, budget_bytes):
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
    except RecursionError:
        raise CassetteError("the cassette header is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise CassetteError(f"the cassette header is not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteError("not an llmconform cassette (missing format header)")
    if header.get("version") != VERSION:
        raise CassetteError(
            f"cassette version {header.get('version')!r} is not supported "
            f"(this llmconform reads version {VERSION})"
        )
    _check_header(header)
    cases: dict[str, list[Capture]] = {}
    for n, line in enumerate(lines[1:], start=2):
        try:
            row = json.loads(line)
        except RecursionError:
            raise CassetteError(f"cassette line {n} is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise CassetteError(f"cassette line {n} is malformed: {exc}") from None
        if not (
            isinstance(row, dict)
            and isinstance(row.get("case_id"), str)
            and isinstance(row.get("exchanges"), list)
        ):
            raise CassetteError(f"cassette line {n} must hold a case_id and a list of exchanges")
        try:
            cases[row["case_id"]] = [decode_capture(x) for x in row["exchanges"]]
        except CassetteError as exc:
            raise CassetteError(f"cassette line {n}: {exc}") from None
    return Cassette(header, cases)


_HEADER_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "target": (str,),
    "catalog_digest": (str,),
    "settings": (dict,),
    "capabilities": (list,),
    "apis": (list,),
    "sdks_missing": (list,),
}


def _check_header(header: dict[str, Any]) -> None:
    for key, types in _HEADER_TYPES.items():
        value = header.get(key)
        if value is None:
            continue
        if not isinstance(value, types):
            raise CassetteError(f"the cassette header's {key} has the wrong type")
        if isinstance(value, list) and not all(isinstance(x, str) for x in value):
            raise CassetteError(f"the cassette header's {key} must be a list of strings")


def sha256_file(path: Path) -> str:
    """The content hash recorded in the report for a cassette file."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path) -> Cassette:
    """Read and parse a cassette file."""
    try:
        return loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CassetteError(f"cassette {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc.strerror}") from None


def _text_or_none(value: object) -> str | None:
    """A recorded text field, or None for anything else (a crafted cassette)."""
    return value if isinstance(value, str) else None
