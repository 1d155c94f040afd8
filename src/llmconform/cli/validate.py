"""`llmconform validate`: a saved body judged by the schemas and the pure checks, offline.

It runs the packaged schemas and the checks that apply to one capture over a file (or stdin)
and sends nothing. Exit codes follow `llmconform run`: 0 fine, 1 a MUST failed, 2 usage (bad
kind, file or flag), 3 llmconform itself broke (a check crashed).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import click
from click.shell_completion import CompletionItem

from llmconform.checks.anthropic.core import ERROR_TYPES
from llmconform.checks.context import parse_json_body
from llmconform.cli.common import (
    EXIT_COULD_NOT_RUN,
    EXIT_FAILURES,
    fail,
    packaged_catalog,
)
from llmconform.engine.evaluate import evaluate
from llmconform.model import BodyChunk, Capture, Case, CheckRef, Finding, Level, Outcome, Request
from llmconform.schema.validation import ID_PREFIX, schema_ids, validate

__all__ = ["capture_for", "kinds", "validate_bytes", "validate_command"]

MAX_INPUT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """What a file may be validated as: a schema, the checks that judge one capture of it,
    and the exchange it would come from (API, path, streamed or not)."""

    name: str
    schema: str | None
    checks: tuple[str, ...] = ()
    api: str = "openai-chat"
    path: str = "/chat/completions"
    stream: bool = False
    status: int = 200


# Not `stream_arguments`: it asks for a function call, which only tool cases request.
_RESPONSES_STREAM = ("events", "names", "order", "terminal", "sequence", "items", "text", "final")
# Kinds with checks beyond their schema (the checks validate the schema themselves).
_JUDGED = (
    Kind(
        "chat.completion",
        "openai/chat.completion",
        ("chat.schema", "chat.created", "chat.choices", "chat.message", "usage.arithmetic"),
    ),
    Kind(
        "sse",
        None,
        (
            "stream.framing",
            "stream.done",
            "stream.chunk_schema",
            "stream.consistent",
            "stream.role_first",
            "stream.finish_once",
        ),
        stream=True,
    ),
    Kind(
        "completion",
        "openai/completion",
        ("completions.schema", "completions.choices", "completions.usage"),
        "openai-completions",
        "/completions",
    ),
    Kind(
        "completion.sse",
        None,
        ("stream.framing", "stream.done", "completions.chunk_schema", "completions.finish_once"),
        "openai-completions",
        "/completions",
        stream=True,
    ),
    Kind(
        "embedding.list",
        "openai/embedding.list",
        ("embeddings.schema", "embeddings.vectors", "embeddings.usage"),
        "openai-embeddings",
        "/embeddings",
    ),
    Kind("model.list", "openai/model.list", ("models.list",), "openai-models", "/models"),
    Kind("error", "openai/error", ("error.envelope",), status=400),
    Kind(
        "responses.response",
        "responses/response",
        ("responses.schema", "responses.created_at", "responses.spec_fields", "responses.usage"),
        "open-responses",
        "/responses",
    ),
    Kind(
        "responses.sse",
        None,
        tuple(f"responses.stream_{n}" for n in _RESPONSES_STREAM),
        "open-responses",
        "/responses",
        stream=True,
    ),
    Kind(
        "responses.error",
        "responses/error",
        ("responses.error_envelope",),
        "open-responses",
        "/responses",
        status=400,
    ),
    Kind(
        "anthropic.message",
        "anthropic/message",
        ("ant.message_schema", "ant.stop_reason"),
        "anthropic-messages",
        "/messages",
    ),
    Kind(
        "anthropic.sse",
        None,
        ("ant.stream_framing", "ant.stream_names", "ant.stream_schema", "ant.stream_order"),
        "anthropic-messages",
        "/messages",
        stream=True,
    ),
    Kind(
        "anthropic.error",
        "anthropic/error",
        ("ant.error_body",),
        "anthropic-messages",
        "/messages",
        status=400,
    ),
)


def kinds() -> dict[str, Kind]:
    """Every kind `validate --as` accepts: one per packaged schema (OpenAI's by their name,
    the others prefixed by their API), with checks where some apply, plus the stream kinds."""
    judged = {k.name: k for k in _JUDGED}
    found: dict[str, Kind] = {}
    for sid in schema_ids():
        api, name = sid.removeprefix(ID_PREFIX).split("/", 1)
        if name == "common":  # shared definitions, not a document
            continue
        kind = name if api == "openai" or name.startswith(api) else f"{api}.{name}"
        found[kind] = judged.get(kind) or Kind(kind, f"{api}/{name}")
    found.update((k.name, k) for k in _JUDGED if k.name not in found)
    return dict(sorted(found.items()))


def capture_for(kind: Kind, body: bytes, request: Any = None, status: int | None = None) -> Capture:
    """The capture a live exchange would have produced for a saved body (one chunk)."""
    if request is None:
        request = {"model": "model", "stream": kind.stream}
        if kind.api == "openai-completions":
            request["prompt"] = "hi"
        elif kind.api in ("openai-embeddings", "open-responses"):
            request["input"] = "hi"
        else:
            request["messages"] = [{"role": "user", "content": "hi"}]
    method = "GET" if kind.api == "openai-models" else "POST"
    stream = isinstance(request, dict) and request.get("stream") is True
    content_type = "text/event-stream" if kind.stream else "application/json"
    return Capture(
        Request(method, kind.path, json=None if method == "GET" else request, stream=stream),
        status if status is not None else kind.status,
        (("content-type", content_type),),
        (BodyChunk(1, body),),
        t_sent_ns=0,
        t_headers_ns=1,
        t_end_ns=2,
    )


def validate_bytes(
    kind: Kind, body: bytes, request: Any = None, status: int | None = None
) -> list[Finding]:
    """Findings of `kind`'s checks over a saved body, or of its schema when no check applies."""
    if kind.checks:
        case = Case(
            f"validate:{kind.name}", kind.name, kind.api, (), tuple(map(CheckRef, kind.checks))
        )
        result = evaluate(
            case, [capture_for(kind, body, request, status)], packaged_catalog().requirements
        )
        return list(result.findings)
    assert kind.schema is not None  # every kind without checks comes from a schema
    label = f"schema:{kind.schema}"
    try:
        # Decoded as `run` decodes bodies (strictly UTF-8), so that a body `run` fails
        # is not valid here.
        instance = parse_json_body(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding(label, Level.MUST, "schema", f"not JSON: {exc}", Outcome.FAIL, "$")]
    return [
        Finding(label, Level.MUST, "schema", e.message, Outcome.FAIL, e.path)
        for e in validate(instance, ID_PREFIX + kind.schema)
    ]


