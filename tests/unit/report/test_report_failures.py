"""Failures first: grouping by requirement, counts that add up, reproductions, latency gates."""

from __future__ import annotations

import io
import shlex
from typing import Any

import pytest
from rich.console import Console

from llmconform.model import Level, Outcome, ProfileVerdict, RunReport
from llmconform.report import render_html, render_markdown, render_terminal
from llmconform.report._failures import (
    curl_command,
    failure_groups,
    latency_gates,
    skip_actions,
    untested_profiles,
)


def _terminal(report: RunReport, **kw: Any) -> str:
    console = Console(record=True, width=80, file=io.StringIO())
    render_terminal(report, console, **kw)
    return console.export_text()


def _checked_by_many(build: Any) -> RunReport:
    """R-1 is checked by 12 cases; only 3 of them fail it."""
    failing = tuple(
        build.case(f"bad.{i}", Outcome.FAIL, findings=(build.finding("R-1", message=f"m{i}"),))
        for i in range(3)
    )
    passing = tuple(build.case(f"ok.{i}") for i in range(9))
    ids = tuple(c.case_id for c in (*passing, *failing))
    req = build.requirement("R-1", Outcome.FAIL, ids, findings=3)
    report: RunReport = build.report((*passing, *failing), (req,), Outcome.FAIL)
    return report


def test_a_group_lists_the_cases_that_show_the_failure_not_every_checking_case(
    build: Any,
) -> None:
    (group,) = failure_groups(_checked_by_many(build))
    assert [c.case_id for c, _ in group.cases] == ["bad.0", "bad.1", "bad.2"]
    text = _terminal(_checked_by_many(build))
    assert "R-1 MUST in 3 of 12 case(s)" in text
    assert "more case(s)" not in text  # 3 fit; 9 passing cases are not "more"


def test_and_more_counts_failing_cases_only(build: Any) -> None:
    failing = tuple(
        build.case(f"bad.{i}", Outcome.FAIL, findings=(build.finding("R-1"),)) for i in range(8)
    )
    passing = tuple(build.case(f"ok.{i}") for i in range(10))
    ids = tuple(c.case_id for c in (*passing, *failing))
    report = build.report(
        (*passing, *failing), (build.requirement("R-1", Outcome.FAIL, ids),), Outcome.FAIL
    )
    assert "… and 3 more case(s); use --verbose" in _terminal(report)


def test_musts_lead_and_the_most_widespread_first(build: Any) -> None:
    cases = (
        build.case("a", Outcome.FAIL, findings=(build.finding("ONE"),)),
        build.case("b", Outcome.FAIL, findings=(build.finding("TWO"), build.finding("ONE"))),
        build.case("c", Outcome.FAIL, findings=(build.finding("SOFT"),)),
    )
    reqs = (
        build.requirement("SOFT", Outcome.FAIL, ("c",), level=Level.SHOULD),
        build.requirement("TWO", Outcome.FAIL, ("b",)),
        build.requirement("ONE", Outcome.FAIL, ("a", "b")),
    )
    order = [g.result.requirement.id for g in failure_groups(build.report(cases, reqs))]
    assert order == ["ONE", "TWO", "SOFT"]


@pytest.mark.parametrize(
    ("auth", "scheme", "header"),
    [
        ("default", "bearer", '-H "Authorization: Bearer $LLMCONFORM_API_KEY"'),
        ("invalid", "bearer", '-H "Authorization: Bearer llmconform-invalid-key"'),
        ("default", "x-api-key", '-H "x-api-key: $LLMCONFORM_API_KEY"'),
        ("none", "bearer", ""),
    ],
)
def test_curl_replays_the_request_without_the_key(
    build: Any, auth: str, scheme: str, header: str
) -> None:
    ex = build.exchange(
        request_excerpt='POST /chat/completions {"model": "m", "content": "it\'s"}',
        auth=auth,
        auth_scheme=scheme,
    )
    command = curl_command("http://127.0.0.1:9/v1", ex)
    assert command is not None
    assert command.startswith("curl -sS -N -X POST http://127.0.0.1:9/v1/chat/completions ")
    if header:
        assert header in command
    else:
        assert "Authorization" not in command and "x-api-key" not in command
    # The shell gets the body back byte for byte (quotes included).
    words = shlex.split(command)
    assert words[words.index("-d") + 1] == '{"model": "m", "content": "it\'s"}'


