"""Everyday read-only commands: `validate` a saved body, `explain` an id, `plan` a run.

None of them sends a request. `validate` runs the packaged schemas and the pure checks that
apply to one capture over a file (or stdin); `explain` prints a requirement or a case from the
packaged catalog; `plan` counts the requests and token limits a run would spend. Exit codes
follow `llmconform run`: 0 fine, 1 a MUST failed, 2 usage (bad kind, id, file or flag),
3 llmconform itself broke (a check crashed).
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from llmconform.catalog import Catalog, CatalogError, load_catalog
from llmconform.checks import CHECKS, known_checks
from llmconform.checks.anthropic import ERROR_TYPES
from llmconform.engine import budget as budgets
from llmconform.engine.evaluate import evaluate
from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES, CORE_CAPABILITIES
from llmconform.engine.select import known_profiles
from llmconform.model import BodyChunk, Capture, Case, CheckRef, Finding, Level, Outcome, Request
from llmconform.schema_validation import ID_PREFIX, schema_ids, validate

__all__ = ["explain_command", "plan_command", "show_plan", "validate_command"]

EXIT_FAIL, EXIT_USAGE, EXIT_BROKEN = 1, 2, 3
MAX_INPUT_BYTES = 64 * 1024 * 1024
_ERR = Console(stderr=True)


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    _ERR.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _catalog() -> Catalog:
    try:
        return load_catalog(known_checks=known_checks())
    except CatalogError as exc:
        _fail(f"the packaged conformance catalog is broken: {exc}", EXIT_BROKEN)


# -- validate -----------------------------------------------------------------------------------
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
        result = evaluate(case, [capture_for(kind, body, request, status)], _catalog().requirements)
        return list(result.findings)
    assert kind.schema is not None  # every kind without checks comes from a schema
    label = f"schema:{kind.schema}"
    try:
        instance = json.loads(body)
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
        err = json.loads(body).get("error")
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
        _fail(f"cannot read {name}: {exc.strerror or exc}")
    if len(data) > MAX_INPUT_BYTES:
        _fail(f"{name}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
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


@click.command("validate")
@click.argument("file", metavar="FILE")
@click.option("--as", "kind_name", required=True, metavar="KIND", help="What FILE holds.")
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
        _fail(f"unknown kind {kind_name!r}; allowed: {', '.join(known)}")
    body = _read(file)
    request = None
    if request_file is not None:
        try:
            request = json.loads(_read(request_file))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            _fail(f"--request {request_file}: not JSON ({exc})")
    if status is None and kind.name == "anthropic.error":
        status = _anthropic_status(body)
    findings = validate_bytes(kind, body, request, status)
    counts = {o.value: sum(f.outcome is o for f in findings) for o in Outcome}
    code = EXIT_BROKEN if counts["error"] else EXIT_FAIL if counts["fail"] else 0
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
    verdict = {0: "valid", EXIT_FAIL: "INVALID (a MUST failed)", EXIT_BROKEN: "a check crashed"}
    checked = ", ".join(kind.checks) or f"schema {kind.schema}"
    click.echo(
        f"as {kind.name}: {verdict[code]} - {counts['fail']} failed, {counts['warn']} warnings, "
        f"{len(findings) - counts['fail'] - counts['warn']} notes (checked: {checked})"
    )
    sys.exit(code)


# -- explain ------------------------------------------------------------------------------------
def cases_for(requirement: str, catalog: Catalog) -> list[tuple[Case, list[str]]]:
    """The cases whose checks report on `requirement`, each with those checks' names."""
    found = []
    for case in catalog.cases.values():
        names = [r.name for r in case.checks if requirement in CHECKS[r.name].requirements]
        if names:
            found.append((case, list(dict.fromkeys(names))))
    return found


def _resolve(ident: str, catalog: Catalog) -> str | None:
    """The catalog id meant by `ident` (requirement ids are matched case-insensitively)."""
    if ident in catalog.requirements or ident in catalog.cases:
        return ident
    upper = ident.upper()
    return upper if upper in catalog.requirements else None


