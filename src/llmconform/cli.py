"""The `llmconform` command line: run, list, serve-reference.

Exit codes: 0 conformant (warnings allowed), 1 conformance failures, 2 usage error,
3 could not run or complete (target unreachable, interrupted, harness error).
"""

from __future__ import annotations

import os

import click

from llmconform import EDITION, __version__, report_cli
from llmconform.cli_common import (
    EXIT_USAGE,
    err_console,
    fail,
    packaged_catalog,
)

_fail = fail


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="llmconform", message=f"%(prog)s %(version)s (edition {EDITION})"
)
def main() -> None:
    """Conformance tests and certification for OpenAI-compatible LLM servers.

    \b
    Examples:
      llmconform run                                  # against the embedded reference server
      llmconform run --target http://127.0.0.1:8000/v1 --model my-model
      LLMCONFORM_API_KEY=... llmconform run --target https://api.example.com/v1
      llmconform list
    """


@main.command("list", short_help="List the suite's cases (or requirements).")
@click.option(
    "--requirements", "show_requirements", is_flag=True, help="List requirements instead of cases."
)
def list_(show_requirements: bool) -> None:
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


@main.command("serve-reference", short_help="Serve the reference implementation over HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--api-key-env",
    default=None,
    metavar="NAME",
    help="Require the key in this environment variable (default: no auth).",
)
def serve_reference(host: str, port: int, api_key_env: str | None) -> None:
    """Serve the reference implementation (base URL http://HOST:PORT/v1)."""
    from llmconform.reference.app import create_app
    from llmconform.reference.server import serve

    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            _fail(f"--api-key-env {api_key_env}: that environment variable is not set", EXIT_USAGE)
    err_console.print(f"reference server on http://{host}:{port}/v1 (Ctrl-C to stop)")
    serve(create_app(api_key=api_key), host, port)


def _register_run_commands() -> None:
    from llmconform.run_cli import init_command, run_command

    main.add_command(run_command)
    main.add_command(init_command)


_register_run_commands()


def _register_evidence_commands() -> None:
    from llmconform.evidence_cli import keygen_command, sign_command, verify_command

    for command in (verify_command, sign_command, keygen_command):
        main.add_command(command)


_register_evidence_commands()
main.add_command(report_cli.report_command)


def _register_tool_commands() -> None:
    from llmconform.explain_cli import explain_command
    from llmconform.plan_cli import plan_command
    from llmconform.validate_cli import validate_command

    for command in (validate_command, explain_command, plan_command):
        main.add_command(command)


_register_tool_commands()
