"""Issue 15: a run that tested nothing never reads as conformant, and --strict is one
judgement everywhere (verdict, exit code, JUnit, Markdown, HTML, badges, shields)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from llmconform.cli.main import main
from llmconform.engine.aggregate import build_report, exit_code
from llmconform.errors import ExitCode
from llmconform.model import (
    CaseResult,
    Level,
    Outcome,
    ProfileVerdict,
    Requirement,
    RunInfo,
    RunReport,
)
from llmconform.reference.app import create_app
from llmconform.reference.server import serve_in_thread
from llmconform.report import render_junit, render_markdown
from llmconform.report.badge import render_shields
from llmconform.report.html_report import render_html

from broken_servers import BrokenApp, Fault
from support import TEST_KEY, run_against


def test_responses_and_anthropic_without_capabilities_is_not_tested(tmp_path: Path) -> None:
    server = serve_in_thread(create_app(api_key=TEST_KEY))
    try:
        result = CliRunner().invoke(
            main,
            [
                "run",
                "--target",
                server.url + "/v1",
                "--api",
                "responses",
                "--api",
                "anthropic",
                "--out",
                str(tmp_path),
            ],
            env={"LLMCONFORM_API_KEY": TEST_KEY},
            catch_exceptions=False,
        )
    finally:
        server.stop()
    assert result.exit_code == ExitCode.NOTHING_TESTED, result.output
    assert "NOT TESTED" in result.output
    assert "CONFORMANT" not in result.output
    assert "add --capability responses" in result.output
    assert "add --capability anthropic" in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "skip"
    assert all(p["verdict"] != "certified" for p in report["profiles"])
    junit = (tmp_path / "junit.xml").read_text()
    assert 'type="not-tested"' in junit


def _only_skipped_report(strict: bool = False) -> RunReport:
    req = Requirement("X-001", Level.MUST, "x", "x", profiles=("p",))
    case = CaseResult("c", "c", "responses", Outcome.SKIP, reason="needs capability responses")
    info = RunInfo("0", "e", "t", "m", "now", options={"strict": strict})
    return build_report(
        info, [case], {"X-001": req}, case_requires={"c": ("responses",)}, strict=strict
    )


def test_nothing_tested_renders_grey_everywhere() -> None:
    report = _only_skipped_report()
    assert report.verdict is Outcome.SKIP
    assert exit_code(report) is ExitCode.NOTHING_TESTED
    assert [p.verdict for p in report.profiles] == [ProfileVerdict.NOT_TESTED]
    assert any("add --capability responses" in n for n in report.notes)
    shields = json.loads(render_shields(report)["shields.json"])
    assert (shields["message"], shields["color"]) == ("not tested", "lightgrey")
    assert render_markdown(report).startswith("# llmconform: NOT TESTED")
    assert 'class="verdict off"' in render_html(report)
    assert 'type="not-tested"' in render_junit(report)


def _bump_embedding_total(value: Any) -> Any:
    """A wrong usage.total_tokens on embedding lists: only a SHOULD is violated."""
    data = value.get("data") if isinstance(value, dict) else None
    if isinstance(data, list) and data and "embedding" in data[0]:
        value["usage"]["total_tokens"] += 1
    return value


WARN_ONLY = Fault("embedding_usage_total_wrong", body=_bump_embedding_total)


def test_strict_turns_a_should_warning_into_a_failure_everywhere() -> None:
    lax = run_against(BrokenApp(WARN_ONLY, TEST_KEY), keyword="embeddings.single")
    assert lax.verdict is Outcome.WARN  # the fault is only a SHOULD
    assert exit_code(lax) is ExitCode.OK

    report = run_against(BrokenApp(WARN_ONLY, TEST_KEY), keyword="embeddings.single", strict=True)
    assert report.verdict is Outcome.FAIL
    assert exit_code(report) is ExitCode.FAILURES
    (case,) = [c for c in report.cases if c.case_id == "embeddings.single"]
    assert case.outcome is Outcome.FAIL
    assert any("--strict" in n for n in report.notes)
    junit = render_junit(report)
    assert "<failure" in junit and '"strict" value="true"' in junit
    assert render_markdown(report).startswith("# llmconform: NOT CONFORMANT")
    assert 'class="verdict bad"' in render_html(report)
    shields = json.loads(render_shields(report)["shields.json"])
    assert shields["color"] == "red"
