"""A vendor's own pytest run with the plugin gives the same outcomes as `llmconform run`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmconform.engine.plan import CORE_CAPABILITIES
from llmconform.model import Outcome, RunReport
from llmconform.reference.app import create_app
from llmconform.reference.server import RunningServer, serve_in_thread

from broken_servers import no_done_app
from support import TEST_KEY, RecordPaths, run_against

# pytest has no warn/unsupported: they map onto its own outcomes.
PYTEST_OUTCOME = {
    Outcome.PASS: "passed",
    Outcome.WARN: "passed",
    Outcome.FAIL: "failed",
    Outcome.ERROR: "failed",
    Outcome.SKIP: "skipped",
    Outcome.UNSUPPORTED: "skipped",
}


def pytest_outcomes(junit: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            out[case.get("name", "")] = "failed"
        elif case.find("skipped") is not None:
            out[case.get("name", "")] = "skipped"
        else:
            out[case.get("name", "")] = "passed"
    return out


def run_plugin(url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, str]]:
    """Run plain pytest in an empty folder with only the plugin's options."""
    junit = tmp_path / "pytest-junit.xml"
    env = {**os.environ, "LLMCONFORM_API_KEY": TEST_KEY}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "llmconform.pytest_plugin",
            "--llmconform-target",
            url,
            f"--junitxml={junit}",
            "-q",
            *extra,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert TEST_KEY not in proc.stdout + proc.stderr
    return proc.returncode, pytest_outcomes(junit)


@pytest.fixture
def served() -> Iterator[RunningServer]:
    server = serve_in_thread(create_app(api_key=TEST_KEY))
    yield server
    server.stop()


@pytest.fixture
def served_broken() -> Iterator[RunningServer]:
    server = serve_in_thread(no_done_app)
    yield server
    server.stop()


def test_plugin_outcomes_match_llmconform_run(tmp_path: Path, served: RunningServer) -> None:
    code, via_pytest = run_plugin(served.url + "/v1", tmp_path)
    report = run_against(
        create_app(api_key=TEST_KEY),
        capabilities=CORE_CAPABILITIES,
        apis=frozenset({"openai"}),
        include_sdk=True,
    )
    via_run = {c.case_id: PYTEST_OUTCOME[c.outcome] for c in report.cases}
    assert code == 0
    assert via_pytest == via_run
    assert "passed" in via_pytest.values() and "skipped" in via_pytest.values()


def test_plugin_fails_the_session_on_a_broken_server(
    tmp_path: Path, served_broken: RunningServer
) -> None:
    code, via_pytest = run_plugin(served_broken.url + "/v1", tmp_path, "-k", "stream")
    assert code == 1
    assert via_pytest["stream.basic"] == "failed"
    assert all("stream" in name for name in via_pytest)


