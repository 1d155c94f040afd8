"""An expired waiver is said in every report a person reads, not only on the terminal's last
line and in JSON: the requirement it named is judged again, and the reader should know why."""

from __future__ import annotations

from dataclasses import replace

from llmconform.model import RunReport
from llmconform.report import render_html, render_markdown

EXPIRED = {
    "requirement": "STREAM-003",
    "reason": "fix in next release",
    "expires": "2026-01-01",
    "status": "expired",
}
APPLIED = {**EXPIRED, "requirement": "CHAT-001", "expires": "2099-01-01", "status": "applied"}


def _with_waivers(report: RunReport, *waivers: dict[str, str]) -> RunReport:
    options = {**report.info.options, "waivers": list(waivers)}
    return replace(report, info=replace(report.info, options=options))


def test_markdown_and_html_say_which_waiver_expired(sample: RunReport) -> None:
    report = _with_waivers(sample, EXPIRED, APPLIED)
    for text in (render_markdown(report), render_html(report)):
        assert "waiver for STREAM-003 expired on 2026-01-01" in text
        assert "waiver for CHAT-001 expired" not in text  # an applied one is no news here


def test_no_expired_waiver_no_line(sample: RunReport) -> None:
    report = _with_waivers(sample, APPLIED)
    for text in (render_markdown(report), render_html(report)):
        assert "expired on" not in text
