"""engine.idle: spare work runs only once the run has been quiet, and never starves it."""

from __future__ import annotations

import asyncio

from llmconform.transport.idle import Quiet, work_when_quiet


def test_work_waits_for_quiet_and_stops_when_there_is_none() -> None:
    async def scenario() -> tuple[list[bool], int]:
        quiet = Quiet()
        busy = True
        seen_busy: list[bool] = []  # for each item of work: was the run still busy?
        items = [1, 2, 3]

        def step() -> bool:
            if not items:
                return False
            items.pop()
            seen_busy.append(busy)
            return True

        worker = asyncio.ensure_future(work_when_quiet(step, quiet, quiet_s=0.05))
        for _ in range(150):  # a mark every millisecond for longer than the quiet period
            quiet.mark()
            await asyncio.sleep(0.001)
        busy = False
        while items:  # bounded by the worker's own progress; fails the test if it never runs
            await asyncio.wait_for(asyncio.sleep(0.01), timeout=1)
            if quiet.quiet_for() > 5:
                break
        worker.cancel()
        return seen_busy, len(items)

    seen_busy, left = asyncio.run(scenario())
    assert left == 0 and len(seen_busy) == 3  # all the work got done once the run was quiet
    assert not any(seen_busy)  # and none of it while the run was busy


def test_a_worker_with_nothing_to_do_only_looks_once_per_quiet_period() -> None:
    async def scenario() -> int:
        calls = 0

        def step() -> bool:
            nonlocal calls
            calls += 1
            return False

        worker = asyncio.ensure_future(work_when_quiet(step, Quiet(), quiet_s=0.01))
        await asyncio.sleep(0.055)
        worker.cancel()
        return calls

    # No spinning: at most one look per 10 ms (a slow machine only looks less often).
    assert 1 <= asyncio.run(scenario()) <= 6
