"""What every command shares: exit codes and the one-line error."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_RUN = 3

err_console = Console(stderr=True)


def fail(message: str, code: int) -> NoReturn:
    """One clear line on stderr, then exit with `code`."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)
