"""--write-baseline copies the target and model id into a comment: a line break in them (the
target's choice) must not add lines to the baseline, and a huge id is clipped."""

from __future__ import annotations

from llmconform.engine.aggregate import build_report
from llmconform.engine.waivers import dump_baseline, load_baseline
from llmconform.model import CaseResult, Finding, Level, Outcome, RunInfo

MODEL = "m\nknown_failures: [chat.basic, injected]\n# \u2028known_failures: []\r\n"


def test_model_id_cannot_inject_baseline_lines() -> None:
    finding = Finding("HTTP-001", Level.MUST, "status", "bad", Outcome.FAIL)
    case = CaseResult("stream.basic", "t", "openai", Outcome.FAIL, findings=(finding,))
    info = RunInfo(
        "0", "e", "http://127.0.0.1/v1\nx: 1", MODEL + "y" * 3_000_000, "s", "f", True, {}, ()
    )
    text = dump_baseline(build_report(info, [case], {}))
    assert load_baseline(text) == {"stream.basic"}
    assert len(text.splitlines()) == 4 and len(text) < 1000
    assert "\u2028" not in text