def _explain_requirement(req_id: str, catalog: Catalog, out: Console) -> None:
    req = catalog.requirements[req_id]
    out.print(f"[bold]{escape(req.id)}[/]  {req.level.value}  area {escape(req.area)}")
    out.print(escape(req.statement))
    out.print(f"\n[bold]Why it matters[/]\n{escape(req.rationale or '(no rationale recorded)')}")
    out.print(f"\n[bold]Spec[/]  {escape(req.spec or '-')}")
    out.print(f"[bold]Profiles[/]  {escape(', '.join(req.profiles) or '-')}")
    tested = cases_for(req_id, catalog)
    out.print(f"\n[bold]Tested by {len(tested)} case(s)[/]")
    for case, names in tested:
        needs = f"  (needs {', '.join(case.requires)})" if case.requires else ""
        out.print(f"  {escape(case.id)}  {escape(case.title)}{escape(needs)}")
        out.print(f"      checks: {escape(', '.join(names))}")
    if not tested:
        out.print("  none: the requirement is reported as skipped (untested) by every run")


def _explain_case(case_id: str, catalog: Catalog, out: Console) -> None:
    case = catalog.cases[case_id]
    out.print(f"[bold]{escape(case.id)}[/]  {escape(case.title)}")
    out.print(f"api {escape(case.api)}, file {escape(case.source)}")
    for label, values in (("requires", case.requires), ("tags", case.tags)):
        if values:
            out.print(f"{label}: {escape(', '.join(values))}")
    if case.scenario:
        out.print(f"scenario: {escape(case.scenario)} (later requests depend on earlier answers)")
    for i, step in enumerate(case.steps):
        body = step.get("json") if isinstance(step, dict) else None
        raw = step.get("raw") if isinstance(step, dict) else None
        method = str(step.get("method", "POST")) if isinstance(step, dict) else "?"
        path = str(step.get("path", "?")) if isinstance(step, dict) else "?"
        out.print(f"\n[bold]Request {i + 1}[/]  {escape(method)} {escape(path)}")
        if body is not None:
            out.print(escape(json.dumps(body, indent=2, ensure_ascii=False)), highlight=False)
        elif raw is not None:
            out.print(f"raw body: {escape(repr(raw))}", highlight=False)
    out.print("\n[bold]Checks[/]")
    for ref in case.checks:
        spec = CHECKS[ref.name]
        args = f" {dict(ref.args)}" if ref.args else ""
        out.print(
            f"  {escape(ref.name + args)}: {escape(spec.doc.splitlines()[0] if spec.doc else '')}"
        )
    out.print("\n[bold]Requirements[/]")
    reqs = dict.fromkeys(r for ref in case.checks for r in CHECKS[ref.name].requirements)
    for rid in reqs:
        req = catalog.requirements.get(rid)
        text = f"{req.level.value:<6} {req.statement}" if req else "(not in the catalog)"
        out.print(f"  {escape(rid):<18} {escape(text)}")


@click.command("explain")
@click.argument("ident", metavar="ID")
def explain_command(ident: str) -> None:
    """Explain a requirement (e.g. STREAM-003) or a case (e.g. stream.basic).

    For a requirement: its statement, why it matters, the spec, its profiles and the cases
    (with their checks) that test it. For a case: its requests, checks and requirements.
    """
    catalog = _catalog()
    found = _resolve(ident, catalog)
    if found is None:
        ids = [*catalog.requirements, *catalog.cases]
        close = difflib.get_close_matches(ident, ids, n=5, cutoff=0.5)
        close += [i for i in difflib.get_close_matches(ident.upper(), ids, n=5) if i not in close]
        hint = f"; did you mean {', '.join(close[:5])}?" if close else "; see `llmconform list`"
        _fail(f"no requirement or case {ident!r}{hint}")
    out = Console(highlight=False, soft_wrap=True)
    if found in catalog.requirements:
        _explain_requirement(found, catalog, out)
    else:
        _explain_case(found, catalog, out)


# -- plan ---------------------------------------------------------------------------------------
def target_kind(target: str) -> str:
    """The kind of a `--target` value, without opening it."""
    if target in ("", "reference"):
        return "reference"
    for prefix in ("replay", "asgi"):
        if target.startswith(prefix + ":"):
            return prefix
    return "http"


def _requests_cell(t: budgets.Totals) -> str:
    text = f"{t.requests:,}"
    if t.upper_bound_cases:
        text = f"≤ {text}"
    if t.uncounted_cases:
        text += f" + {t.uncounted_cases} uncounted"
    return text


def _tokens_cell(t: budgets.Totals) -> str:
    text = f"{t.max_tokens:,}"
    return f"{text} + {t.unbounded} unbounded" if t.unbounded else text


def budget_json(plan: budgets.RunBudget) -> dict[str, Any]:
    """The plan as JSON-ready data (for `--json`)."""
    from dataclasses import asdict

    return {
        "total": asdict(plan.total),
        "profiles": {name: asdict(t) for name, t in sorted(plan.per_profile.items())},
        "cases": [asdict(c) for c in plan.cases],
        "skipped": [{"case": cid, "reason": why} for cid, why in plan.skipped],
        "notes": list(plan.notes),
    }