def test_curl_for_a_target_without_a_url_and_for_a_cut_body(build: Any) -> None:
    ex = build.exchange(request_excerpt='POST /messages {"a": 1}')
    assert curl_command("asgi:app", ex) == (
        'curl -sS -N -X POST "$LLMCONFORM_BASE_URL"/messages '
        '-H "Authorization: Bearer $LLMCONFORM_API_KEY" '
        "-H 'Content-Type: application/json' -d '{\"a\": 1}'"
    )
    assert curl_command("http://x", build.exchange(request_excerpt='POST /m {"a": ')) is None
    get = curl_command("http://x", build.exchange(request_excerpt="GET /models "))
    assert get is not None and get.endswith(
        'http://x/models -H "Authorization: Bearer $LLMCONFORM_API_KEY"'
    )


def test_strict_count_says_which_failures_are_shoulds(build: Any) -> None:
    cases = (
        build.case("a", Outcome.FAIL, findings=(build.finding("MUST-1"),)),
        build.case("b", Outcome.FAIL, findings=(build.finding("SHOULD-1"),)),
    )
    reqs = (
        build.requirement("MUST-1", Outcome.FAIL, ("a",)),
        build.requirement("SHOULD-1", Outcome.FAIL, ("b",), level=Level.SHOULD),
    )
    report = build.report(cases, reqs, Outcome.FAIL, options={"strict": True})
    assert "2 requirement(s) failed (1 by --strict), 0 warned" in _terminal(report)
    assert "## 2 requirement(s) failed (1 of them SHOULDs failing under --strict)" in (
        render_markdown(report)
    )
    plain = build.report(cases, reqs, Outcome.FAIL)
    assert "under --strict" not in _terminal(plain)


def test_untested_profiles_are_said_once_per_reason(build: Any) -> None:
    reason = "no requirement of this profile was tested"
    profiles = tuple(
        build.profile(n, ProfileVerdict.NOT_TESTED, reason=reason) for n in ("a", "b", "c")
    )
    report = build.report(profiles=(build.profile("core"), *profiles))
    assert untested_profiles(report) == [(reason, ["a", "b", "c"])]
    text = _terminal(report)
    assert text.count(reason) == 1 and "not tested: a, b, c" in text


def test_skip_actions_name_the_flag_or_the_install(build: Any) -> None:
    cases = (
        build.case(
            "x",
            Outcome.SKIP,
            reason="needs capability anthropic (not declared; add "
            "--capability anthropic to test it)",
        ),
        build.case(
            "y",
            Outcome.SKIP,
            reason="needs capability anthropic, tools (not declared; "
            "add --capability anthropic, --capability tools to test it)",
        ),
        build.case(
            "z",
            Outcome.SKIP,
            reason="the openai Python SDK is not installed; "
            "`pip install openai` to run the SDK cases",
        ),
        build.case("w", Outcome.SKIP, reason="deselected"),
    )
    assert skip_actions(build.report(cases)) == [
        ("--capability anthropic", 2),
        ("--capability tools", 1),
        ("pip install openai", 1),
        ("deselected", 1),
    ]
    assert "to run skipped cases: --capability anthropic (2)" in _terminal(build.report(cases))


def test_terminal_fits_80_columns_and_ends_with_the_next_step(sample: RunReport) -> None:
    text = _terminal(sample, html_path="out/report.html")
    lines = text.rstrip("\n").splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    verdict = next(i for i, line in enumerate(lines) if line.startswith("verdict"))
    failed = next(i for i, line in enumerate(lines) if line.startswith("Failed"))
    profiles = next(i for i, line in enumerate(lines) if line.startswith("  chat-core"))
    assert verdict < failed < profiles
    assert lines[-1] == "next    llmconform explain CHAT-STREAM-004; open out/report.html"


