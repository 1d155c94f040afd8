"""Checks of the property-based cases: every sample judged on its own, findings at `sample[k]`.

A sample's expectation is derived from the request it recorded, never from the generator, so a
run replayed from a cassette is judged exactly like the live run: raw bytes that are not UTF-8
or not JSON, and JSON that breaks the `chat.request` schema's structure, must get a 4xx (MUST);
a value outside a documented range should (SHOULD, like ERR-003), and so should a body that is
JSON only with an extension a lenient parser accepts (NaN, Infinity, -Infinity: RFC 8259 §9 lets
a parser accept them; SHOULD, PROP-006); no input may get a 5xx. Each message carries the
request body (truncated, ASCII) so the example can be re-sent.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import replace

from llmconform.checks.common import excerpt
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import CHECKS, Issue, IssueKind, check
from llmconform.model import Request
from llmconform.schema.validation import SchemaError, validate

REQUEST_SCHEMA = "urn:llmconform:schema:openai/chat.request"
STRUCTURAL, RANGE, EXTENSION, VALID = "structural", "range", "extension", "valid"
BODY_CHARS = 400
MAX_SAMPLES = 10  # failing samples reported one by one; the rest are counted
MAX_ISSUES = 3  # issues reported per failing sample

# Checks reused on each valid sample, by answer shape; only their MUST-level requirements are
# kept: SHOULD-level ones have their own fixed cases, and PROP-001 is a MUST.
_PLAIN_CHECKS = ("http.json", "chat.schema", "chat.created", "chat.choices", "chat.message")
_STREAM_CHECKS = (
    "stream.content_type",
    "stream.framing",
    "stream.done",
    "stream.chunk_schema",
    "stream.consistent",
    "stream.created",
    "stream.role_first",
    "stream.finish_once",
    "chat.choices",
    "chat.message",
)
_ALWAYS = ("chat.length", "usage.arithmetic")  # every sample sends max_tokens
KEPT = frozenset(
    {
        "HTTP-002", "CHAT-001", "CHAT-002", "CHAT-004", "CHAT-005", "CHAT-LEN-002",
        "CHAT-STOP-001", "USAGE-002", "STREAM-001", "STREAM-002", "STREAM-003", "STREAM-004",
        "STREAM-005", "STREAM-006", "STREAM-008", "STREAM-009", "STREAM-USAGE-001",
    }
)  # fmt: skip


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def expectation(request: Request) -> tuple[str, str]:
    """What a request deserves, `(STRUCTURAL | RANGE | EXTENSION | VALID, why)`, from its body
    alone. A body that parses only with the NaN/Infinity extension is judged on what a lenient
    parser reads: STRUCTURAL if that is still broken, EXTENSION otherwise."""
    value = request.json
    if request.content is not None:
        try:
            text = request.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            return STRUCTURAL, f"invalid UTF-8 at byte {exc.start}"
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            return STRUCTURAL, "JSON nested too deeply to parse"
        except ValueError as exc:
            extension = _lenient(text)
            if extension is None:
                return STRUCTURAL, f"not JSON ({exc})"
            kind, why = _judge(extension)
            if kind == STRUCTURAL:
                return kind, why
            return EXTENSION, f"JSON only with an extension ({exc})"
    return _judge(value)


def _lenient(text: str) -> object | None:
    """The body as a lenient parser reads it (NaN, Infinity, -Infinity as numbers), or None
    when even that parser refuses it."""
    try:
        value: object = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value


def _judge(value: object) -> tuple[str, str]:
    try:
        errors = validate(value, REQUEST_SCHEMA)
    except RecursionError:
        return STRUCTURAL, "JSON nested too deeply to validate"
    if not errors:
        return VALID, "a valid request"
    kind = STRUCTURAL if any(_breaks_structure(e) for e in errors) else RANGE
    return kind, f"{errors[0].path}: {errors[0].message}"


def _breaks_structure(error: SchemaError) -> bool:
    """Errors a server cannot serve around: the body itself, a missing required field, or a
    malformed `model` / `messages`. A bad optional parameter (wrong type, out of range) is
    "range": accepting or coercing it hides a client bug but breaks no client (SHOULD)."""
    if error.schema_path.endswith("/required") or error.path == "$":
        return True
    return error.path.startswith(("$.messages", "$.model"))


def body_text(request: Request, limit: int = BODY_CHARS) -> str:
    """The body as sent, in ASCII, cut: JSON with \\u escapes, or raw bytes with \\xNN ones."""
    if request.content is not None:
        # Byte for byte: printable ASCII as is, every other byte as \xNN (printf '%b' input).
        text = "".join(
            chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in request.content
        )
        size = len(request.content)
    else:
        text = json.dumps(request.json, separators=(",", ":"))
        size = len(json.dumps(request.json, ensure_ascii=False, separators=(",", ":")).encode())
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({size} bytes in all)"


def summary(request: Request) -> str:
    """A few words on a valid request: stream or not, the roles, and unusual text."""
    body = request.json if isinstance(request.json, dict) else {}
    listed = body.get("messages")
    messages: list[object] = listed if isinstance(listed, list) else []
    roles = [m.get("role") for m in messages if isinstance(m, dict)]
    words = ["stream" if request.stream else "non-stream", f"roles {'/'.join(map(str, roles))}"]
    text = json.dumps(messages, ensure_ascii=False)
    traits = {
        "emoji or astral": any(ord(c) > 0xFFFF for c in text),
        "RTL": any("\u0590" <= c <= "\u08ff" for c in text),
        "U+2028/9": "\u2028" in text or "\u2029" in text,
        "combining marks": any(unicodedata.combining(c) for c in text),
        "long": len(text) > 1000,
    }
    words += [name for name, present in traits.items() if present]
    if body.get("stop") is not None:
        words.append("stop")
    return ", ".join(words)


def _sample_issue(requirement: str, ex: Exchange, what: str, why: str, path: str = "") -> Issue:
    where = f"sample[{ex.index}]" + (path.removeprefix("$") if path.startswith("$") else "")
    message = f"sample[{ex.index}] ({what}): {why}; request: {body_text(ex.capture.request)}"
    return Issue(requirement, message, where, ex.index)


def _reported(per_sample: Iterator[list[Issue]]) -> Iterator[Issue]:
    """At most `MAX_ISSUES` issues for each of the first `MAX_SAMPLES` failing samples; the
    samples after those are counted per requirement."""
    shown = 0
    rest: dict[str, list[int]] = {}
    for issues in per_sample:
        if not issues:
            continue
        if shown < MAX_SAMPLES:
            shown += 1
            yield from issues[:MAX_ISSUES]
        else:
            rest.setdefault(issues[0].requirement, []).append(issues[0].exchange)
    for requirement, samples in rest.items():
        yield Issue(
            requirement,
            f"{len(samples)} more failing sample(s) like the above: {samples}",
            f"sample[{samples[0]}]",
            samples[0],
        )


def _reused(ctx: CheckContext, ex: Exchange) -> list[Issue]:
    names = [*(_STREAM_CHECKS if ex.is_stream else _PLAIN_CHECKS), *_ALWAYS]
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    if body.get("stop"):
        names.append("chat.stop")
    options = body.get("stream_options")
    if ex.is_stream and isinstance(options, dict) and options.get("include_usage") is True:
        names.append("stream.usage_chunk")
    sub = replace(ctx, args={"step": ex.index}, metrics={})
    found: list[Issue] = []
    for name in names:
        try:
            found += [
                i
                for i in CHECKS[name].fn(sub)
                if i.requirement in KEPT and i.kind is IssueKind.VIOLATION
            ]
        except Unverifiable as exc:
            found.append(Issue(CHECKS[name].requirements[0], f"cannot verify: {exc}"))
            break  # the body is unreadable: the other checks would only repeat it
    return found


def _valid_sample(ctx: CheckContext, ex: Exchange) -> list[Issue]:
    # `summary` scans every character of the messages: only worth it for a failing sample.
    if ex.status is None:
        return []  # no answer: the engine reports it (HTTP-003 or an error)
    if ex.status != 200:
        detail = ""
        with contextlib.suppress(Unverifiable):
            body = ex.json
            err = body.get("error") if isinstance(body, dict) else None
            said = err.get("message") if isinstance(err, dict) else body
            detail = f" ({excerpt(said, 120)})"
        why = f"a valid request was answered with status {ex.status}, expected 200{detail}"
        return [_sample_issue("PROP-001", ex, summary(ex.capture.request), why)]
    found = _reused(ctx, ex)
    what = summary(ex.capture.request) if found else ""
    return [
        _sample_issue("PROP-001", ex, what, f"{i.requirement}: {i.message}", i.path) for i in found
    ]


@check("property.valid_requests", "PROP-001")
def valid_requests(ctx: CheckContext) -> Iterator[Issue]:
    """Every generated valid request gets 200 and an answer meeting the MUST-level checks."""
    if not ctx.exchanges:
        raise Unverifiable("the case sent no sample")
    yield from _reported(_valid_sample(ctx, ex) for ex in ctx.exchanges)


def _invalid_sample(ctx: CheckContext, ex: Exchange) -> list[Issue]:
    kind, what = expectation(ex.capture.request)
    if ex.status is None:
        return []
    if ex.status >= 500:
        why = f"answered with server error {ex.status}; client input must get a 4xx"
        return [_sample_issue("PROP-003", ex, what, why)]
    if ex.status < 400:
        req = {RANGE: "PROP-004", EXTENSION: "PROP-006"}.get(kind, "PROP-002")
        why = f"answered with status {ex.status}, expected a 4xx client error"
        return [_sample_issue(req, ex, what, why)]
    sub = replace(ctx, args={"step": ex.index}, metrics={})
    try:
        found = [i for i in CHECKS["error.envelope"].fn(sub) if i.requirement == "ERR-005"]
    except Unverifiable as exc:
        found = [Issue("ERR-005", f"cannot verify: {exc}")]
    return [
        _sample_issue("PROP-005", ex, what, f"{i.requirement}: {i.message}", i.path) for i in found
    ]


@check(
    "property.invalid_requests",
    "PROP-002",
    "PROP-003",
    "PROP-004",
    "PROP-005",
    "PROP-006",
    expects_error=True,
)
def invalid_requests(ctx: CheckContext) -> Iterator[Issue]:
    """Every generated invalid request gets a 4xx with an OpenAI error body: never a 2xx
    (MUST for broken structure, SHOULD for a value out of range or a JSON extension such as
    NaN), never a 5xx."""
    if not ctx.exchanges:
        raise Unverifiable("the case sent no sample")
    yield from _reported(_invalid_sample(ctx, ex) for ex in ctx.exchanges)
