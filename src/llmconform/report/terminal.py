"""The terminal summary (rich): header, per-profile and per-area tables, what failed, the verdict.

Nothing a target sent is ever parsed as rich markup: untrusted strings go into `Text`
objects (which rich never interprets) after `display_safe`, which also neutralises escape
sequences and line breaks that could repaint the screen or break the layout. Colour follows
the console: rich drops it for NO_COLOR and non-terminals, so nothing is forced here.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from llmconform.model import (
    CaseResult,
    Finding,
    Outcome,
    ProfileVerdict,
    RequirementResult,
    RunReport,
)
from llmconform.report._common import (
    OUTCOME_ORDER,
    PROFILE_WORDS,
    api_summaries,
    display_safe,
    edition_text,
    skip_reason,
    summary_line,
    target_text,
    verdict_label,
)
from llmconform.report._failures import (
    FailureGroup,
    failure_groups,
    gate_word,
    latency_gates,
    skip_actions,
    strict_failures,
    untested_profiles,
)
from llmconform.report.latency import fmt_ms

__all__ = ["render_terminal", "summary_line"]

_STYLE = {
    Outcome.PASS: "green",
    Outcome.WARN: "yellow",
    Outcome.FAIL: "bold red",
    Outcome.ERROR: "magenta",
    Outcome.SKIP: "dim",
    Outcome.UNSUPPORTED: "cyan",
}
_PROFILE_STYLE = {
    ProfileVerdict.CERTIFIED: "bold green",
    ProfileVerdict.NOT_CERTIFIED: "bold red",
    ProfileVerdict.INCONCLUSIVE: "yellow",
    ProfileVerdict.NOT_TESTED: "dim",
}
_MESSAGE_LIMIT = 240  # per finding line when not verbose
_CASES_SHOWN = 5  # cases listed per failed requirement when not verbose


def render_terminal(
    report: RunReport, console: Console, *, verbose: bool = False, html_path: str = ""
) -> None:
    """Print a human summary of `report` on `console` (all findings when `verbose`).

    Laid out for an 80-column CI log: the verdict and the failed requirements first, then
    latency gates, tested profiles, one line per reason for the untested ones, and the next
    step. The per-area table only with `verbose`.
    """
    _header(report, console)
    console.print(_verdict_text(report))
    for note in report.notes:
        console.print(_labelled("note", display_safe(note)))
    for outcome, title in ((Outcome.FAIL, "Failed"), (Outcome.WARN, "Warnings")):
        groups = failure_groups(report, outcome)
        if groups:
            console.print()
            console.print(Text(f"{title} ({len(groups)})", style=_STYLE[outcome]))
            for group in groups:
                _requirement_block(console, group, verbose=verbose)
    _error_cases(console, report.cases)
    _gate_lines(console, report)
    if report.profiles:
        console.print()
        _profile_lines(console, report)
    if verbose and report.requirements:
        console.print(_area_table(report.requirements))
    actions = skip_actions(report)
    if actions:
        shown = ", ".join(f"{display_safe(a, limit=60)} ({n})" for a, n in actions[:6])
        more = f", {len(actions) - 6} more with --verbose" if len(actions) > 6 else ""
        console.print(_at(2, ("to run skipped cases: ", "dim"), shown + more))
    for line in api_summaries(report):
        console.print(Text.assemble(("cases   ", "dim"), line))
    if verbose:
        _skipped_cases(console, report.cases)
    _next_step(console, report, html_path)


def _at(indent: int, *parts: str | tuple[str, str]) -> Padding:
    """Text wrapped with a hanging indent, so continuation lines stay under their item."""
    return Padding(Text.assemble(*parts), (0, 0, 0, indent), expand=False)


def _labelled(label: str, *parts: str | tuple[str, str], style: str = "dim") -> Table:
    """`label  text`, the text wrapping in its own column (80-column logs stay readable)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=7, no_wrap=True)
    grid.add_column()
    grid.add_row(Text(label, style=style), Text.assemble(*parts))
    return grid


