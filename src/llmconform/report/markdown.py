"""A Markdown summary sized for a GitHub job summary (`$GITHUB_STEP_SUMMARY`).

Layout: the verdict and the failed requirements first (each with its statement, why it
matters, the cases that show it, and in a `<details>` block the evidence and a curl
reproduction), latency gates, then header facts, profiles, warnings, errors, skips. Every
string that came from the target — or from a report file, which anyone can edit — goes
through `md` (inert inline text: one line, no markup, no raw HTML) or `_fenced` (a code
block whose fence is longer than any backtick run inside it).
Tables are capped so that a run with thousands of findings stays far below GitHub's
1 MiB summary limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from llmconform.model import Finding, Outcome, ProfileVerdict, RunReport
from llmconform.report._common import (
    PROFILE_WORDS,
    api_summaries,
    catalog_digest,
    clip,
    display_safe,
    expired_waivers,
    multiline_safe,
    skip_reason,
    target_text,
    verdict_label,
)
from llmconform.report._failures import (
    FailureGroup,
    curl_command,
    failure_groups,
    gate_word,
    latency_gates,
    skip_actions,
    strict_failures,
    untested_profiles,
)
from llmconform.report.latency import fmt_ms

__all__ = ["md", "render_markdown"]

_CELL_LIMIT = 300  # characters of untrusted text per table cell
_ROWS_LIMIT = 100  # rows per findings table

# ASCII punctuation with a meaning in GitHub-flavoured Markdown inline text (emphasis, code,
# links, images, tables, strikethrough, math) or HTML gets a backslash: it renders as itself
# and stays readable in the raw file (`\[DONE\]`, not `&#91;DONE&#93;`).
_BACKSLASHED = frozenset("\\`*_[]<>|~$&!")
# What GitHub links after parsing (mentions, issue refs, `scheme://` and `www.` autolinks)
# is broken with a character reference, which it does not see as the trigger character.
# Emoji shortcodes (`:rocket:`) likewise.
_AUTOLINKS = re.compile(r"(?i)(?<=www)\.|:(?=//)|:(?=[a-z][\w+-]*:)|@|#(?=\d)")


def md(text: str, *, limit: int = _CELL_LIMIT) -> str:
    """Untrusted text as inert, single-line Markdown inline content."""
    flat = display_safe(clip(text, limit))  # one line, controls and bidi shown as \\xNN
    linked = _AUTOLINKS.sub(lambda m: f"&#{ord(m.group())};", flat)
    # `&` of the references just made must stay; every other `&` is escaped.
    return re.sub(
        r"&(?!#\d+;)|[^&]",
        lambda m: "\\" + m.group() if m.group() in _BACKSLASHED else m.group(),
        linked,
    )


def _fenced(text: str, lang: str = "") -> list[str]:
    """Untrusted multi-line text as a code block nothing inside can close."""
    body = multiline_safe(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *body.split("\n"), fence]


def render_markdown(report: RunReport) -> str:
    """Render the report as GitHub-flavoured Markdown (ends with a newline)."""
    lines = [f"# llmconform: {md(verdict_label(report))}", ""]
    notes = [*report.notes, *expired_waivers(report)]
    lines += [f"> {md(note, limit=400)}" for note in notes]
    lines += [""] if notes else []
    lines += _failed(report)
    lines += _gates(report)
    lines += _header(report)
    lines += _profiles(report)
    lines += _findings_table("Warnings", _findings(report, Outcome.WARN))
    lines += _errors(report)
    lines += _skipped(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def _failed(report: RunReport) -> list[str]:
    groups = failure_groups(report)
    if not groups:
        return []
    strict = strict_failures(report)
    extra = f" ({strict} of them SHOULDs failing under --strict)" if strict else ""
    lines = [f"## {len(groups)} requirement(s) failed{extra}", ""]
    lines += [
        f"- **{md(g.result.requirement.id)}** {g.result.requirement.level.value}: "
        f"{md(g.result.requirement.statement)} ({len(g.cases)} case(s))"
        for g in groups
    ]
    lines.append("")
    for g in groups[:_ROWS_LIMIT]:
        lines += _group(g, report.info.target)
    lines += _more(len(groups))
    return lines


def _group(g: FailureGroup, target: str) -> list[str]:
    req = g.result.requirement
    shown = ", ".join(md(c.case_id) for c, _ in g.cases[:10])
    more = f" and {len(g.cases) - 10} more" if len(g.cases) > 10 else ""
    lines = [
        f"### {md(req.id)} {req.level.value}: {md(req.statement)}",
        "",
        f"- **Why it matters:** {md(req.rationale) or 'no rationale recorded'}",
        f"- **Spec:** {md(req.spec) or '-'}",
        f"- **Shown by {len(g.cases)} of the {len(g.result.cases)} case(s) that check it:** "
        f"{shown}{more}",
    ]
    first = g.first
    if first is None:
        return [*lines, ""]
    case, finding = first
    where = f" (at {md(finding.path)})" if finding.path else ""
    lines.append(
        f"- **What to fix:** {md(req.statement)} {md(case.case_id)}: {md(finding.message)}{where}"
    )
    lines.append("")
    if 0 <= finding.exchange < len(case.exchanges):
        ex = case.exchanges[finding.exchange]
        curl = curl_command(target, ex)
        status = "no response" if ex.status is None else str(ex.status)
        lines += ["<details><summary>Evidence and reproduction</summary>", ""]
        if curl:
            lines += ["Reproduce (the key is read from the environment):", ""]
            lines += [*_fenced(curl, "sh"), ""]
        if finding.evidence:
            lines += ["Where the finding points:", "", *_fenced(finding.evidence), ""]
        lines += [f"Response: {status}, {ex.bytes} bytes (its start and its end):", ""]
        lines += [*_fenced(ex.response_excerpt or "(empty)"), "", "</details>"]
    return [*lines, ""]


def _gates(report: RunReport) -> list[str]:
    gates = latency_gates(report)
    if not gates:
        return []
    lines = [
        "## Latency gates",
        "",
        "| Gate | Case | n | p50 | p90 | p99 | Threshold | Decision |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for g in gates:
        marks = dict(g.percentiles)
        pcts = " | ".join(fmt_ms(marks[p]) if p in marks else "-" for p in ("p50", "p90", "p99"))
        limit = "-" if g.threshold_ms is None else f"p99 ≤ {fmt_ms(g.threshold_ms)}"
        why = f" ({md(g.why)})" if g.why else ""
        lines.append(
            f"| {md(g.requirement)} {g.metric} | {md(g.case_id)} | {g.n} | {pcts} | {limit} "
            f"| {gate_word(g)}{why} |"
        )
    return [*lines, ""]


def _header(report: RunReport) -> list[str]:
    info = report.info
    digest = catalog_digest(info)
    state = "complete" if info.complete else "INCOMPLETE (the report is partial)"
    span = info.started_at + (f" to {info.finished_at}" if info.finished_at else "")
    rows = [
        ("Target", md(target_text(info.target))),
        ("Model", md(target_text(info.model))),
        ("Edition", md(info.edition)),
        ("Catalog digest", md(digest) if digest else "not recorded"),
        ("llmconform", md(info.llmconform_version)),
        ("Run", f"{state}, {md(span)}" if span else state),
        ("Claimed capabilities", md(", ".join(info.capabilities)) or "none"),
        ("Strict", "yes: SHOULD warnings fail" if info.options.get("strict") else "no"),
        ("Cases", "<br>".join(md(s) for s in api_summaries(report)) or "none"),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def _profiles(report: RunReport) -> list[str]:
    lines = ["## Profiles", ""]
    if not report.profiles:
        return [*lines, "No profile was judged.", ""]
    lines += [
        "| Profile | Verdict | Passed | Warned | Failed | Skipped | Errored | Reason |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for p in report.profiles:
        if p.verdict is ProfileVerdict.NOT_TESTED:
            continue
        verdict = PROFILE_WORDS[p.verdict]
        if p.verdict.value == "certified":
            verdict = f"**{verdict}**"
        counts = " | ".join(str(n) for n in (p.passed, p.warned, p.failed, p.skipped, p.errored))
        lines.append(f"| {md(p.name)} | {verdict} | {counts} | {md(p.reason)} |")
    lines.append("")
    lines += [f"Not tested: {md(', '.join(n))}: {md(r)}" for r, n in untested_profiles(report)]
    actions = skip_actions(report)
    if actions:
        shown = ", ".join(f"{md(a, limit=80)} ({n})" for a, n in actions[:10])
        lines += ["", f"To run the skipped cases: {shown}"]
    return [*lines, ""]


def _findings(report: RunReport, outcome: Outcome) -> list[tuple[str, Finding]]:
    return [(c.case_id, f) for c in report.cases for f in c.findings if f.outcome is outcome]


def _findings_table(title: str, rows: Sequence[tuple[str, Finding]]) -> list[str]:
    if not rows:
        return []
    lines = [
        f"## {title} ({len(rows)})",
        "",
        "| Requirement | Level | Case | Message |",
        "|---|---|---|---|",
    ]
    for case_id, f in rows[:_ROWS_LIMIT]:
        where = f" (at {f.path})" if f.path else ""
        message = md(f.message + where)
        lines.append(f"| {md(f.requirement)} | {f.level.value} | {md(case_id)} | {message} |")
    lines += _more(len(rows))
    return [*lines, ""]


def _more(total: int) -> list[str]:
    hidden = total - _ROWS_LIMIT
    return ["", f"… and {hidden} more; see report.json or report.html."] if hidden > 0 else []


def _errors(report: RunReport) -> list[str]:
    errors = [c for c in report.cases if c.outcome is Outcome.ERROR]
    if not errors:
        return []
    lines = [
        f"## Errors ({len(errors)})",
        "",
        "The harness or the network broke; these cases say nothing about the target.",
        "",
        "| Case | Reason |",
        "|---|---|",
    ]
    shown = errors[:_ROWS_LIMIT]
    lines += [f"| {md(c.case_id)} | {md(c.reason or 'no reason recorded')} |" for c in shown]
    lines += _more(len(errors))
    return [*lines, ""]


def _skipped(report: RunReport) -> list[str]:
    skipped = [c for c in report.cases if c.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED)]
    if not skipped:
        return []
    reasons = Counter(skip_reason(c) for c in skipped)
    noun = "case was" if len(skipped) == 1 else "cases were"
    lines = [
        f"## Skipped ({len(skipped)})",
        "",
        f"{len(skipped)} {noun} skipped or unsupported, each with a reason:",
        "",
        "| Reason | Cases |",
        "|---|--:|",
    ]
    lines += _reason_rows(reasons.most_common())
    return [*lines, ""]


def _reason_rows(reasons: Iterable[tuple[str, int]]) -> list[str]:
    rows = list(reasons)
    lines = [f"| {md(reason)} | {n} |" for reason, n in rows[:_ROWS_LIMIT]]
    return lines + _more(len(rows))