def show_plan(
    plan: budgets.RunBudget, console: Console, *, as_json: bool = False, cases: bool = False
) -> None:
    """Print a plan: a table per profile and the total (or JSON), then the notes."""
    if as_json:
        console.print_json(json.dumps(budget_json(plan), ensure_ascii=False))
        return
    table = Table(title="What this run would spend (nothing is sent)", title_justify="left")
    for column in ("profile", "cases", "requests", "max output tokens", "~prompt tokens"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    for name, t in sorted(plan.per_profile.items()):
        table.add_row(
            escape(name),
            str(t.cases),
            _requests_cell(t),
            _tokens_cell(t),
            f"~{t.prompt_tokens_estimate:,}",
        )
    t = plan.total
    table.add_section()
    table.add_row(
        "[bold]total[/]",
        str(t.cases),
        _requests_cell(t),
        _tokens_cell(t),
        f"~{t.prompt_tokens_estimate:,}",
    )
    console.print(table)
    if cases:
        detail = Table("case", "requests", "max output tokens", "note")
        for c in plan.cases:
            n = (
                "?"
                if c.requests is None
                else (f"≤ {c.requests}" if c.upper_bound else str(c.requests))
            )
            tokens = f"{c.max_tokens:,}" + (f" + {c.unbounded} unbounded" if c.unbounded else "")
            detail.add_row(escape(c.case_id), n, tokens, escape(c.note))
        console.print(detail)
    if plan.skipped:
        console.print(
            f"{len(plan.skipped)} selected case(s) will be skipped (undeclared capabilities)."
        )
    notes = list(plan.notes)
    if t.unbounded:
        notes.append(
            "unbounded: a request without max_tokens / max_completion_tokens / max_output_tokens"
        )
    if t.upper_bound_cases:
        notes.append(
            "≤: scenario cases are counted at their maximum; they stop early on bad answers"
        )
    if t.uncounted_cases:
        notes.append("uncounted: SDK cases (the SDK builds their requests); see --cases")
    for note in notes:
        console.print(f"[dim]- {escape(note)}[/]")


@click.command("plan")
@click.option(
    "--target", default="reference", show_default=True, help="As for `run` (only its kind matters)."
)
@click.option(
    "--api", "apis", multiple=True, type=click.Choice([*API_FAMILIES, "all"]), help="As for `run`."
)
@click.option("--profile", "profiles", multiple=True, metavar="NAME", help="As for `run`.")
@click.option("--capability", "capabilities", multiple=True, metavar="NAME", help="As for `run`.")
@click.option("-k", "--filter", "keyword", default=None, help="As for `run` (approximated).")
@click.option(
    "--requests", "n_requests", type=click.IntRange(1, 100_000), default=300, show_default=True
)
@click.option("--warmup", type=click.IntRange(0, 1000), default=3, show_default=True)
@click.option(
    "--property-examples",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Examples per property case [default: the case's].",
)
@click.option("--cases", "show_cases", is_flag=True, help="Also list every case.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan_command(
    target: str,
    apis: tuple[str, ...],
    profiles: tuple[str, ...],
    capabilities: tuple[str, ...],
    keyword: str | None,
    n_requests: int,
    warmup: int,
    property_examples: int | None,
    show_cases: bool,
    as_json: bool,
) -> None:
    """Count the requests and token limits a run would spend, per profile, before spending them."""
    catalog = _catalog()
    unknown = sorted(set(capabilities) - ALL_CAPABILITIES)
    if unknown:
        _fail(
            f"unknown capability {', '.join(unknown)}; known: {', '.join(sorted(ALL_CAPABILITIES))}"
        )
    bad = [p for p in profiles if p not in known_profiles(catalog)]
    if bad:
        _fail(f"unknown profile {', '.join(bad)}; known: {', '.join(known_profiles(catalog))}")
    try:
        plan = budgets.plan_run(
            catalog,
            target_kind=target_kind(target),
            apis=(frozenset(API_FAMILIES) if "all" in apis else frozenset(apis)) or None,
            profiles=tuple(dict.fromkeys(profiles)),
            capabilities=CORE_CAPABILITIES | frozenset(capabilities) if capabilities else None,
            keyword=keyword,
            requests=n_requests,
            warmup=warmup,
            property_examples=property_examples,
        )
    except budgets.BudgetError as exc:
        _fail(str(exc))
    show_plan(plan, Console(), as_json=as_json, cases=show_cases)