def test_plugin_output_reads_like_any_pytest_run(
    tmp_path: Path, served_broken: RunningServer
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "llmconform.pytest_plugin",
            "--llmconform-target",
            served_broken.url + "/v1",
            "-k",
            "stream.basic or chat.basic",
            "-rA",
        ],
        cwd=tmp_path,
        # Wide enough that the short summary's lines are not cut.
        env={**os.environ, "LLMCONFORM_API_KEY": TEST_KEY, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 1, out
    header = next(line for line in out.splitlines() if line.startswith("collected "))
    total, deselected, selected = (
        int(n) for n in re.findall(r"(\d+) (?:items|deselected|selected)", header)
    )
    assert selected == 2 and total == deselected + selected, header
    assert "::llmconform/" not in out and " ::" not in out
    assert "PASSED llmconform/openai/chat.yaml::chat.basic" in out
    failed = next(line for line in out.splitlines() if line.startswith("FAILED "))
    assert failed.startswith(
        "FAILED llmconform/openai/stream.yaml::stream.basic - STREAM-003 (MUST) "
    )
    assert "[DONE]" in failed
    # The progress lines start with the file's node id, not a stray ". ".
    assert re.search(r"^llmconform/openai/stream\.yaml F", out, re.MULTILINE), out
    assert not re.search(r"^\. ", out, re.MULTILINE), out


def test_plugin_is_inert_without_a_target(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "llmconform.pytest_plugin"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0
    assert "1 passed" in proc.stdout


def test_profile_markers_select_cases(tmp_path: Path, served: RunningServer) -> None:
    code, via_pytest = run_plugin(
        served.url + "/v1", tmp_path, "-m", "llmconform_profile(name='chat-streaming')"
    )
    assert code == 0
    # Every case reporting on a chat-streaming requirement, and nothing else.
    assert "stream.basic" in via_pytest and "chat.basic" not in via_pytest
    assert "error.missing_model" not in via_pytest and "models.list" not in via_pytest


def test_plugin_under_xdist_gives_the_same_outcomes_and_requests(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    recorder = RecordPaths(no_done_app)
    paths = recorder.paths
    server = serve_in_thread(recorder)
    try:
        url = server.url + "/v1"
        code_serial, serial = run_plugin(url, tmp_path, "-k", "stream or chat")
        sent_serial = sorted(paths)
        paths.clear()
        (tmp_path / "pytest-junit.xml").unlink()
        code_xdist, parallel = run_plugin(url, tmp_path, "-k", "stream or chat", "-n", "2")
    finally:
        server.stop()
    assert code_serial == code_xdist == 1
    assert parallel == serial
    # Each worker exchanges only the cases it runs: nothing is sent twice. (Each process
    # looks the model up once: GET /models is the only request that may repeat.)
    assert [p for p in sorted(paths) if p != "/v1/models"] == [
        p for p in sent_serial if p != "/v1/models"
    ]
    assert len(sent_serial) > 20


def test_the_exchange_phase_runs_with_the_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    # A full collection of an unfrozen heap with the SDKs loaded stalls the event loop for
    # ~130 ms, inside someone's timing; after the run the collector sees everything again.
    import gc

    import llmconform.pytest.conformance_run as plugin
    from llmconform.transport.executor import execute as real

    seen: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> object:
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(plugin, "execute", spy)
    before = gc.get_freeze_count()
    report = run_against(create_app(api_key=TEST_KEY), keyword="chat.basic")
    assert [c.outcome for c in report.cases] == [Outcome.PASS]
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == before == 0


def test_the_embedded_run_registers_the_markers_its_items_carry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Unregistered, every item warned PytestUnknownMarkWarning (unseen: the embedded pytest
    # has no terminal) and made pytest rescan its registered markers.
    import warnings  # the module _pytest.mark.structures warns through

    warned: list[str] = []
    real = warnings.warn

    def spy(message: Any, category: Any = None, *args: Any, **kwargs: Any) -> None:
        warned.append(str(message))
        real(message, category, *args, **kwargs)

    monkeypatch.setattr(warnings, "warn", spy)
    report = run_against(create_app(api_key=TEST_KEY), keyword="chat.basic")
    assert [c.outcome for c in report.cases] == [Outcome.PASS]
    assert not [w for w in warned if "llmconform" in w]


def test_cases_judged_while_others_exchange_get_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Judging in the loop's idle moments is an optimisation only: same results either way.
    import llmconform.pytest.conformance_run as conformance_run

    slow = create_app(api_key=TEST_KEY, ttft_delay_s=0.02)
    early: list[int] = []
    real = conformance_run.ConformanceRun._judge_one

    def counted(self: conformance_run.ConformanceRun) -> bool:
        did = real(self)
        early.append(did)
        return did

    monkeypatch.setattr(conformance_run.ConformanceRun, "_judge_one", counted)
    overlapped = run_against(slow, keyword="stream or chat or error")
    assert sum(early) > 10  # most cases were judged before the exchanges ended
    monkeypatch.setattr(conformance_run.ConformanceRun, "_judge_one", lambda self: False)
    after = run_against(slow, keyword="stream or chat or error")

    def results(report: RunReport) -> list[tuple[str, str, list[str]]]:
        return sorted(
            (c.case_id, c.outcome.value, [f.message for f in c.findings]) for c in report.cases
        )

    assert results(overlapped) == results(after)


def test_nothing_is_judged_early_while_latency_is_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import llmconform.pytest.conformance_run as conformance_run
    from llmconform.transport.executor import execute as real

    seen: list[object] = []

    def spy(*args: Any, **kwargs: Any) -> object:
        seen.append(args[6] if len(args) > 6 else kwargs.get("idle"))
        return real(*args, **kwargs)

    monkeypatch.setattr(conformance_run, "execute", spy)
    run_against(create_app(api_key=TEST_KEY), keyword="chat.basic")
    run_against(
        create_app(api_key=TEST_KEY),
        keyword="perf.stream_latency",
        profiles=("performance",),
        requests=3,
        warmup=1,
    )
    assert seen[0] is not None and seen[1] is None


def test_the_plugin_decides_latency_gates_with_its_default_sample_count(tmp_path: Path) -> None:
    # The plugin used to sample 100 requests (the runner's own default) while p99 needs 299:
    # every gate ended "inconclusive ... (raise --requests)", naming a flag it did not have.
    perf = ("--llmconform-profile", "performance", "-k", "perf.stream_latency")
    code, outcomes = run_plugin("reference", tmp_path, *perf)
    assert (code, outcomes) == (0, {"perf.stream_latency": "passed"})
    # Its own --llmconform-requests reaches the run: too few samples are inconclusive again.
    few = tmp_path / "few"
    few.mkdir()
    code, outcomes = run_plugin("reference", few, *perf, "--llmconform-requests", "50")
    assert outcomes == {"perf.stream_latency": "skipped"}
