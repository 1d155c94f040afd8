"""Every form of a secret a client could turn back into it (pure): the key as sent, with any
of its characters percent-encoded or \\u-escaped (URLs, JSON strings, Location headers),
its base64 at any of the three alignments (standard and URL-safe alphabets), and, in a
server-sent event stream, split across the string fragments that a client concatenates.

`redact` (engine/redaction) removes them from text; the cassette (evidence/cassette)
removes them from raw bodies, as byte spans, so a body keeps its chunking and timestamps.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

__all__ = ["Span", "base64_forms", "byte_spans", "escaped_pattern"]

Span = tuple[int, int, bytes]  # [start, end) of a body, and what replaces it
_MIN_B64 = 8  # a base64 core shorter than this would match by chance


@lru_cache(maxsize=8)
def escaped_pattern(secret: str) -> re.Pattern[str]:
    """The secret with each character as itself, `%HH` or a JSON `\\uHHHH` escape (any case);
    `/` also as `\\/` (JSON's optional escape)."""
    parts = []
    for ch in secret:
        alts = [re.escape(ch)]
        for byte in ch.encode():
            alts.append(f"%{byte:02x}")
        alts.append(f"\\\\u{ord(ch):04x}" if ord(ch) < 0x10000 else re.escape(ch))
        if ch == "/":
            alts.append(r"\\/")
        parts.append("(?:" + "|".join(alts) + ")")
    return re.compile("".join(parts), re.IGNORECASE)


@lru_cache(maxsize=8)
def _escaped_bytes(secret: str) -> re.Pattern[bytes]:
    return re.compile(escaped_pattern(secret).pattern.encode(), re.IGNORECASE)


@lru_cache(maxsize=8)
def base64_forms(secret: str) -> tuple[str, ...]:
    """The part of the secret's base64 that does not depend on its neighbours, at each of
    the three alignments it can start at, in both alphabets; longest first."""
    raw = secret.encode()
    forms: set[str] = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode()
        # Characters from the first whole 3-byte group after the padding to the last group
        # made of key bytes only: those are the same whatever surrounds the key.
        start = 4 if pad else 0
        whole = (pad + len(raw)) // 3
        core = encoded[start : whole * 4]
        if len(core) >= _MIN_B64:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))
    return tuple(sorted(forms, key=len, reverse=True))


def byte_spans(data: bytes, secret: str, replacement: bytes) -> list[Span]:
    """Where `data` holds the secret in any form (see the module doc)."""
    if not secret:
        return []
    spans: list[Span] = [
        (m.start(), m.end(), replacement) for m in _escaped_bytes(secret).finditer(data)
    ]
    for form in base64_forms(secret):
        needle = form.encode()
        at = data.find(needle)
        while at != -1:
            spans.append((at, at + len(needle), replacement))
            at = data.find(needle, at + len(needle))
    if b"data:" in data:
        spans += _sse_spans(data, secret, replacement.decode())
    return spans


def _sse_spans(data: bytes, secret: str, replacement: str) -> list[Span]:
    """Events whose string fragments (same JSON path, one per event) join into the secret:
    each such event's data line is rewritten with its share of the secret removed."""
    lines: list[tuple[int, int, Any]] = []  # span of the data line, its parsed JSON
    pos = 0
    for raw in data.split(b"\n"):
        end = pos + len(raw) - raw.endswith(b"\r")  # a CRLF stream keeps its CR
        if raw.startswith(b"data:"):
            with contextlib.suppress(ValueError, RecursionError):
                lines.append((pos, end, json.loads(raw[5:])))
        pos += len(raw) + 1
    by_path: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    for n, (_, _, doc) in enumerate(lines):
        for path, text in _strings(doc, ()):
            by_path.setdefault(path, []).append((n, text))
    edits: dict[int, dict[tuple[Any, ...], str]] = {}
    for path, pieces in by_path.items():
        joined = "".join(text for _, text in pieces)
        if len(pieces) < 2 or secret not in joined:
            continue
        bounds, at = [], 0
        for n, text in pieces:
            bounds.append((n, at, at + len(text), text))
            at += len(text)
        for m in re.finditer(re.escape(secret), joined):
            for n, lo, hi, text in bounds:
                if hi <= m.start() or lo >= m.end():
                    continue
                cut_lo, cut_hi = max(lo, m.start()) - lo, min(hi, m.end()) - lo
                mark = replacement if lo <= m.start() else ""
                current = edits.setdefault(n, {}).get(path, text)
                # Same length bookkeeping: blank the share first, marks go in at the end.
                edits[n][path] = current[:cut_lo] + "\0" * (cut_hi - cut_lo) + current[cut_hi:]
                if mark:
                    edits[n][path] = edits[n][path][:cut_lo] + "\1" + edits[n][path][cut_lo + 1 :]
    spans: list[Span] = []
    for n, changes in edits.items():
        start, end, doc = lines[n]
        for path, text in changes.items():
            doc = _set(doc, path, text.replace("\1", replacement).replace("\0", ""))
        spans.append((start, end, b"data: " + json.dumps(doc).encode()))
    return spans


def _strings(doc: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    stack = [(doc, path)]
    while stack:  # iterative: a hostile event may be nested arbitrarily deep
        node, at = stack.pop()
        if isinstance(node, str):
            yield at, node
        elif isinstance(node, dict):
            stack.extend((v, (*at, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(node))


def _set(doc: Any, path: tuple[Any, ...], value: str) -> Any:
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc
