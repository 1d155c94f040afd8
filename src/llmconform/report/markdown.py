"""A Markdown summary sized for a GitHub job summary (`$GITHUB_STEP_SUMMARY`).

Layout: header facts, profile verdicts, failures, warnings, errors, skipped cases. Every
string that came from the target — or from a report file, which anyone can edit — goes
through `md`, which turns it into inert inline text: one line, no markup, no raw HTML.
Tables are capped so that a run with thousands of findings stays far below GitHub's
1 MiB summary limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from llmconform.model import Finding, Outcome, RunReport
from llmconform.report._common import (
    PROFILE_WORDS,
    api_summaries,
    catalog_digest,
    clip,
    display_safe,
    skip_reason,
    target_text,
    verdict_label,
)

__all__ = ["md", "render_markdown"]

_CELL_LIMIT = 300  # characters of untrusted text per table cell
_ROWS_LIMIT = 100  # rows per findings table

# Characters with a meaning in GitHub-flavoured Markdown inline text (emphasis, code, links,
# images, tables, strikethrough, math, emoji shortcodes, mentions) or in HTML. CommonMark
# treats a character reference as literal text, never as markup, so each becomes `&#N;`.
# Escaping `:` also defuses `scheme://` autolinks; `www.` autolinks are defused below.
_SPECIAL = frozenset("\\`*_{}[]()<>#!|~$:@&\"'")
_WWW = re.compile(r"(?i)(www)\.")


def md(text: str, *, limit: int = _CELL_LIMIT) -> str:
    """Untrusted text as inert, single-line Markdown inline content."""
    flat = display_safe(clip(text, limit))  # one line, controls and bidi shown as \\xNN
    escaped = "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in flat)
    return _WWW.sub(r"\1&#46;", escaped)


def render_markdown(report: RunReport) -> str:
    """Render the report as GitHub-flavoured Markdown (ends with a newline)."""
    lines = [f"# llmconform: {md(verdict_label(report))}", ""]
    lines += [f"> {md(note, limit=400)}" for note in report.notes]
    lines += [""] if report.notes else []
    lines += _header(report)
    lines += _profiles(report)
    fails = _findings(report, Outcome.FAIL)
    warns = _findings(report, Outcome.WARN)
    lines += _findings_table("Failures", fails)
    lines += _findings_table("Warnings", warns)
    lines += _errors(report)
    lines += _skipped(report)
    return "\n".join(lines).rstrip("\n") + "\n"


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
        verdict = PROFILE_WORDS[p.verdict]
        if p.verdict.value == "certified":
            verdict = f"**{verdict}**"
        counts = " | ".join(str(n) for n in (p.passed, p.warned, p.failed, p.skipped, p.errored))
        lines.append(f"| {md(p.name)} | {verdict} | {counts} | {md(p.reason)} |")
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
