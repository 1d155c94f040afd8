"""What every command shares: exit codes, the one-line error, the packaged catalog."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from llmconform.catalog.loader import Catalog, load_catalog
from llmconform.errors import CatalogError, ExitCode, LlmconformError

# The codes themselves are decided in llmconform.errors; these names are what commands use.
EXIT_FAILURES = ExitCode.FAILURES
EXIT_USAGE = ExitCode.USAGE
EXIT_COULD_NOT_RUN = ExitCode.COULD_NOT_RUN
EXIT_NOTHING_TESTED = ExitCode.NOTHING_TESTED
EXIT_INTERRUPTED = ExitCode.INTERRUPTED

err_console = Console(stderr=True)


class PipeConsole(Console):
    """A console whose reader may leave early (`llmconform run | head`).

    rich answers a broken pipe with SystemExit(1), which reads as "conformance failures"
    in CI; this one drops the rest of the output and raises BrokenPipeError, so the command
    can finish with its own exit code (the reports are already written by then).
    """

    def on_broken_pipe(self) -> None:
        """Stop writing; stdout points at /dev/null so the exit-time flush cannot fail."""
        self.quiet = True
        with contextlib.suppress(OSError, ValueError):  # no real stdout (a test capture)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise BrokenPipeError


def plain_output() -> None:
    """`--no-color`: error lines without colour or style (as NO_COLOR=1 does for rich)."""
    global err_console
    err_console = Console(stderr=True, color_system=None)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One clear line on stderr, then exit with `code` (default: a usage error)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def fail_with(error: LlmconformError) -> NoReturn:
    """One line for an error of the tree, with the exit code its class decides."""
    fail(str(error), error.exit_code)


def packaged_catalog() -> Catalog:
    """The catalog shipped with this version; a broken one ends the command (exit 3)."""
    from llmconform.checks import known_checks  # the check registry imports every check

    try:
        return load_catalog(known_checks=known_checks())
    except CatalogError as exc:
        fail(f"the packaged conformance catalog is broken: {exc}", EXIT_COULD_NOT_RUN)
