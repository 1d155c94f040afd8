"""Figure 1c: would `--workers N` (pytest-xdist processes) make a run faster?

The suite is run as a vendor would, `pytest -p llmconform.pytest_plugin --llmconform-target`,
in a fresh process each time (so start-up is included, as it would be for `--workers`), once
serially (the plugin's own concurrency) and under `-n 2` / `-n 4`. Under xdist each worker
exchanges the cases it is handed, one at a time (see pytest_items.CaseItem.setup), so the
target must receive the same requests, and the wall time says whether workers pay off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from _common import KEY, Row, Size
from _servers import ServerProcess, ServerSpec


def _plugin_run(url: str, folder: str, workers: int, concurrency: int) -> float:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "llmconform.pytest_plugin",
        "--llmconform-target",
        url,
        "--llmconform-concurrency",
        str(concurrency),
        "-n",
        str(workers),
    ]
    env = {**os.environ, "LLMCONFORM_API_KEY": KEY}
    t0 = time.perf_counter()
    subprocess.run(command, cwd=folder, env=env, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - t0


def xdist_rows(size: Size) -> list[Row]:
    """Wall time and requests of the plugin run serially and with 2 and 4 xdist workers."""
    try:
        import xdist  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        return [Row("1c pytest-xdist workers", "(info)", "pytest-xdist not installed: skipped")]
    rows: list[Row] = []
    spec = ServerSpec(api_key=KEY, request_delay_s=size.run_delay_s, record=True)
    with ServerProcess(spec) as server, tempfile.TemporaryDirectory() as folder:
        url = server.url + "/v1"
        _plugin_run(url, folder, 0, 4)  # warm the file system caches
        server.clear()
        base = _plugin_run(url, folder, 0, 4)
        base_requests = len(server.requests())
        rows.append(
            Row(
                "1c plugin run, one process, concurrency 4 (fresh process)",
                "(info)",
                f"{base:.2f} s, {base_requests} requests x {size.run_delay_s * 1e3:.0f} ms",
            )
        )
        for workers in (2, 4):
            server.clear()
            wall = _plugin_run(url, folder, workers, 4)
            sent = len(server.requests())
            rows.append(
                Row(
                    f"1c plugin run under pytest-xdist -n {workers} ÷ one process",
                    "< 1 to pay off",
                    f"{wall / base:.2f} ({wall:.2f} s, {sent} requests: "
                    f"{sent - base_requests:+d}, one model lookup per worker)",
                    None,
                )
            )
    return rows
