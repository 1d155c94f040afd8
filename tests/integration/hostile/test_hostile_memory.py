"""Memory stays bounded: a 100 MB SSE line and a 2 GiB gzip bomb, exchanged and judged.

Measured in a fresh interpreter (peak RSS is per process and only grows), with the default
32 MiB body cap; the hostile server runs in the test process so it does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from server import HostileServer

BUDGET_MB = 200

PROBE = """
import json, resource, sys, time
from llmconform.catalog.loader import load_catalog
from llmconform.checks import known_checks
from llmconform.engine.evaluate import evaluate
from llmconform.transport.executor import execute
from llmconform.model import CaseWork, Connection, Limits
from llmconform.model import Request

def rss_mb():
    # This process's own high-water mark. Not ru_maxrss: Linux carries the parent's peak
    # (a large pytest process) across fork and exec into it, hiding any growth here.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

catalog = load_catalog(known_checks=known_checks())
url, case_id, stream = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
request = Request("POST", "/chat/completions", json=body, stream=stream)
base = rss_mb()
started = time.monotonic()
captures = execute([CaseWork("c", (request,))], Connection(url), Limits(timeout_s=20), 1)["c"]
result = evaluate(catalog.cases[case_id], captures, catalog.requirements, "m")
print(json.dumps({
    "growth_mb": rss_mb() - base,
    "seconds": time.monotonic() - started,
    "truncated": captures[0].truncated,
    "bytes": len(captures[0].body),
    "outcome": result.outcome.value,
    "http003": [f.message for f in result.findings if f.requirement == "HTTP-003"],
}))
"""


@pytest.mark.parametrize(
    ("behaviour", "case_id", "stream"),
    [("huge_line", "stream.basic", True), ("gzip_bomb", "chat.basic", False)],
)
def test_peak_memory_growth_stays_under_budget(
    hostile: HostileServer, behaviour: str, case_id: str, stream: bool
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, hostile.base(behaviour), case_id, "1" if stream else "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    probe = json.loads(out.stdout)
    assert probe["truncated"] and probe["bytes"] == 32 * 1024 * 1024
    assert probe["outcome"] == "fail"
    assert probe["http003"] and "more than 32 MiB" in probe["http003"][0]
    assert probe["growth_mb"] < BUDGET_MB, probe
    assert probe["seconds"] < 15, probe