def _next_step(console: Console, report: RunReport, html_path: str) -> None:
    groups = failure_groups(report) or failure_groups(report, Outcome.WARN)
    steps = []
    if groups:
        steps.append(f"llmconform explain {display_safe(groups[0].result.requirement.id)}")
    if html_path:
        steps.append(f"open {display_safe(html_path)}")
    if steps:
        console.print()
        console.print(_labelled("next", "; ".join(steps), style="bold"))


def _gate_lines(console: Console, report: RunReport) -> None:
    gates = latency_gates(report)
    if not gates:
        return
    console.print()
    console.print(Text("Latency gates", style="bold"))
    for g in gates:
        marks = " ".join(f"{p} {fmt_ms(v)}" for p, v in g.percentiles)
        limit = "no threshold" if g.threshold_ms is None else f"p99 <= {fmt_ms(g.threshold_ms)}"
        style = _STYLE.get(g.decision, "") if g.threshold_ms is not None else "dim"
        console.print(
            Text.assemble(
                f"  {g.metric} {display_safe(g.requirement)} n={g.n} {marks}; {limit}: ",
                (gate_word(g), style),
            )
        )
        if g.why and g.decision is not Outcome.PASS:
            console.print(_at(4, (display_safe(g.why, limit=_MESSAGE_LIMIT), "dim")))


def _profile_lines(console: Console, report: RunReport) -> None:
    """One short line per tested profile; the untested ones once per reason."""
    for p in report.profiles:
        if p.verdict is ProfileVerdict.NOT_TESTED:
            continue
        counts = f"{p.passed} passed, {p.warned} warned, {p.failed} failed"
        if p.skipped:
            counts += f", {p.skipped} skipped"
        if p.errored:
            counts += f", {p.errored} errored"
        console.print(
            Text.assemble(
                "  ",
                (f"{display_safe(p.name):<23}", "bold"),
                (f"{PROFILE_WORDS[p.verdict]:<14}", _PROFILE_STYLE[p.verdict]),
                counts,
            )
        )
    for reason, names in untested_profiles(report):
        console.print(
            _at(
                2,
                ("not tested: ", "dim"),
                display_safe(", ".join(names)),
                (f" ({display_safe(reason, limit=_MESSAGE_LIMIT)})", "dim"),
            )
        )


def _header(report: RunReport, console: Console) -> None:
    info = report.info
    title = Text.assemble(
        ("llmconform ", "bold"),
        display_safe(info.llmconform_version),
        " · edition ",
        display_safe(edition_text(info, short=True)),
    )
    state = Text("complete", style="green") if info.complete else Text("INCOMPLETE", "bold red")
    console.print(title)
    console.print(Text.assemble(("target  ", "dim"), display_safe(target_text(info.target))))
    console.print(Text.assemble(("model   ", "dim"), display_safe(target_text(info.model))))
    console.print(Text.assemble(("run     ", "dim"), state, _timespan(report)))
    if info.capabilities:
        caps = ", ".join(display_safe(c) for c in info.capabilities)
        console.print(_labelled("claims", caps))
    if info.options.get("strict"):
        console.print(Text.assemble(("strict  ", "dim"), "yes: SHOULD warnings fail"))


def _timespan(report: RunReport) -> str:
    info = report.info
    if not info.started_at:
        return ""
    end = f" → {display_safe(info.finished_at)}" if info.finished_at else ""
    return f" ({display_safe(info.started_at)}{end})"


def _area_table(requirements: tuple[RequirementResult, ...]) -> Table:
    """One row per requirement area: how many of its requirements ended in each outcome."""
    per_area: dict[str, Counter[Outcome]] = {}
    for rr in requirements:
        per_area.setdefault(rr.requirement.area, Counter())[rr.outcome] += 1
    shown = [o for o in OUTCOME_ORDER if any(c[o] for c in per_area.values())]
    table = Table(title="Requirements by area", title_justify="left")
    table.add_column("area")
    table.add_column("requirements", justify="right")
    for outcome in shown:
        table.add_column(outcome.value, justify="right", style=_STYLE[outcome])
    for area in sorted(per_area):
        counts = per_area[area]
        cells = [Text(str(counts[o]) if counts[o] else "·") for o in shown]
        table.add_row(Text(display_safe(area) or "(none)"), Text(str(counts.total())), *cells)
    return table


