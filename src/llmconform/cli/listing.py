"""`llmconform list` and `llmconform serve-reference`."""

from __future__ import annotations

import json
import os

import click

from llmconform import EDITION
from llmconform.catalog.loader import Catalog
from llmconform.checks import CHECKS
from llmconform.cli.common import EXIT_USAGE, err_console, fail, packaged_catalog
from llmconform.cli.completion import complete_cases, complete_profiles
from llmconform.engine import select
from llmconform.model import Case, Requirement
from llmconform.settings.config_file import did_you_mean


@click.command("list", short_help="List the suite's cases (or requirements).")
@click.option(
    "--requirements", "show_requirements", is_flag=True, help="List requirements instead of cases."
)
@click.option(
    "-k",
    "--filter",
    "keyword",
    default=None,
    shell_complete=complete_cases,
    help="Only the cases a run's -k would select (with --requirements: what they check).",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_profiles,
    help="Only cases (or requirements) of this profile (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(
    show_requirements: bool, keyword: str | None, profiles: tuple[str, ...], as_json: bool
) -> None:
    """List the suite's cases (or requirements) for this edition.

    \b
    Examples:
      llmconform list -k stream
      llmconform list --requirements --profile chat-streaming
      llmconform list --json | jq '.cases[].id'
    """
    catalog = packaged_catalog()
    known = select.known_profiles(catalog)
    for name in profiles:
        if name not in known:
            fail(f"unknown profile {name!r}; {did_you_mean(name, known, 'profile')}", EXIT_USAGE)
    cases = list(catalog.cases.values())
    if keyword and keyword.strip():
        try:
            matches = select.keyword_matcher(keyword, catalog)
            cases = [c for c in cases if matches(c)]
        except select.FilterError as exc:
            fail(f"{exc}; use case ids joined with and/or/not, e.g. 'stream and not n_choices'")
    wanted = set(profiles)
    if wanted:
        cases = [c for c in cases if select.case_profiles(c, catalog) & wanted]
    if show_requirements:
        checked = {r for c in cases for ref in c.checks for r in CHECKS[ref.name].requirements}
        reqs = [
            r
            for r in catalog.requirements.values()
            if (not wanted or wanted & set(r.profiles))
            and (not (keyword and keyword.strip()) or r.id in checked)
        ]
        _print_requirements(reqs, as_json)
        return
    _print_cases(cases, catalog, as_json)
    if not as_json:
        click.echo(
            f"\n{len(cases)} of {len(catalog.cases)} cases, "
            f"{len(catalog.requirements)} requirements, "
            f"edition {EDITION} ({catalog.digest()[:19]})"
        )


def _print_cases(cases: list[Case], catalog: Catalog, as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "api": c.api,
                "source": c.source,
                "requires": list(c.requires),
                "profiles": sorted(select.case_profiles(c, catalog)),
            }
            for c in cases
        ]
        click.echo(json.dumps({"edition": EDITION, "cases": rows}, indent=2))
        return
    # The widest id sets the column, so a long id never pushes its title out of line.
    width = max((len(c.id) for c in cases), default=0)
    for case in cases:
        needs = f"  [needs: {', '.join(case.requires)}]" if case.requires else ""
        click.echo(f"{case.id:<{width}}  {case.title}{needs}")


def _print_requirements(reqs: list[Requirement], as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "id": r.id,
                "level": r.level.value,
                "area": r.area,
                "statement": r.statement,
                "profiles": list(r.profiles),
            }
            for r in reqs
        ]
        click.echo(json.dumps({"edition": EDITION, "requirements": rows}, indent=2))
        return
    id_width = max((len(r.id) for r in reqs), default=0)
    area_width = max((len(r.area) for r in reqs), default=0)
    for req in reqs:
        click.echo(
            f"{req.id:<{id_width}}  {req.level.value:<6} {req.area:<{area_width}}  {req.statement}"
        )


@click.command("serve-reference", short_help="Serve the reference implementation over HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--api-key-env",
    default=None,
    metavar="NAME",
    help="Require the key in this environment variable (default: no auth).",
)
def serve_reference_command(host: str, port: int, api_key_env: str | None) -> None:
    """Serve the reference implementation (base URL http://HOST:PORT/v1)."""
    from llmconform.reference.app import create_app
    from llmconform.reference.server import serve

    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            fail(f"--api-key-env {api_key_env}: that environment variable is not set", EXIT_USAGE)
    err_console.print(f"reference server on http://{host}:{port}/v1 (Ctrl-C to stop)")
    serve(create_app(api_key=api_key), host, port)
