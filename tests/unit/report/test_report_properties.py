"""Property tests: any report, however hostile its strings, survives every renderer.

Strings mix arbitrary code points (lone surrogates included) with the characters that
break naive renderers: NUL and other controls, ESC, markup brackets, XML specials, bidi
overrides.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from llmconform.model import (
    CaseResult,
    ExchangeSummary,
    Finding,
    Level,
    Outcome,
    ProfileResult,
    ProfileVerdict,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
)
from llmconform.report import (
    dumps,
    loads,
    render_badges,
    render_html,
    render_junit,
    render_markdown,
    render_shields,
    render_terminal,
    summary_line,
)

_nasty = st.sampled_from(
    ["\x00", "\x08", "\x1b[2J", "\udcff", "\ufffe", "[bold]", "[/]", "<", "&", "\u202e", "\n"]
)
_piece = st.characters(exclude_categories=()) | _nasty


def _no_surrogate_pair(text: str) -> bool:
    # A high surrogate followed by a low one is, to JSON, one astral character: such a string
    # cannot round-trip as two code units. Target text is decoded with replacement, so it
    # never holds surrogates; lone ones (kept here) are what the report must survive.
    pairs = itertools.pairwise(text)
    return not any("\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff" for a, b in pairs)


_text = st.lists(_piece, max_size=12).map("".join).filter(_no_surrogate_pair)
_id = st.lists(_piece, min_size=1, max_size=6).map("".join).filter(_no_surrogate_pair)
_outcome = st.sampled_from(list(Outcome))
_level = st.sampled_from(list(Level))
_ms = st.floats(min_value=0, max_value=1e7, allow_nan=False)
_json_leaf = st.none() | st.booleans() | st.integers() | _ms | _text
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_finding = st.builds(
    Finding,
    requirement=_text,
    level=_level,
    check=_text,
    message=_text,
    outcome=_outcome,
    path=_text,
    exchange=st.integers(0, 5),
)
_exchange = st.builds(
    ExchangeSummary,
    method=_text,
    path=_text,
    status=st.none() | st.integers(100, 599),
    ms=st.none() | _ms,
    bytes=st.integers(0, 10**9),
    error=st.none() | _text,
    request_excerpt=_text,
    response_excerpt=_text,
)
_case = st.builds(
    CaseResult,
    case_id=_id,
    title=_text,
    api=_text,
    outcome=_outcome,
    findings=st.lists(_finding, max_size=3).map(tuple),
    requirements=st.lists(_text, max_size=3).map(tuple),
    reason=_text,
    duration_ms=_ms,
    exchanges=st.lists(_exchange, max_size=2).map(tuple),
)
_requirement = st.builds(
    RequirementResult,
    requirement=st.builds(
        Requirement,
        id=_id,
        level=_level,
        area=_text,
        statement=_text,
        spec=_text,
        rationale=_text,
        profiles=st.lists(_text, max_size=2).map(tuple),
    ),
    outcome=_outcome,
    cases=st.lists(_text, max_size=3).map(tuple),
    findings=st.integers(0, 100),
)
_info = st.builds(
    RunInfo,
    llmconform_version=_text,
    edition=_text,
    target=_text,
    model=_text,
    started_at=_text,
    finished_at=_text,
    complete=st.booleans(),
    options=st.dictionaries(_text, _json, max_size=3),
    capabilities=st.lists(_text, max_size=3).map(tuple),
)
_count = st.integers(0, 500)
_profile = st.builds(
    ProfileResult,
    name=_id,
    verdict=st.sampled_from(list(ProfileVerdict)),
    requirements=_count,
    passed=_count,
    warned=_count,
    failed=_count,
    skipped=_count,
    errored=_count,
    failing=st.lists(_text, max_size=3).map(tuple),
    reason=_text,
)
reports = st.builds(
    RunReport,
    info=_info,
    cases=st.lists(_case, max_size=4).map(tuple),
    requirements=st.lists(_requirement, max_size=3).map(tuple),
    verdict=_outcome,
    # Counts are keyed by outcome names; arbitrary keys would only test json surrogate quirks.
    counts=st.dictionaries(st.sampled_from([o.value for o in Outcome]), st.integers(0, 1000)),
    profiles=st.lists(_profile, max_size=3).map(tuple),
)
_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(reports)
def test_any_report_round_trips_through_json(report: RunReport) -> None:
    text = dumps(report)
    text.encode("utf-8")  # no raw surrogate left behind
    assert loads(text) == report
    assert dumps(loads(text)) == text


@_settings
@given(reports)
def test_any_report_gives_well_formed_junit(report: RunReport) -> None:
    xml = render_junit(report)
    root = ET.fromstring(xml.encode("utf-8"))
    # An incomplete run, or one that tested nothing, adds one erroring testcase that says so
    # (it is never green).
    said = not report.info.complete or report.verdict is Outcome.SKIP
    listed = len(report.cases) + (1 if said else 0)
    assert int(root.get("tests", "-1")) == listed
    assert len(root.findall("./testsuite/testcase")) == listed


@_settings
@given(reports, st.booleans())
def test_any_report_renders_on_a_terminal_without_escapes(report: RunReport, verbose: bool) -> None:
    out = io.StringIO()
    # A colour terminal, so that the only escape sequences are rich's own SGR codes.
    console = Console(file=out, force_terminal=True, width=100, color_system="standard")
    render_terminal(report, console, verbose=verbose)
    text = out.getvalue()
    assert "\x1b[2J" not in text
    assert "\x00" not in text and "\u202e" not in text
    line = summary_line(report)
    assert "\n" not in line and "\x1b" not in line


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


@_settings
@given(reports)
def test_any_report_gives_safe_html_markdown_badges_and_shields(report: RunReport) -> None:
    # One test for the four page renderers: generating hostile reports is the slow part.
    _check_html(report)
    _check_markdown(report)
    _check_badges_and_shields(report)


def _check_html(report: RunReport) -> None:
    text = render_html(report)
    text.encode("utf-8")  # no raw surrogate
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert not {"script", "img", "iframe", "object", "embed", "link"} & set(parser.tags)
    assert not [a for a in parser.attrs if a.startswith("on") or a in ("src", "href")]
    assert parser.tags.count("section") >= 1


def _check_markdown(report: RunReport) -> None:
    text = render_markdown(report)
    text.encode("utf-8")
    for raw in ("\x1b", "\x00", "\u202e", "\r"):
        assert raw not in text
    # Outside our code blocks (whose fence nothing inside can match), target text only ever
    # carries markup characters backslash-escaped.
    outside, fence = [], ""
    for line in text.splitlines():
        if fence:
            fence = "" if line == fence else fence
            continue
        if re.fullmatch(r"`{3,}\w*", line):
            fence = line.rstrip("abcdefghijklmnopqrstuvwxyz")
            continue
        outside.append(re.sub(r"\\[!-/:-@\[-`{-~]", "", line))
    bare = "\n".join(outside)
    for raw in ("`", "<script", "<img"):
        assert raw not in bare
    # Target text never adds or removes table cells: every row of a table has its width.
    width = 0
    for line in outside:
        if not line.startswith("|"):
            width = 0
            continue
        width = width or line.count("|")
        assert line.count("|") == width, line


def _check_badges_and_shields(report: RunReport) -> None:
    badges = render_badges(report)
    assert len(badges) == len({p.name for p in report.profiles}) + 1
    for svg in badges.values():
        ET.fromstring(svg.encode("utf-8"))
    for doc in map(json.loads, render_shields(report).values()):
        assert set(doc) == {"schemaVersion", "label", "message", "color"}