def _requirement_block(console: Console, group: FailureGroup, *, verbose: bool) -> None:
    rr = group.result
    req = rr.requirement
    console.print(
        _at(
            2,
            (display_safe(req.id), _STYLE[rr.outcome]),
            " ",
            (req.level.value, "bold"),
            f" in {len(group.cases)} of {len(rr.cases)} case(s): ",
            display_safe(req.statement),
        )
    )
    if req.rationale:
        why = display_safe(req.rationale, limit=_MESSAGE_LIMIT)
        console.print(_at(4, ("why: ", "dim"), (why, "dim")))
    shown = group.cases if verbose else group.cases[:_CASES_SHOWN]
    for case, findings in shown:
        for finding in findings if verbose else findings[:1]:
            console.print(
                Padding(_finding_text(case.case_id, finding, verbose=verbose), (0, 0, 0, 4))
            )
    hidden = len(group.cases) - len(shown)
    if hidden > 0:
        console.print(Text(f"      … and {hidden} more case(s); use --verbose", style="dim"))
    elif not group.cases:
        console.print(Text("      (no finding recorded for this requirement)", style="dim"))


def _finding_text(case_id: str, finding: Finding, *, verbose: bool) -> Text:
    limit = None if verbose else _MESSAGE_LIMIT
    text = Text.assemble(
        (display_safe(case_id), "bold"),
        ": ",
        display_safe(finding.message, limit=limit),
    )
    if finding.path:
        text.append(f" (at {display_safe(finding.path, limit=limit)})", style="dim")
    return text


def _error_cases(console: Console, cases: tuple[CaseResult, ...]) -> None:
    errors = [c for c in cases if c.outcome is Outcome.ERROR]
    if not errors:
        return
    console.print()
    console.print(
        Text(
            f"Errors ({len(errors)}): the harness or the network broke", style=_STYLE[Outcome.ERROR]
        )
    )
    for case in errors:
        reason = display_safe(case.reason or "no reason recorded")
        console.print(Text.assemble("    ", (display_safe(case.case_id), "bold"), ": ", reason))


def _skipped_cases(console: Console, cases: tuple[CaseResult, ...]) -> None:
    skipped = [c for c in cases if c.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED)]
    if not skipped:
        return
    console.print()
    console.print(Text(f"Skipped or unsupported ({len(skipped)})", style="dim"))
    for case in skipped:
        reason = display_safe(skip_reason(case), limit=_MESSAGE_LIMIT)
        console.print(Text.assemble("    ", (display_safe(case.case_id), "bold"), ": ", reason))


def _verdict_text(report: RunReport) -> Text:
    label = verdict_label(report)
    if label.startswith("NOT CONFORMANT"):
        style = "bold white on red"
    elif label == "CONFORMANT":
        style = "bold white on green"
    elif label == "NOT TESTED":
        style = "bold white on grey42"
    else:
        style = "bold black on yellow"
    failed = sum(1 for r in report.requirements if r.outcome is Outcome.FAIL)
    warned = sum(1 for r in report.requirements if r.outcome is Outcome.WARN)
    errors = sum(1 for c in report.cases if c.outcome is Outcome.ERROR)
    strict = strict_failures(report)
    # Under --strict a warned SHOULD fails: say so, so the count matches the profile columns.
    of_them = f" ({strict} by --strict)" if strict else ""
    detail = f"  {failed} requirement(s) failed{of_them}, {warned} warned"
    if errors:
        detail += f", {errors} case(s) could not be run"
    return Text.assemble(("verdict ", "bold"), (f" {label} ", style), detail)
