"""The terminal summary: content, untrusted text kept inert, colour left to rich."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest
from rich.console import Console

from llmconform.model import Outcome, RunReport
from llmconform.report import render_terminal, summary_line, verdict_label


def _render(report: RunReport, *, verbose: bool = False) -> str:
    console = Console(record=True, width=120, file=io.StringIO())
    render_terminal(report, console, verbose=verbose)
    return console.export_text()


def test_summary_shows_header_areas_failures_and_verdict(sample: RunReport) -> None:
    text = _render(sample)
    for expected in (
        "http://127.0.0.1:8000/v1",
        "test-model",
        "2026.11",
        "0.1.0",
        "complete",
        "CHAT-STREAM-004",
        "chat.stream.done: stream ended without data: [DONE] (at $.events[-1])",
        "CHAT-CREATED-002",
        "chat.created.seconds: created looks like milliseconds",
        "chat.tools.roundtrip: connection refused",
        "NOT CONFORMANT",
    ):
        assert expected in text, expected
    assert "INCOMPLETE" not in text
    # Only the first finding of a case unless verbose.
    assert "second problem" not in text
    assert "second problem" in _render(sample, verbose=True)
    assert "capability 'logprobs' not declared" in _render(sample, verbose=True)
    # The per-area table is detail: only with --verbose.
    assert "Requirements by area" not in text
    assert "Requirements by area" in _render(sample, verbose=True)


def test_area_table_counts_requirements_per_outcome(sample: RunReport) -> None:
    rows = {
        line.split("│")[1].strip(): line
        for line in _render(sample, verbose=True).splitlines()
        if "│" in line
    }
    core = [cell.strip() for cell in rows["core"].split("│")[1:-1]]
    # columns: area, requirements, pass, warn, fail, unsupported (only outcomes that occur)
    assert core == ["core", "2", "·", "1", "·", "1"]
    streaming = [cell.strip() for cell in rows["streaming"].split("│")[1:-1]]
    assert streaming == ["streaming", "1", "·", "·", "1", "·"]


def test_failed_requirement_lists_at_most_five_cases(build: Any) -> None:
    ids = tuple(f"case.{i}" for i in range(8))
    cases = tuple(
        build.case(i, Outcome.FAIL, findings=(build.finding("R-1", message=f"msg {i}"),))
        for i in ids
    )
    report = build.report(cases, (build.requirement("R-1", Outcome.FAIL, ids),), Outcome.FAIL)
    text = _render(report)
    assert "case.4: msg case.4" in text and "case.5" not in text
    assert "and 3 more case(s)" in text
    assert "case.7: msg case.7" in _render(report, verbose=True)


def test_incomplete_run_is_marked(sample: RunReport) -> None:
    report = replace(
        sample, info=replace(sample.info, complete=False), verdict=Outcome.ERROR, requirements=()
    )
    text = _render(report)
    assert text.count("INCOMPLETE") == 2  # header and verdict
    assert "NOT CONFORMANT" not in text


def test_injected_markup_is_printed_literally(sample: RunReport, hostile: Any) -> None:
    text = _render(hostile(sample, "[bold red]x[/] and [link=http://evil.invalid]y[/link] [/]"))
    assert "[bold red]x[/] and [link=http://evil.invalid]y[/link] [/]" in text


def test_escape_sequences_and_newlines_cannot_forge_output(sample: RunReport, hostile: Any) -> None:
    message = "ok\x1b[2J\x1b[32m\nverdict  CONFORMANT\r\u202eevil"
    text = _render(hostile(sample, message))
    assert "\x1b" not in text and "\u202e" not in text
    assert "ok\\x1b[2J\\x1b[32m verdict  CONFORMANT \\u202eevil" in text
    assert not any(line.startswith("verdict  CONFORMANT") for line in text.splitlines())


def test_long_message_is_clipped_unless_verbose(sample: RunReport, hostile: Any) -> None:
    report = hostile(sample, "y" * 1000)
    assert "y" * 300 not in _render(report).replace("\n", "").replace(" ", "")
    assert "y" * 1000 in _render(report, verbose=True).replace("\n", "").replace(" ", "")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return monkeypatch


def _ansi(sample: RunReport, **console_args: Any) -> str:
    out = io.StringIO()
    render_terminal(sample, Console(file=out, width=120, **console_args))
    return out.getvalue()


def test_colour_on_a_terminal(sample: RunReport, clean_env: pytest.MonkeyPatch) -> None:
    # The control for the two tests below: the same report does get colour on a terminal.
    text = _ansi(sample, force_terminal=True)
    assert "\x1b[1;31m" in text and "\x1b[1;37;41m NOT CONFORMANT" in text


def test_no_escapes_when_not_a_terminal(sample: RunReport, clean_env: pytest.MonkeyPatch) -> None:
    assert "\x1b" not in _ansi(sample)


def test_no_colour_with_no_color(sample: RunReport, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("NO_COLOR", "1")
    text = _ansi(sample, force_terminal=True)
    assert "NOT CONFORMANT" in text
    for colour in ("31", "32", "33", "35", "36", "41", "42", "43"):
        assert f"\x1b[{colour}m" not in text and f";{colour}m" not in text


def test_summary_line_matches_the_documented_shape(build: Any) -> None:
    cases = (
        *(build.case(f"c{i}") for i in range(29)),
        build.case("w", Outcome.WARN),
        build.case("f", Outcome.FAIL),
    )
    line = summary_line(build.report(cases))
    assert line == "chat: 31 cases — 29 pass, 1 warn, 1 fail, 0 error, 0 skip"


def test_summary_line_for_several_apis(sample: RunReport, build: Any) -> None:
    assert summary_line(sample) == (
        "chat: 6 cases — 1 pass, 1 warn, 1 fail, 1 error, 1 skip, 1 unsupported; "
        "responses: 1 case — 1 pass, 0 warn, 0 fail, 0 error, 0 skip"
    )
    assert summary_line(build.report()) == "no cases"


@pytest.mark.parametrize(
    ("verdict", "complete", "label"),
    [
        (Outcome.PASS, True, "CONFORMANT"),
        (Outcome.UNSUPPORTED, True, "CONFORMANT"),
        (Outcome.WARN, True, "CONFORMANT WITH WARNINGS"),
        (Outcome.FAIL, True, "NOT CONFORMANT"),
        (Outcome.FAIL, False, "NOT CONFORMANT (run incomplete)"),
        (Outcome.ERROR, True, "INCOMPLETE"),
        (Outcome.PASS, False, "INCOMPLETE"),
        (Outcome.WARN, False, "INCOMPLETE"),
        (Outcome.SKIP, True, "NOT TESTED"),
    ],
)
def test_verdict_label(build: Any, verdict: Outcome, complete: bool, label: str) -> None:
    report = build.report(verdict=verdict, complete=complete)
    assert verdict_label(report) == label
    assert label in _render(report)


def _row_cells(text: str, first: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r}")


def test_profiles_follow_the_failures_one_line_each(sample: RunReport) -> None:
    lines = _render(sample).splitlines()
    chat_core = next(line for line in lines if line.startswith("  chat-core "))
    assert " ".join(chat_core.split()) == (
        "chat-core not certified 1 passed, 1 warned, 1 failed, 1 skipped"
    )
    assert lines.index(chat_core) > next(
        i for i, line in enumerate(lines) if "CHAT-STREAM-004" in line
    )
    assert any(line.split()[:2] == ["chat-streaming", "certified"] for line in lines)
    # An untested profile is one line with its reason, never a table row of dots.
    assert "  not tested: embeddings (no requirement of this profile was tested)" in lines


def test_no_errored_count_when_nothing_errored(build: Any) -> None:
    report = build.report(profiles=(build.profile("p", reason="", errored=0),))
    line = next(line for line in _render(report).splitlines() if line.startswith("  p "))
    assert "passed" in line and "errored" not in line
    errored = build.report(profiles=(build.profile("p", reason="", errored=2),))
    assert "2 errored" in _render(errored)


def test_profile_verdicts_are_coloured(sample: RunReport, clean_env: pytest.MonkeyPatch) -> None:
    text = _ansi(sample, force_terminal=True, color_system="standard")
    assert "\x1b[1;32mcertified" in text  # green
    assert "\x1b[1;31mnot certified" in text  # red
    assert "\x1b[33minconclusive" in text  # yellow
    assert "\x1b[2mnot tested: " in text  # dim


def test_header_shows_the_catalog_digest_next_to_the_edition(sample: RunReport, build: Any) -> None:
    assert "edition 2026.11 (catalog sha256:0123456789ab)" in _render(sample)
    bare = build.report(options={})
    assert "edition 2026.11 (catalog digest not recorded)" in _render(bare)


def test_hostile_profile_name_and_reason_are_inert(build: Any) -> None:
    evil = build.profile("[red]x[/]\x1b[2J", reason="\u202e[link=http://e]y[/link]\nz")
    text = _render(build.report(profiles=(evil,)))
    assert "\x1b" not in text and "\u202e" not in text
    assert "[red]x[/]\\x1b[2J" in text
