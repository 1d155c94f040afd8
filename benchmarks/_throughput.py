"""Figure 1: a run costs about what the target costs.

Every request to the target is delayed by a known amount (slept in the target before it
answers), so the target's own cost is known exactly: ideal wall = requests x delay ÷
concurrency. Measured against that, and against a minimal hand-written client sending the
very same requests (recorded by the target) with the same concurrency.
"""

from __future__ import annotations

import asyncio
import io
import math
import statistics
import time

import httpx
from _common import KEY, MODEL, Row, Size, chat_request
from _servers import Recorded, ServerProcess, ServerSpec
from rich.console import Console

from llmconform.engine.plan import ALL_CAPABILITIES, API_FAMILIES
from llmconform.model import CaseWork, Connection, Limits
from llmconform.run.runner import execute_run
from llmconform.settings import RunSettings
from llmconform.transport.executor import execute
from llmconform.transport.targets import OpenTarget

GOAL = 1.10


async def _replay(log: list[Recorded], base_url: str, concurrency: int) -> None:
    """The baseline: asyncio + httpx.AsyncClient + a semaphore, nothing else."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60, trust_env=False) as client:

        async def one(r: Recorded) -> None:
            async with gate:
                response = await client.request(
                    r.method, base_url + r.path, headers=list(r.headers), content=r.body or None
                )
                await response.aread()

        await asyncio.gather(*(one(r) for r in log))


def hand_client_wall(log: list[Recorded], base_url: str, concurrency: int) -> float:
    """Seconds the hand-written client takes to send `log` at `concurrency`."""
    t0 = time.perf_counter()
    asyncio.run(_replay(log, base_url, concurrency))
    return time.perf_counter() - t0


def floor_s(requests: int, delay: float, concurrency: int) -> float:
    """The least wall time any client can take: at most `concurrency` requests are in flight
    and each holds its slot for at least `delay`, so some slot serves ⌈n/c⌉ of them in turn.
    Above the ideal (n x delay ÷ c) whenever c does not divide n."""
    return math.ceil(requests / concurrency) * delay


def served_s(log: list[Recorded]) -> float:
    """The target's own time over all requests: arrival to its last body message, summed
    (the injected delay plus the target's parsing, generating and queueing)."""
    return sum(
        ((r.t_sends_ns[-1] if r.t_sends_ns else r.t_arrival_ns) - r.t_arrival_ns) / 1e9 for r in log
    )


def executor_rows(size: Size) -> list[Row]:
    """The engine alone: N identical non-stream requests, each delayed by the target.

    The target is a canned answer (no CPU to speak of), so what exceeds the delays is the
    client's cost plus loopback HTTP, which the hand-written client pays as well.
    """
    rows: list[Row] = []
    delay, n = size.exec_delay_s, size.exec_requests
    spec = ServerSpec(kind="fixed", request_delay_s=delay, record=True)
    with ServerProcess(spec) as server:
        conn = Connection(server.url + "/v1")
        request = chat_request()
        execute([CaseWork("warm-up", (request,))], conn, Limits(), 1)
        server.clear()
        for concurrency in (1, 4, 16):
            work = [CaseWork(f"w{i}", (request,)) for i in range(n)]
            t0 = time.perf_counter()
            captures = execute(work, conn, Limits(), concurrency)
            wall = time.perf_counter() - t0
            assert all(c[0].status == 200 for c in captures.values()), "a request failed"
            log = server.requests()
            server.clear()
            hand = hand_client_wall(log, server.url, concurrency)
            server.clear()
            ideal = n * delay / concurrency
            ratio = wall / ideal
            rows.append(
                Row(
                    f"1a executor wall ÷ ideal, c={concurrency} ({n}x{delay * 1e3:.0f} ms)",
                    f"≤ {GOAL:.2f}",
                    f"{ratio:.3f} ({wall:.3f} s vs {ideal:.2f} s; hand client {hand / ideal:.3f})",
                    ratio <= GOAL,
                )
            )
            rows.append(
                Row(
                    f"1a executor ÷ hand-written httpx client, c={concurrency}",
                    f"≤ {GOAL:.2f}",
                    f"{wall / hand:.3f} ({(wall - hand) * 1e3:+.0f} ms)",
                    wall / hand <= GOAL,
                )
            )
    return rows


def run_rows(size: Size) -> list[Row]:
    """The whole `llmconform run` path (pytest, catalog, plan, executor, checks, report)."""
    rows: list[Row] = []
    delay = size.run_delay_s
    spec = ServerSpec(api_key=KEY, request_delay_s=delay, record=True)
    with ServerProcess(spec) as server:
        target = OpenTarget(
            "bench", server.url + "/v1", KEY, "http", MODEL, frozenset(ALL_CAPABILITIES)
        )
        # A first run in a process pays for imports (pytest, the SDKs of the sdk.* cases) and
        # for building each schema's validators: measured apart, on the whole suite, so the
        # figures below compare like with like. A real `llmconform run` process pays it once.
        warm = RunSettings(
            target=server.url + "/v1",
            model=MODEL,
            api_key=KEY,
            concurrency=16,
            capabilities=frozenset(ALL_CAPABILITIES),
            apis=frozenset(API_FAMILIES),
            requests=size.run_samples,
            warmup=1,
            formats=(),
        )
        t0 = time.perf_counter()
        execute_run(warm, target, Console(file=io.StringIO()))
        cold = time.perf_counter() - t0
        warm_requests = len(server.requests())
        rows.append(
            Row(
                "1b first run in the process (cold: imports, validators), c=16",
                "(info)",
                f"{cold:.2f} s for {warm_requests} requests x {delay * 1e3:.0f} ms "
                f"(ideal {warm_requests * delay / 16:.2f} s)",
            )
        )
        for concurrency in size.run_concurrency:
            request = RunSettings(
                target=server.url + "/v1",
                model=MODEL,
                api_key=KEY,
                concurrency=concurrency,
                capabilities=frozenset(ALL_CAPABILITIES),
                apis=frozenset(API_FAMILIES),
                requests=size.run_samples,
                warmup=1,
                formats=(),
            )
            walls: list[float] = []
            hands: list[float] = []
            cpus: list[float] = []
            # Short runs are repeated (median): one run at c=16 is under a second, and a
            # single scheduler hiccup moves its ratio by 0.05. About 3 s of runs in all.
            wanted = 1
            while len(walls) < wanted:
                server.clear()
                cpu0, t0 = time.process_time(), time.perf_counter()
                report = execute_run(request, target, Console(file=io.StringIO()))
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - cpu0)
                log = server.requests()
                served = served_s(log)
                server.clear()
                hands.append(hand_client_wall(log, server.url, concurrency))
                ideal = len(log) * delay / concurrency
                wanted = max(1, min(size.run_repeats, round(3.0 / ideal)))
            wall, hand, cpu = (statistics.median(v) for v in (walls, hands, cpus))
            vs_hand = statistics.median(w / h for w, h in zip(walls, hands, strict=True))
            floor = floor_s(len(log), delay, concurrency)
            runs = f"median of {len(walls)}; " if len(walls) > 1 else ""
            rows.append(
                Row(
                    f"1b `llmconform run` wall ÷ ideal, c={concurrency} "
                    f"({len(log)} req x {delay * 1e3:.0f} ms, {len(report.cases)} cases)",
                    f"≤ {GOAL:.2f}",
                    f"{wall / ideal:.3f} ({runs}{wall:.2f} s vs {ideal:.2f} s)",
                    wall / ideal <= GOAL,
                )
            )
            rows.append(
                Row(
                    f"1b `llmconform run` ÷ hand-written httpx client, c={concurrency}",
                    f"≤ {GOAL:.2f}",
                    f"{vs_hand:.3f} (run {wall:.2f} s, hand {hand:.2f} s = "
                    f"{hand / ideal:.3f}x ideal; run - hand {wall - hand:+.2f} s; "
                    f"run CPU {cpu:.2f} s)",
                    vs_hand <= GOAL,
                )
            )
            rows.append(
                Row(
                    f"1b   what no client can beat, c={concurrency}",
                    "(info)",
                    f"floor ⌈n/c⌉ x delay {floor:.2f} s = {floor / ideal:.3f}x ideal; the "
                    f"target's own time (arrival to last byte) ÷ c {served / concurrency:.2f} s "
                    f"= {served / concurrency / ideal:.3f}x ideal; run ÷ floor {wall / floor:.3f}",
                )
            )
    return rows
