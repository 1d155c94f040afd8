"""Secrets out of everything a report, a cassette or a message shows (pure).

A target may echo the API key back (in a body, a header, a JSON string or a URL), and an
excerpt may cut through it; every text that leaves a run goes through `redact`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from urllib.parse import quote

from llmconform.engine.secret_forms import base64_forms, escaped_pattern
from llmconform.model import CaseResult

__all__ = ["REDACTED", "redact", "redact_result"]

REDACTED = "[REDACTED]"
# The seam of an excerpt that kept a body's start and end (engine.evaluate.body_excerpt):
# a key cut there ends one piece and starts the next, so each piece is redacted on its own.
EXCERPT_GAP = "\n[… {} bytes omitted …]\n"
_GAP = re.compile(r"(\n\[… \d+ bytes omitted …\]\n)")
_MIN_PARTIAL_KEY = 6  # a cut-off excerpt ending in this much of the key is redacted too


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from text that may end up in a report or a log.

    Also removes its JSON-escaped and URL-encoded forms, whole or character by character (a
    target may echo it back in a JSON or a URL), its base64 (engine/secret_forms), and a
    piece of it at either end of the text (an excerpt may cut through it).
    """
    if not secret:
        return text
    for form in _forms(secret):
        if form in text:
            text = text.replace(form, REDACTED)
    if "%" in text or "\\u" in text or "\\/" in text:  # partly escaped or encoded
        text = escaped_pattern(secret).sub(REDACTED, text)
    for form in base64_forms(secret):
        if form in text:
            text = text.replace(form, REDACTED)
    # A cut-off piece at either end: only looked for when the shortest piece that counts
    # occurs near that end (a substring test in C), since most texts hold nothing of the key.
    reach = len(secret) - 1
    if secret[:_MIN_PARTIAL_KEY] in text[-reach:]:
        for n in range(reach, _MIN_PARTIAL_KEY - 1, -1):
            if text.endswith(secret[:n]):
                text = text[:-n] + REDACTED
                break
    if secret[-_MIN_PARTIAL_KEY:] in text[:reach]:
        for n in range(reach, _MIN_PARTIAL_KEY - 1, -1):
            if text.startswith(secret[-n:]):
                text = REDACTED + text[n:]
                break
    return text


@lru_cache(maxsize=8)
def _forms(secret: str) -> tuple[str, ...]:
    """The secret as sent, JSON-escaped and URL-encoded; longest first (replaced first)."""
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    return tuple(sorted(forms, key=len, reverse=True))


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
            replace(f, message=clean(f.message), path=clean(f.path), evidence=clean(f.evidence))
            for f in result.findings
        ),
        exchanges=tuple(
            replace(
                e,
                path=clean(e.path),
                error=clean(e.error) if e.error else e.error,
                request_excerpt=clean(e.request_excerpt),
                response_excerpt="".join(
                    piece if i % 2 else clean(piece)
                    for i, piece in enumerate(_GAP.split(e.response_excerpt))
                ),
            )
            for e in result.exchanges
        ),
    )
