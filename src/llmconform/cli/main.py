"""The `llmconform` command line.

Exit codes (decided in `llmconform.errors.ExitCode`): 0 conformant (warnings allowed),
1 conformance failures, 2 usage error, 3 could not run or complete, 5 nothing was tested.

Each command lives in its own module, imported only when that command runs: `--version`,
`--help` and shell completion load click and nothing of the suite.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from llmconform import EDITION, __version__

# name -> (module under llmconform.cli, attribute, short help shown by --help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("run", "run_command", "Run the suite against a target and write reports."),
    "list": ("listing", "list_command", "List the suite's cases (or requirements)."),
    "explain": ("explain", "explain_command", "Explain what a requirement or a case checks."),
    "plan": ("plan", "plan_command", "Count the requests and tokens a run would spend."),
    "validate": (
        "validate",
        "validate_command",
        "Check a saved response body or event stream offline.",
    ),
    "report": ("report", "report_command", "Re-render a saved JSON report in other formats."),
    "verify": ("evidence", "verify_command", "Recompute a report's verdicts from its cassette."),
    "sign": ("evidence", "sign_command", "Sign a report with Ed25519 (REPORT.sig)."),
    "keygen": ("evidence", "keygen_command", "Create an Ed25519 key pair for signing reports."),
    "init": ("run", "init_command", "Write a commented starter llmconform.yaml."),
    "serve-reference": (
        "listing",
        "serve_reference_command",
        "Serve the reference implementation over HTTP.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; --help reads the table above."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in the order of the table."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module now (only this one)."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"llmconform.cli.{entry[0]}")
        command: Any = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table, without importing any command."""
        rows = [(name, entry[2]) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
