"""Process-level guards around the in-process pytest of `llmconform run`.

Separate from the runner because they touch process state (environment, signal handlers),
each restored on the way out: plugin autoload off (a user's pytest plugins cannot interfere),
SIGTERM treated like Ctrl-C (a killed run still writes its report), an interrupt while the
run's files are written deferred until they are (a second abandons them), and an interrupt
once the report is on disk quits at once with the run's exit code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any


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


class QuitOnInterrupt:
    """Once armed, Ctrl-C or SIGTERM ends the process at once with a chosen exit code.

    For the moments when unwinding through a KeyboardInterrupt would do harm or say the
    wrong thing: while a partial report is written (half a file), or after the report is on
    disk while the target shuts down (click would print "Aborted!" and exit 1, the code for
    conformance failures). The previous handlers come back on exit. A no-op off the main
    thread, where signal handlers cannot be set.
    """

    def __init__(self) -> None:
        self._previous: tuple[Any, Any] | None = None

    def __enter__(self) -> QuitOnInterrupt:
        return self

    def arm(self, code: int, note: str = "") -> None:
        """From now on an interrupt prints `note` (if any) to stderr and exits with `code`."""
        if threading.current_thread() is not threading.main_thread():
            return

        def quit_now(signum: int, frame: object) -> None:
            if note:
                os.write(2, f"\n{note}\n".encode(errors="replace"))
            os._exit(code)

        previous = signal.signal(signal.SIGINT, quit_now), signal.signal(signal.SIGTERM, quit_now)
        if self._previous is None:
            self._previous = previous

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous[0])
            signal.signal(signal.SIGTERM, self._previous[1])
            self._previous = None


class DeferredInterrupt:
    """While the run's files are written (cassette, reports, baseline): the first Ctrl-C or
    SIGTERM is remembered and the writing goes on, so the report always reaches the disk
    (the run then exits 3); a second raises KeyboardInterrupt, abandoning the writing, and
    every writer removes its temporary file on the way out.

    `start()` installs the handlers (a no-op off the main thread), `stop()` restores the
    previous ones; `interrupted` tells whether an interrupt arrived in between.
    """

    def __init__(self) -> None:
        self.interrupted = False
        self._previous: tuple[Any, Any] | None = None

    def start(self) -> None:
        """From now on, defer the first interrupt and abandon the writing on the second."""
        if self._previous is not None or threading.current_thread() is not threading.main_thread():
            return

        def defer(signum: int, frame: object) -> None:
            if self.interrupted:
                raise KeyboardInterrupt
            self.interrupted = True
            os.write(
                2, b"\ninterrupted: writing the report first (interrupt again to abandon it)\n"
            )

        self._previous = signal.signal(signal.SIGINT, defer), signal.signal(signal.SIGTERM, defer)

    def stop(self) -> None:
        """Restore the handlers `start()` replaced."""
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous[0])
            signal.signal(signal.SIGTERM, self._previous[1])
            self._previous = None
