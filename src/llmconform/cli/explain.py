"""`llmconform explain ID`: a requirement or a case from the packaged catalog, in words."""

from __future__ import annotations

import difflib
import json

import click
from rich.console import Console
from rich.markup import escape

from llmconform.catalog.loader import Catalog
from llmconform.checks import CHECKS
from llmconform.cli.common import (
    fail,
    packaged_catalog,
)
from llmconform.cli.completion import complete_ids
from llmconform.model import Case

__all__ = ["cases_for", "explain_command"]


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


@click.command("explain", short_help="Explain what a requirement or a case checks.")
@click.argument("ident", metavar="ID", shell_complete=complete_ids)
def explain_command(ident: str) -> None:
    """Explain a requirement (e.g. STREAM-003) or a case (e.g. stream.basic).

    For a requirement: its statement, why it matters, the spec, its profiles and the cases
    (with their checks) that test it. For a case: its requests, checks and requirements.
    """
    catalog = packaged_catalog()
    found = _resolve(ident, catalog)
    if found is None:
        ids = [*catalog.requirements, *catalog.cases]
        close = difflib.get_close_matches(ident, ids, n=5, cutoff=0.5)
        close += [i for i in difflib.get_close_matches(ident.upper(), ids, n=5) if i not in close]
        hint = f"; did you mean {', '.join(close[:5])}?" if close else "; see `llmconform list`"
        fail(f"no requirement or case {ident!r}{hint}")
    out = Console(highlight=False, soft_wrap=True)
    if found in catalog.requirements:
        _explain_requirement(found, catalog, out)
    else:
        _explain_case(found, catalog, out)
