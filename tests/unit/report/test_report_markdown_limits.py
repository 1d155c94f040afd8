"""The Markdown error table stops at its row limit, like every other table of the report."""

from __future__ import annotations

from llmconform.engine.aggregate import build_report
from llmconform.model import CaseResult, Outcome, RunInfo
from llmconform.report.markdown import _ROWS_LIMIT, render_markdown


def test_error_table_shows_its_limit_then_says_how_many_more() -> None:
    errors = [
        CaseResult(f"case.e{i:03d}", "t", "openai", Outcome.ERROR, reason=f"broke {i}")
        for i in range(_ROWS_LIMIT + 70)
    ]
    info = RunInfo("0", "e", "http://127.0.0.1/v1", "m", "s", "f", True, {}, ())
    text = render_markdown(build_report(info, errors, {}))
    rows = [line for line in text.splitlines() if line.startswith("| case.e")]
    assert len(rows) == _ROWS_LIMIT
    assert "… and 70 more" in text
