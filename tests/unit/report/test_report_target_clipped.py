"""A target may answer with a 3 MB model id: every rendering clips the target label and the
model id (it was printed whole to the terminal and made a 12 MB junit.xml)."""

from __future__ import annotations

import io

from rich.console import Console

from llmconform.engine.aggregate import build_report
from llmconform.model import CaseResult, Finding, Level, Outcome, RunInfo, RunReport
from llmconform.report import render_files, render_terminal

HUGE = "m" * 3_000_000


def _report() -> RunReport:
    finding = Finding("HTTP-001", Level.MUST, "status", "bad", Outcome.FAIL)
    case = CaseResult("chat.basic", "t", "openai", Outcome.FAIL, findings=(finding,))
    info = RunInfo("0", "e", "http://127.0.0.1/v1/" + HUGE, HUGE, "s", "f", True, {}, ())
    return build_report(info, [case], {})


def test_every_rendering_but_json_clips_the_target_strings() -> None:
    report = _report()
    files = render_files(report, ["junit", "markdown", "html", "badge", "shields"])
    for fmt, rendered in files.items():
        for name, text in rendered.items():
            assert len(text) < 100_000, (fmt, name, len(text))
    out = io.StringIO()
    render_terminal(report, Console(file=out, width=120), verbose=True)
    assert len(out.getvalue()) < 20_000