def _latency_report(build: Any, decision: Outcome) -> RunReport:
    ttft = [float(i) for i in range(1, 301)]
    metrics = {
        "latency": {
            "ttft_ms": {"n": 300, "p50": 150.0, "p90": 270.0, "p99": 297.0},
            "tpot_ms": {"n": 300, "p50": 20.0, "p90": 30.0, "p99": 40.0},
            "samples_ms": {"ttft": ttft, "tpot": [20.0] * 300},
            "thresholds": {"ttft_p99_ms": 250.0, "tpot_p99_ms": 100.0},
        }
    }
    finding = build.finding("PERF-001", message="TTFT p99 = 297.0 ms exceeds 250 ms")
    case = build.case("perf.stream_latency", decision, findings=(finding,), metrics=metrics)
    reqs = (
        build.requirement("PERF-001", decision, ("perf.stream_latency",), area="performance"),
        build.requirement("PERF-002", Outcome.PASS, ("perf.stream_latency",), area="performance"),
    )
    report: RunReport = build.report((case,), reqs, decision)
    return report


def test_latency_gates_carry_n_percentiles_threshold_and_the_engine_decision(
    build: Any,
) -> None:
    ttft, tpot = latency_gates(_latency_report(build, Outcome.FAIL))
    assert (ttft.metric, ttft.n, ttft.threshold_ms, ttft.decision) == (
        "TTFT",
        300,
        250.0,
        Outcome.FAIL,
    )
    assert dict(ttft.percentiles)["p99"] == 297.0 and len(ttft.samples_ms) == 300
    assert (tpot.metric, tpot.decision, tpot.why) == ("TPOT", Outcome.PASS, "")


def test_latency_gates_in_terminal_markdown_and_html(build: Any) -> None:
    report = _latency_report(build, Outcome.FAIL)
    text = _terminal(report)
    assert "TTFT PERF-001 n=300 p50 150 ms p90 270 ms p99 297 ms; p99 <= 250 ms: FAIL" in text
    assert "TPOT PERF-002 n=300 p50 20 ms p90 30 ms p99 40 ms; p99 <= 100 ms: pass" in text
    md = render_markdown(report)
    assert "| PERF-001 TTFT | perf.stream\\_latency | 300 | 150 ms | 270 ms | 297 ms | " in md
    assert "p99 ≤ 250 ms | FAIL (TTFT p99 = 297.0 ms exceeds 250 ms) |" in md
    html = render_html(report)
    assert html.count('<line class="threshold"') == 2
    assert "<title>threshold 250 ms</title>" in html
    # Without latency metrics there is no gate section at all.
    assert "Latency gates" not in render_html(build.report())


def test_the_text_a_finding_points_at_is_shown_before_the_excerpt(build: Any) -> None:
    finding = build.finding(
        "R-1", path="$.choices[0].finish_reason", evidence='$.choices[0].finish_reason: "banana"'
    )
    ex = build.exchange(request_excerpt='POST /chat/completions {"a": 1}')
    case = build.case("c", Outcome.FAIL, findings=(finding,), exchanges=(ex,))
    report = build.report((case,), (build.requirement("R-1", Outcome.FAIL, ("c",)),))
    html = render_html(report)
    focus = html.index('<pre class="focus">$.choices[0].finish_reason: &quot;banana&quot;</pre>')
    assert focus < html.index('<pre class="response">')
    md = render_markdown(report)
    assert 'Where the finding points:\n\n```\n$.choices[0].finish_reason: "banana"\n```' in md


def test_markdown_and_html_say_what_would_run_the_skipped_cases(build: Any) -> None:
    reason = "needs capability anthropic (not declared; add --capability anthropic to test it)"
    cases = tuple(build.case(f"s{i}", Outcome.SKIP, reason=reason) for i in range(3))
    report = build.report(cases, profiles=(build.profile(),))
    assert "To run the skipped cases: --capability anthropic (3)" in render_markdown(report)
    assert "To run the skipped cases: <code>--capability anthropic</code> (3)" in (
        render_html(report)
    )
