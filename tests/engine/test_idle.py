"""engine.idle: spare work runs only once the run has been quiet, and never starves it."""

from __future__ import annotations

import asyncio

from llmconform.engine.idle import Quiet, work_when_quiet


def test_work_waits_for_quiet_and_stops_when_there_is_none() -> None:
    async def scenario() -> tuple[list[float], int]:
        quiet = Quiet()
        loop = asyncio.get_running_loop()
        start = loop.time()
        done: list[float] = []
        items = [1, 2, 3]

        def step() -> bool:
            if not items:
                return False
            items.pop()
            done.append(loop.time() - start)
            return True

        async def busy() -> None:  # something happens every millisecond for 30 ms
            for _ in range(30):
                quiet.mark()
                await asyncio.sleep(0.001)

        worker = asyncio.ensure_future(work_when_quiet(step, quiet, quiet_s=0.005))
        await busy()
        await asyncio.sleep(0.05)
        worker.cancel()
        return done, len(items)

    done, left = asyncio.run(scenario())
    assert left == 0 and len(done) == 3  # all the work got done, once the run was quiet
    assert min(done) >= 0.03  # and none of it while the run was busy


def test_a_worker_with_nothing_to_do_costs_nothing_but_its_timer() -> None:
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

    assert 3 <= asyncio.run(scenario()) <= 6  # one look per quiet period, no spinning
