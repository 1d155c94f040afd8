"""The Markdown job summary: content, counts, and target text kept inert."""

from __future__ import annotations

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
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))] for line in table[2:]]


def _shown(cell: str) -> str:
    """A cell read back as text: backslash escapes and character references resolved."""
    return re.sub(
        r"\\([!-/:-@\[-`{-~])|&#(\d+);",
        lambda m: m.group(1) or chr(int(m.group(2))),
        cell,
    )


def _bare(cell: str) -> str:
    """What is left of a cell once every backslash-escaped character is taken out."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", cell)


def test_header_names_target_model_edition_digest_version(sample: RunReport) -> None:
    text = render_markdown(sample)
    assert text.startswith("# llmconform: NOT CONFORMANT\n")
    top = text[: text.index("## Profiles")].splitlines()
    header = {row[0]: row[1] for row in _rows(top[top.index("| | |") :])}
    assert _shown(header["Target"]) == "http://127.0.0.1:8000/v1"
    assert header["Model"] == "test-model"
    assert header["Edition"] == "2026.11"
    assert _shown(header["Catalog digest"]) == "sha256:" + "0123456789abcdef" * 4
    assert header["llmconform"] == "0.1.0"
    assert header["Run"].startswith("complete, ")


def test_incomplete_and_missing_digest_are_said(build: Any) -> None:
    text = render_markdown(build.report(complete=False, options={}))
    assert "| Catalog digest | not recorded |" in text
    assert "| Run | INCOMPLETE (the report is partial)," in text


def test_profile_table_uses_plain_words(sample: RunReport) -> None:
    section = _section(render_markdown(sample), "Profiles")
    rows = _rows(section)
    assert [(_shown(r[0]), r[1]) for r in rows] == [
        ("chat-core", "not certified"),
        ("chat-streaming", "**certified**"),
        ("errors-and-auth", "inconclusive"),
    ]
    assert rows[0][2:7] == ["1", "1", "1", "1", "0"]
    # An untested profile is said once, with its reason, outside the table.
    assert "Not tested: embeddings: no requirement of this profile was tested" in section


def test_no_emoji_anywhere(sample: RunReport) -> None:
    for ch in render_markdown(sample):
        assert unicodedata.category(ch) != "So", repr(ch)


def test_failures_warnings_errors_and_skips(sample: RunReport) -> None:
    text = render_markdown(sample)
    failed = _section(text, "1 requirement(s) failed")
    assert "- **CHAT-STREAM-004** MUST: statement of CHAT-STREAM-004 (1 case(s))" in failed
    start = text.index("### CHAT-STREAM-004")
    card = text[start : text.index("\n## ", start)]
    assert "Shown by 1 of the 1 case(s) that check it:** chat.stream.done" in card
    assert "stream ended without data: \\[DONE\\] (at \\$.events\\[-1\\])" in card
    warnings = _rows(_section(text, "Warnings (1)"))
    assert [r[:3] for r in warnings] == [["CHAT-CREATED-002", "SHOULD", "chat.created.seconds"]]
    errors = _rows(_section(text, "Errors (1)"))
    assert errors == [["chat.tools.roundtrip", "connection refused"]]
    skipped = _section(text, "Skipped (2)")
    assert "2 cases were skipped or unsupported, each with a reason:" in skipped
    assert sorted(_shown(r[0]) for r in _rows(skipped)) == [
        "capability 'logprobs' not declared",
        "unsupported: n>1 rejected with 400",
    ]


def test_clean_run_has_no_problem_sections(build: Any) -> None:
    text = render_markdown(build.report((build.case("ok"),), profiles=(build.profile(),)))
    for title in ("requirement(s) failed", "## Warnings", "## Errors", "## Skipped"):
        assert title not in text


HOSTILE = (
    "a | b `code` <script>alert(1)</script> <img src=x onerror=alert(1)>\n"
    "# heading\r\n[link](http://evil.invalid) ![img](x) **bold** $x^2$ :rocket: @someone "
    "www.evil.invalid ~~gone~~ &amp; \\| \x1b[2J \u202e"
)


def test_hostile_target_text_is_inert(sample: RunReport, hostile: Any) -> None:
    text = render_markdown(hostile(sample, HOSTILE))
    fix = next(line for line in text.splitlines() if line.startswith("- **What to fix:**"))
    cell = fix.split("chat.stream.done: ", 1)[1]
    bare = _bare(cell)
    for raw in ("<", ">", "`", "|", "[", "](", "*", "$", "~", "http://", "www.", "\x1b", "\u202e"):
        assert raw not in bare, raw
    assert ":rocket:" not in cell and "@someone" not in cell
    assert "\n" not in cell and "\r" not in cell
    # Read back as text (what a renderer shows), it is the message with controls made visible.
    shown = _shown(cell)
    assert shown.startswith("a | b `code` <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "# heading [link](http://evil.invalid)" in shown
    assert "&amp; \\| \\x1b[2J \\u202e" in shown


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text 1.2-3", "plain text 1.2-3"),
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>", "\\<b\\>"),
        ("data: [DONE]", "data: \\[DONE\\]"),
        ("line\nbreak", "line break"),
        ("http://x", "http&#58;//x"),
        ("WWW.example", "WWW&#46;example"),
        ("&lt;", "\\&lt;"),
        ("a :rocket: @me #12", "a &#58;rocket: &#64;me &#35;12"),
        ("at 10:00:00Z", "at 10:00:00Z"),
    ],
)
def test_md_escapes(raw: str, escaped: str) -> None:
    assert md(raw) == escaped


def test_long_cells_and_many_rows_are_capped(build: Any) -> None:
    ids = [f"R-{i:03}" for i in range(150)]
    cases = tuple(
        build.case(
            f"c{i}",
            Outcome.FAIL,
            findings=(build.finding(r, message="x" * 1000),),
            requirements=(r,),
        )
        for i, r in enumerate(ids)
    )
    reqs = tuple(
        build.requirement(r, Outcome.FAIL, (f"c{i}",), findings=1) for i, r in enumerate(ids)
    )
    text = render_markdown(build.report(cases, reqs, verdict=Outcome.FAIL))
    assert text.count("\n### R-") == 100
    assert "… and 50 more; see report.json or report.html." in text
    assert max(len(line) for line in text.splitlines()) < 1000
    assert re.search(r": x+…$", text, re.M)


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
