"""The Markdown job summary: content, counts, and target text kept inert."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import pytest

from llmconform.model import Outcome, RunReport
from llmconform.report import render_markdown
from llmconform.report.markdown import md


def _section(text: str, title: str) -> list[str]:
    """The lines of the `## title…` section, up to the next heading."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start:end]


def _rows(lines: list[str]) -> list[list[str]]:
    """Table body rows (header and delimiter dropped), split on unescaped pipes."""
    table = [line for line in lines if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]


def test_header_names_target_model_edition_digest_version(sample: RunReport) -> None:
    text = render_markdown(sample)
    assert text.startswith("# llmconform: NOT CONFORMANT\n")
    header = {row[0]: row[1] for row in _rows(text.split("## ")[0].splitlines())}
    assert html.unescape(header["Target"]) == "http://127.0.0.1:8000/v1"
    assert header["Model"] == "test-model"
    assert header["Edition"] == "2026.11"
    assert html.unescape(header["Catalog digest"]) == "sha256:" + "0123456789abcdef" * 4
    assert header["llmconform"] == "0.1.0"
    assert header["Run"].startswith("complete, ")


def test_incomplete_and_missing_digest_are_said(build: Any) -> None:
    text = render_markdown(build.report(complete=False, options={}))
    assert "| Catalog digest | not recorded |" in text
    assert "| Run | INCOMPLETE (the report is partial)," in text


def test_profile_table_uses_plain_words(sample: RunReport) -> None:
    rows = _rows(_section(render_markdown(sample), "Profiles"))
    assert [(html.unescape(r[0]), r[1]) for r in rows] == [
        ("chat-core", "not certified"),
        ("chat-streaming", "**certified**"),
        ("errors-and-auth", "inconclusive"),
        ("embeddings", "not tested"),
    ]
    assert rows[0][2:7] == ["1", "1", "1", "1", "0"]


def test_no_emoji_anywhere(sample: RunReport) -> None:
    for ch in render_markdown(sample):
        assert unicodedata.category(ch) != "So", repr(ch)


def test_failures_warnings_errors_and_skips(sample: RunReport) -> None:
    text = render_markdown(sample)
    failures = _rows(_section(text, "Failures (2)"))
    assert [r[:3] for r in failures] == [["CHAT-STREAM-004", "MUST", "chat.stream.done"]] * 2
    assert html.unescape(failures[0][3]) == ("stream ended without data: [DONE] (at $.events[-1])")
    warnings = _rows(_section(text, "Warnings (1)"))
    assert [r[:3] for r in warnings] == [["CHAT-CREATED-002", "SHOULD", "chat.created.seconds"]]
    errors = _rows(_section(text, "Errors (1)"))
    assert errors == [["chat.tools.roundtrip", "connection refused"]]
    skipped = _section(text, "Skipped (2)")
    assert "2 cases were skipped or unsupported, each with a reason:" in skipped
    assert sorted(html.unescape(r[0]) for r in _rows(skipped)) == [
        "capability 'logprobs' not declared",
        "unsupported: n>1 rejected with 400",
    ]


def test_clean_run_has_no_problem_sections(build: Any) -> None:
    text = render_markdown(build.report((build.case("ok"),), profiles=(build.profile(),)))
    for title in ("## Failures", "## Warnings", "## Errors", "## Skipped"):
        assert title not in text


HOSTILE = (
    "a | b `code` <script>alert(1)</script> <img src=x onerror=alert(1)>\n"
    "# heading\r\n[link](http://evil.invalid) ![img](x) **bold** $x^2$ :rocket: @someone "
    "www.evil.invalid ~~gone~~ &amp; \\| \x1b[2J \u202e"
)


def test_hostile_target_text_is_inert(sample: RunReport, hostile: Any) -> None:
    text = render_markdown(hostile(sample, HOSTILE))
    row = _rows(_section(text, "Failures"))[0]
    assert len(row) == 4  # the pipes in the message did not add cells
    cell = row[3]
    for raw in ("<", ">", "`", "|", "[", "](", "*", "$", "~", "http://", "www.", "\x1b", "\u202e"):
        assert raw not in cell, raw
    assert "\n" not in cell and "\r" not in cell
    # Read back as text (what a renderer shows), it is the message with controls made visible.
    shown = html.unescape(cell)
    assert shown.startswith("a | b `code` <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "# heading [link](http://evil.invalid)" in shown
    assert "&amp; \\| \\x1b[2J \\u202e" in shown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text 1.2-3", "plain text 1.2-3"),
        ("a|b", "a&#124;b"),
        ("`x`", "&#96;x&#96;"),
        ("<b>", "&#60;b&#62;"),
        ("line\nbreak", "line break"),
        ("http://x", "http&#58;//x"),
        ("WWW.example", "WWW&#46;example"),
        ("&lt;", "&#38;lt;"),
    ],
)
def test_md_escapes(raw: str, escaped: str) -> None:
    assert md(raw) == escaped


def test_long_cells_and_many_rows_are_capped(build: Any) -> None:
    findings = tuple(build.finding("R-1", message=f"m{i} " + "x" * 1000) for i in range(150))
    case = build.case("big", Outcome.FAIL, findings=findings)
    text = render_markdown(build.report((case,), verdict=Outcome.FAIL))
    section = _section(text, "Failures (150)")
    assert len(_rows(section)) == 100
    assert "… and 50 more; see report.json or report.html." in section
    assert max(len(line) for line in section) < 500
    assert re.search(r"\| m0 x+… \|$", section[4])


def test_a_failing_run_starts_with_the_verdict_and_failures_readably() -> None:
    from broken_servers import no_done_app
    from support import TEST_KEY, run_against

    text = render_markdown(run_against(no_done_app, keyword="stream.basic"))
    assert text.startswith("# llmconform: NOT CONFORMANT\n\n## 1 requirement(s) failed")
    assert "&#91;" not in text and "\\[DONE\\]" in text
    assert "<details><summary>Evidence and reproduction</summary>" in text
    assert '-H "Authorization: Bearer $LLMCONFORM_API_KEY"' in text
    assert TEST_KEY not in text
    assert text.index("STREAM-003") < text.index("## Profiles")
