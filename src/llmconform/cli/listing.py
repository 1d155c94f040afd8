"""`llmconform list` and `llmconform serve-reference`."""

from __future__ import annotations

import os

import click

from llmconform import EDITION
from llmconform.cli.common import EXIT_USAGE, err_console, fail, packaged_catalog


@click.command("list", short_help="List the suite's cases (or requirements).")
@click.option(
    "--requirements", "show_requirements", is_flag=True, help="List requirements instead of cases."
)
def list_command(show_requirements: bool) -> None:
    """List the suite's cases (or requirements) for this edition."""
    catalog = packaged_catalog()
    if show_requirements:
        for req in catalog.requirements.values():
            click.echo(f"{req.id:<18} {req.level.value:<6} {req.area:<8} {req.statement}")
        return
    for case in catalog.cases.values():
        needs = f"  [needs: {', '.join(case.requires)}]" if case.requires else ""
        click.echo(f"{case.id:<34} {case.title}{needs}")
    click.echo(
        f"\n{len(catalog.cases)} cases, {len(catalog.requirements)} requirements, "
        f"edition {EDITION} ({catalog.digest()[:19]})"
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
