"""Process-level guards around the in-process pytest of `llmconform run`.

Separate from the runner because they touch process state (environment, signal handlers),
each restored on the way out: plugin autoload off (a user's pytest plugins cannot interfere),
SIGTERM treated like Ctrl-C (a killed run still writes its report), and a second interrupt
while the partial report is written quits at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def no_plugin_autoload() -> Iterator[None]:
    """Run with PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 (installed pytest11 plugins stay out)."""
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C during the run, so a killed run still writes its report."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def second_interrupt_quits() -> Iterator[None]:
    """While a partial report is written, another Ctrl-C or SIGTERM quits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def quit_now(signum: int, frame: object) -> None:
        os._exit(130)

    old = signal.signal(signal.SIGINT, quit_now), signal.signal(signal.SIGTERM, quit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old[0])
        signal.signal(signal.SIGTERM, old[1])
