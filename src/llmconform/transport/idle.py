"""Work for the moments the exchange loop has nothing to do (asyncio, no I/O of its own).

Against a target that answers in tens of milliseconds or more, the event loop mostly waits:
judging a finished case then costs no wall time. Done the moment a case finishes, the same
judging competes with the next responses (and, on a shared machine, with the target) for
the CPU, which measured slower. So work only starts after the run has been quiet (no case
started or finished) for a short while, one small item at a time, yielding in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["QUIET_S", "Quiet", "work_when_quiet"]

QUIET_S = 0.002  # a wave of responses arrives within ~1 ms on loopback; 2 ms of calm is past it


class Quiet:
    """When the run last did something; exchanges call `mark`, the idle worker reads it."""

    def __init__(self) -> None:
        self._last = asyncio.get_running_loop().time()

    def mark(self) -> None:
        """Something happened (a case started or finished)."""
        self._last = asyncio.get_running_loop().time()

    def quiet_for(self) -> float:
        """Seconds since the last `mark`."""
        return asyncio.get_running_loop().time() - self._last


async def work_when_quiet(step: Callable[[], bool], quiet: Quiet, quiet_s: float = QUIET_S) -> None:
    """Call `step` (one small item of work; False when there is none left for now) whenever
    the run has been quiet for `quiet_s`; runs until cancelled."""
    while True:
        await asyncio.sleep(quiet_s)
        while quiet.quiet_for() >= quiet_s and step():
            await asyncio.sleep(0)  # let anything that arrived meanwhile go first
