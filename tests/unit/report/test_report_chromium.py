"""The HTML report in a real browser (headless Chromium): hostile text never runs.

Skipped when Chromium is not installed (Debian: `apt-get install chromium`). Each test
loads a local file with networking features off; nothing leaves the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from llmconform.model import RunReport
from llmconform.report import render_html
from llmconform.report.html_report import CSP

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# In CI (.ci/run installs it) a missing browser is a failure, not a silent skip.
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must install Chromium (.ci/run does: apt-get install chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"


def _chromium(tmp_path: Path, page: Path, *args: str) -> str:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=1000",  # let any script that could run, run
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert match, dom[:500]
    return match.group(1)


def _hostile(sample: RunReport, hostile: Any, build: Any) -> RunReport:
    report: RunReport = hostile(sample, f"{SCRIPT} and {IMG}")
    cases = list(report.cases)
    cases[1] = replace(cases[1], exchanges=(build.exchange(response_excerpt=SCRIPT + IMG),))
    return replace(report, cases=tuple(cases), profiles=(build.profile(IMG, reason=SCRIPT),))


def test_hostile_findings_render_as_text(
    sample: RunReport, hostile: Any, build: Any, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(_hostile(sample, hostile, build)), encoding="utf-8")
    dom = _chromium(tmp_path, page, "--dump-dom")
    assert _title(dom) == "llmconform report: http://127.0.0.1:8000/v1"
    assert "pwned" not in _title(dom)
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert "&lt;img src=x onerror=\"document.title='pwned'\"&gt;" in dom
    assert "<script" not in dom and "<img" not in dom


def _inject(html: str) -> str:
    """Simulate a renderer bug: raw hostile markup straight into the body."""
    return html.replace("<body>", f"<body>{SCRIPT}{IMG}", 1)


def test_the_security_policy_blocks_what_escaping_missed(sample: RunReport, tmp_path: Path) -> None:
    html = render_html(sample)
    guarded, bare = tmp_path / "guarded.html", tmp_path / "bare.html"
    guarded.write_text(_inject(html), encoding="utf-8")
    assert f'content="{CSP}"' in html
    bare.write_text(_inject(html.replace(f'content="{CSP}"', 'content=""')), encoding="utf-8")
    # Control: without the policy the injected script does run, so the check can fail.
    assert _title(_chromium(tmp_path, bare, "--dump-dom")) == "pwned"
    assert "pwned" not in _title(_chromium(tmp_path, guarded, "--dump-dom"))


def test_page_renders_to_a_screenshot(sample: RunReport, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample), encoding="utf-8")
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_a_failing_run_leads_with_its_failures_and_a_reproduction(tmp_path: Path) -> None:
    """A server whose streams lack `data: [DONE]`: the page opens on that failure."""
    from broken_servers import no_done_app
    from support import TEST_KEY, run_against

    report = run_against(no_done_app, keyword="stream.basic or auth.invalid_key")
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = _chromium(tmp_path, page, "--dump-dom")
    first = dom.index('id="req-')
    # The first failure card comes before every table of the page.
    assert first < dom.index("<h2>Profiles")
    assert dom.index("NOT CONFORMANT") < first
    assert "curl -sS -N -X POST" in dom and "$LLMCONFORM_API_KEY" in dom
    assert TEST_KEY not in dom
    # Where it lands on screen: a copy without the policy, plus a script that only measures.
    measure = "<script>document.title='top=' + Math.round(document.querySelector('.failure')"
    measure += ".getBoundingClientRect().top)</script></body>"
    probe = tmp_path / "probe.html"
    html = render_html(report).replace(f'content="{CSP}"', 'content=""')
    probe.write_text(html.replace("</body>", measure), encoding="utf-8")
    top = int(_title(_chromium(tmp_path, probe, "--dump-dom", "--window-size=1280,1000"))[4:])
    assert 0 < top < 1000  # on the first screen, not ~2,400 px down below the tables
    stream = dom[dom.index('id="req-STREAM-003"') :]
    # The evidence shows the stream's end: its last event carries a finish_reason.
    assert '"finish_reason":"stop"' in stream.split("</article>")[0]


def test_a_latency_run_shows_its_gates_against_their_thresholds(tmp_path: Path) -> None:
    """One real latency run (300 samples, enough to decide p99): the page shows each gate."""
    from llmconform.reference.app import create_app

    from support import TEST_KEY, run_against

    app = create_app(api_key=TEST_KEY)
    thresholds = {"ttft_p99_ms": 2000.0, "tpot_p99_ms": 3.0}
    report = run_against(
        app,
        keyword="perf.stream_latency",
        profiles=("performance",),
        requests=300,
        warmup=0,
        latency=thresholds,
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    dom = _chromium(tmp_path, page, "--dump-dom")
    gates = dom[dom.index("<h2>Latency gates</h2>") :]
    outcomes = {rr.requirement.id: rr.outcome.value for rr in report.requirements}
    for req, metric, limit in (("PERF-001", "TTFT", "2 s"), ("PERF-002", "TPOT", "3 ms")):
        row = gates[gates.index(f"<code>{req}</code> {metric}") :].split("</tr>")[0]
        assert '<td class="num">300</td>' in row  # n
        assert f"p99 ≤ {limit}" in row
        assert f'<span class="pill {outcomes[req]}">' in row  # the engine's decision
        # Its chart draws the samples with the threshold as a line.
        assert f"threshold {limit}</title>" in gates
    assert gates.count('<svg class="latency"') >= 2
