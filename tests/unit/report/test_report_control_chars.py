"""Bidi controls, C1 controls and DEL from a target never reach JUnit or report.json raw:
shown as escapes (JUnit, as on the terminal) or JSON \\u escapes (the same string)."""

from __future__ import annotations

import json

from llmconform.engine.aggregate import build_report
from llmconform.model import CaseResult, Finding, Level, Outcome, RunInfo, RunReport
from llmconform.report import dumps
from llmconform.report.junit import render_junit

HOSTILE = "ok\u202etxt.exe \u2066x\u2069 nel\u0085 csi\u009b2J del\x7f end"
RAW = ["\u202e", "\u2066", "\u2069", "\u0085", "\u009b", "\x7f"]


def _report() -> RunReport:
    finding = Finding("HTTP-001", Level.MUST, "status", HOSTILE, Outcome.FAIL)
    case = CaseResult(
        "chat.basic", "t", "openai", Outcome.FAIL, findings=(finding,), reason=HOSTILE
    )
    info = RunInfo("0", "e", "http://127.0.0.1/v1", HOSTILE, "s", "f", True, {}, ())
    return build_report(info, [case], {})


def test_junit_shows_control_and_bidi_characters_as_escapes() -> None:
    text = render_junit(_report())
    assert not [c for c in RAW if c in text]
    assert "\\u202e" in text and "\\x85" in text


def test_report_json_escapes_them_and_reads_back_the_same() -> None:
    text = dumps(_report())
    assert not [c for c in RAW if c in text]
    assert json.loads(text)["cases"][0]["reason"] == HOSTILE