def _anthropic_status(body: bytes) -> int | None:
    """The status Anthropic sends with this error type, so that, without --status, only the
    body is judged and not a status we would have to invent."""
    try:
        err = parse_json_body(body).get("error")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    kind = err.get("type") if isinstance(err, dict) else None
    return next((code for code, name in ERROR_TYPES.items() if name == kind), None)


def _read(name: str) -> bytes:
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {name}: {exc.strerror or exc}")
    if len(data) > MAX_INPUT_BYTES:
        fail(f"{name}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
    return data


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "requirement": f.requirement,
        "level": f.level.value,
        "outcome": f.outcome.value,
        "check": f.check,
        "path": f.path,
        "message": f.message,
    }


def _complete_kinds(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return [CompletionItem(name) for name in kinds() if name.startswith(incomplete)]


class _KindOption(click.Option):
    """`--as`, whose help lists the kinds (read from the packaged schemas when shown)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """The option's help with every kind it accepts."""
        record = super().get_help_record(ctx)
        if record is None:
            return None
        return record[0], f"{record[1]} One of: {', '.join(kinds())}."


@click.command("validate", short_help="Check a saved response body or event stream offline.")
@click.argument("file", metavar="FILE")
@click.option(
    "--as",
    "kind_name",
    cls=_KindOption,
    required=True,
    metavar="KIND",
    help="What FILE holds.",
    shell_complete=_complete_kinds,
)
@click.option(
    "--request",
    "request_file",
    default=None,
    metavar="FILE",
    help="The request body (JSON) it answered.",
)
@click.option("--status", type=click.IntRange(100, 599), default=None, help="Its HTTP status.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def validate_command(
    file: str, kind_name: str, request_file: str | None, status: int | None, as_json: bool
) -> None:
    """Check a saved response body or event stream (FILE, or - for stdin) offline.

    Runs the packaged schema and the checks that judge a single exchange. The status
    defaults to 200 (400 for error kinds); --request lets checks such as the number of
    choices use the real request. Exit 0 when no MUST fails, 1 when one does.

    \b
    Examples:
      curl -s $URL/chat/completions -d @req.json | llmconform validate - --as chat.completion
      llmconform validate stream.txt --as sse
    """
    known = kinds()
    kind = known.get(kind_name)
    if kind is None:
        fail(f"unknown kind {kind_name!r}; allowed: {', '.join(known)}")
    body = _read(file)
    request = None
    if request_file is not None:
        try:
            request = json.loads(_read(request_file))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            fail(f"--request {request_file}: not JSON ({exc})")
    if status is None and kind.name == "anthropic.error":
        status = _anthropic_status(body)
    findings = validate_bytes(kind, body, request, status)
    counts = {o.value: sum(f.outcome is o for f in findings) for o in Outcome}
    code = EXIT_COULD_NOT_RUN if counts["error"] else EXIT_FAILURES if counts["fail"] else 0
    if as_json:
        out = {
            "kind": kind.name,
            "findings": [_finding_json(f) for f in findings],
            "counts": counts,
        }
        click.echo(json.dumps({**out, "exit_code": code}, indent=2, ensure_ascii=False))
        sys.exit(code)
    for f in findings:
        click.echo(
            f"{f.outcome.value.upper():<5} {f.requirement:<18} {f.level.value:<6} "
            f"{f.path or '-'}  {f.message}"
        )
    verdict = {
        0: "valid",
        EXIT_FAILURES: "INVALID (a MUST failed)",
        EXIT_COULD_NOT_RUN: "a check crashed",
    }
    checked = ", ".join(kind.checks) or f"schema {kind.schema}"
    click.echo(
        f"as {kind.name}: {verdict[code]} - {counts['fail']} failed, {counts['warn']} warnings, "
        f"{len(findings) - counts['fail'] - counts['warn']} notes (checked: {checked})"
    )
    sys.exit(code)
