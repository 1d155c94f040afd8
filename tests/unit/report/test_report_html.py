"""The HTML report: self-contained, scriptless, complete, and target text kept inert."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from llmconform.model import Outcome, RunReport
from llmconform.report import render_html
from llmconform.report.html_report import CSP

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"


class Page(HTMLParser):
    """Tags, attributes and visible text of a page, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self._skip = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_document_shape_and_security_policy(sample: RunReport) -> None:
    text = render_html(sample)
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    page = Page(text)
    csp = [v for t, n, v in page.attrs if t == "meta" and n == "content" and v == CSP]
    assert csp == [CSP]
    assert "default-src 'none'" in CSP and "script-src" not in CSP
    # The policy must come before anything it governs.
    assert text.index("Content-Security-Policy") < text.index("<style>") < text.index("<body>")


def test_nothing_is_loaded_and_nothing_runs(sample: RunReport) -> None:
    text = render_html(sample)
    page = Page(text)
    assert not {"script", "iframe", "object", "embed", "link", "img", "base", "form"} & set(
        page.tags
    )
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        assert name not in ("src", "href", "srcset", "action", "xmlns"), (tag, name)
        assert "://" not in (value or ""), (tag, name, value)
    assert "url(" not in text and "@import" not in text


def test_certificate_header(sample: RunReport) -> None:
    visible = Page(render_html(sample)).visible
    for expected in (
        "target http://127.0.0.1:8000/v1",
        "NOT CONFORMANT",
        "Model test-model",
        "Edition 2026.11",
        "Catalog digest sha256:" + "0123456789abcdef" * 4,
        "llmconform 0.1.0",
        "Date 2026-11-02T10:00:00Z → 2026-11-02T10:01:00Z",
        "Run complete",
        "Claimed capabilities streaming, tools",
        "chat-core not certified chat-streaming certified errors-and-auth inconclusive Model",
        "1 requirement(s) failed: CHAT-STREAM-004 MUST: statement of CHAT-STREAM-004 (1 case(s))",
    ):
        assert expected in visible, expected
    # An untested profile is said once, below, with its reason; the header lists what was judged.
    assert "Not tested: embeddings: no requirement of this profile was tested" in visible


def test_profile_and_area_tables(sample: RunReport) -> None:
    visible = Page(render_html(sample)).visible
    assert "chat-core not certified 4 1 1 1 1 0 1 requirement(s) failed CHAT-STREAM-004" in visible
    assert "chat-streaming certified 2 2 0 0 0 0" in visible
    # Area table: requirements then pass, warn, fail, unsupported (outcomes that occur).
    assert "core 2 · 1 · 1" in visible
    assert "streaming 1 · · 1 ·" in visible


def test_failing_case_shows_rule_message_and_evidence(sample: RunReport, build: Any) -> None:
    cases = list(sample.cases)
    cases[1] = replace(
        cases[1],
        exchanges=(
            build.exchange(
                request_excerpt='POST /chat/completions {"stream": true}',
                response_excerpt="data: {}",
            ),
            build.exchange(status=None, ms=None, error="reset"),
        ),
    )
    visible = Page(render_html(replace(sample, cases=tuple(cases)))).visible
    assert (
        "fail CHAT-STREAM-004 MUST · statement of CHAT-STREAM-004 What to fix: statement of "
        "CHAT-STREAM-004 Observed in chat.stream.done : stream ended without data: [DONE] at "
        "$.events[-1] Why it matters clients break otherwise"
    ) in visible
    assert "Cases 1 of the 1 that check it: chat.stream.done" in visible
    assert (
        "curl -sS -N -X POST http://127.0.0.1:8000/v1/chat/completions -H "
        "\"Authorization: Bearer $LLMCONFORM_API_KEY\" -H 'Content-Type: application/json' "
        "-d '{\"stream\": true}'"
    ) in visible
    # The evidence is the exchange the finding points at (#0), not every exchange of the case.
    assert "Exchange #0 POST /chat/completions → 200 · 12 ms · 512 bytes" in visible
    assert "error: reset" not in visible
    assert "warn CHAT-CREATED-002 SHOULD · statement of CHAT-CREATED-002" in visible
    assert visible.index("chat.stream.done") < visible.index("chat.created.seconds")
    # Failures come before every table.
    assert visible.index("What to fix") < visible.index("Profiles Profile Verdict")
    assert "Errors (1)" in visible and "chat.tools.roundtrip connection refused" in visible
    assert "Skipped or unsupported (2)" in visible


def test_passing_cases_are_not_listed_as_findings(sample: RunReport) -> None:
    visible = Page(render_html(sample)).visible
    assert "Failed requirements (1)" in visible and "Warnings (1)" in visible
    assert "chat.basic" not in visible


def test_hostile_text_renders_as_text(sample: RunReport, hostile: Any, build: Any) -> None:
    report = hostile(sample, f"{SCRIPT} {IMG} \x1b[2J\u202e")
    cases = list(report.cases)
    cases[1] = replace(cases[1], exchanges=(build.exchange(response_excerpt=SCRIPT),))
    report = replace(
        report,
        cases=tuple(cases),
        info=replace(report.info, target='x"><script>1</script>', model=IMG),
        profiles=(build.profile(SCRIPT, reason=IMG),),
    )
    text = render_html(report)
    page = Page(text)
    assert "script" not in page.tags and "img" not in page.tags
    assert not any(name.startswith("on") for _, name, _ in page.attrs)
    assert f"{SCRIPT} {IMG} \\x1b[2J\\u202e" in page.visible
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in text
    assert text.count("<script") == 0


def test_latency_chart_marks_nearest_rank_percentiles(build: Any) -> None:
    cases = tuple(
        build.case(f"c{i}", exchanges=(build.exchange(ms=float(i)),)) for i in range(1, 101)
    )
    text = render_html(build.report(cases))
    page = Page(text)
    assert page.tags.count("svg") == 1
    assert "all exchanges 100 1 ms 50 ms 90 ms 99 ms 100 ms" in page.visible
    for label in ("p50 50 ms", "p90 90 ms", "p99 99 ms"):
        assert f">{label}</text>" in text
    assert text.count('class="tick"') == 100


def test_one_chart_per_api_when_several_apis(sample: RunReport, build: Any) -> None:
    extra = build.case("responses.timed", api="responses", exchanges=(build.exchange(ms=3.0),))
    text = render_html(replace(sample, cases=(*sample.cases, extra)))
    assert Page(text).tags.count("svg") == 3
    assert re.search(r"<text [^>]*>Latency, responses</text>", text)


def test_no_latency_section_without_timings(build: Any) -> None:
    text = render_html(build.report((build.case("x", Outcome.SKIP),)))
    assert "<svg" not in text and "Latency" not in text


def test_missing_digest_and_no_profiles(build: Any) -> None:
    visible = Page(render_html(build.report(options={}))).visible
    assert "Catalog digest not recorded" in visible
    assert "No profile was judged." in visible
