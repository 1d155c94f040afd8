"""The terminal summary (rich): header, per-profile and per-area tables, what failed, the verdict.

Nothing a target sent is ever parsed as rich markup: untrusted strings go into `Text`
objects (which rich never interprets) after `display_safe`, which also neutralises escape
sequences and line breaks that could repaint the screen or break the layout. Colour follows
the console: rich drops it for NO_COLOR and non-terminals, so nothing is forced here.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from llmconform.model import (
    CaseResult,
    Finding,
    Outcome,
    ProfileResult,
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


def render_terminal(report: RunReport, console: Console, *, verbose: bool = False) -> None:
    """Print a human summary of `report` on `console` (all findings when `verbose`)."""
    _header(report, console)
    if report.profiles:
        console.print(_profile_table(report.profiles))
    if report.requirements:
        console.print(_area_table(report.requirements))
    for line in api_summaries(report):
        console.print(Text.assemble(("cases   ", "dim"), line))
    cases = {c.case_id: c for c in report.cases}
    for outcome, title in ((Outcome.FAIL, "Failed"), (Outcome.WARN, "Warnings")):
        failed = [r for r in report.requirements if r.outcome is outcome]
        if failed:
            console.print()
            console.print(Text(f"{title} ({len(failed)})", style=_STYLE[outcome]))
            for rr in failed:
                _requirement_block(console, rr, cases, verbose=verbose)
    _error_cases(console, report.cases)
    if verbose:
        _skipped_cases(console, report.cases)
    console.print()
    console.print(_verdict_text(report))
    for note in report.notes:
        console.print(Text.assemble(("note    ", "dim"), display_safe(note)))


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
        console.print(Text.assemble(("claims  ", "dim"), caps))
    if info.options.get("strict"):
        console.print(Text.assemble(("strict  ", "dim"), "yes: SHOULD warnings fail"))


def _timespan(report: RunReport) -> str:
    info = report.info
    if not info.started_at:
        return ""
    end = f" → {display_safe(info.finished_at)}" if info.finished_at else ""
    return f" ({display_safe(info.started_at)}{end})"


def _profile_table(profiles: tuple[ProfileResult, ...]) -> Table:
    """One row per profile: its verdict, the requirement tallies behind it, and why."""
    with_errors = any(p.errored for p in profiles)
    table = Table(title="Profiles", title_justify="left")
    table.add_column("profile")
    table.add_column("verdict")
    for name in ("passed", "warned", "failed", "skipped"):
        table.add_column(name, justify="right")
    if with_errors:
        table.add_column("errored", justify="right")
    table.add_column("reason")
    for p in profiles:
        counts = [p.passed, p.warned, p.failed, p.skipped] + ([p.errored] if with_errors else [])
        table.add_row(
            Text(display_safe(p.name)),
            Text(PROFILE_WORDS[p.verdict], style=_PROFILE_STYLE[p.verdict]),
            *(Text(str(n) if n else "·") for n in counts),
            Text(display_safe(p.reason, limit=_MESSAGE_LIMIT)),
        )
    return table


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


def _requirement_block(
    console: Console, rr: RequirementResult, cases: dict[str, CaseResult], *, verbose: bool
) -> None:
    req = rr.requirement
    console.print(
        Text.assemble(
            "  ",
            (display_safe(req.id), _STYLE[rr.outcome]),
            " ",
            (req.level.value, "bold"),
            "  ",
            display_safe(req.statement),
        )
    )
    case_ids = rr.cases if verbose else rr.cases[:_CASES_SHOWN]
    listed = 0
    for case_id in case_ids:
        case = cases.get(case_id)
        findings = [] if case is None else _findings_for(case, req.id, rr.outcome)
        if not findings:
            continue
        listed += 1
        shown = findings if verbose else findings[:1]
        for finding in shown:
            console.print(_finding_text(case_id, finding, verbose=verbose))
    hidden = len(rr.cases) - len(case_ids)
    if hidden > 0:
        console.print(Text(f"      … and {hidden} more case(s); use --verbose", style="dim"))
    elif listed == 0:
        console.print(Text("      (no finding recorded for this requirement)", style="dim"))


def _findings_for(case: CaseResult, requirement: str, outcome: Outcome) -> list[Finding]:
    return [f for f in case.findings if f.requirement == requirement and f.outcome is outcome]


def _finding_text(case_id: str, finding: Finding, *, verbose: bool) -> Text:
    limit = None if verbose else _MESSAGE_LIMIT
    text = Text.assemble(
        "    ",
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
    detail = f"  {failed} requirement(s) failed, {warned} warned"
    if errors:
        detail += f", {errors} case(s) could not be run"
    return Text.assemble(("verdict ", "bold"), (f" {label} ", style), detail)
