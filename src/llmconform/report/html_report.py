"""The HTML report: one self-contained page people read (pure).

A certificate header (target, model, edition and catalog digest, version, dates, a verdict
per profile), per-profile and per-area tables, every failing or warning case with the rule
it broke and the exchanges as evidence, errors, skips, and latency charts as inline SVG.

The page needs no script and loads nothing: styles are inline and a Content-Security-Policy
forbids scripts, plug-ins and every remote load, so even a rendering mistake could not run
what a target sent. Every string from the report goes through `_e` (html.escape after making
controls and bidi overrides visible), attribute values included.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from llmconform.model import CaseResult, ExchangeSummary, Finding, Outcome, RunReport
from llmconform.report._common import (
    OUTCOME_ORDER,
    PROFILE_WORDS,
    api_summaries,
    catalog_digest,
    multiline_safe,
    requirement_statements,
    skip_reason,
    target_text,
    verdict_label,
)
from llmconform.report._html_style import STYLE
from llmconform.report.latency import fmt_ms, latency_samples, latency_stats, latency_svg

__all__ = ["CSP", "render_html"]

# default-src 'none' covers scripts, frames, images, fonts, fetches; inline <style> only.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _e(text: str) -> str:
    return escape(multiline_safe(text), quote=True)


def render_html(report: RunReport) -> str:
    """Render the report as a standalone HTML5 document."""
    info = report.info
    sections = [
        _certificate(report),
        _profiles(report),
        _areas(report),
        _findings(report),
        _errors(report),
        _skipped(report),
        _latency(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>llmconform report: {_e(target_text(info.target))}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(s for s in sections if s)
        + f"\n<footer>Rendered by llmconform {_e(info.llmconform_version)} from a "
        "format-1 report. This page is self-contained: no scripts, no network.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def _verdict_class(report: RunReport) -> str:
    label = verdict_label(report)
    if label.startswith("NOT CONFORMANT"):
        return "bad"
    if label == "NOT TESTED":
        return "off"
    return "good" if label == "CONFORMANT" else "meh"


def _certificate(report: RunReport) -> str:
    info = report.info
    digest = catalog_digest(info)
    span = _e(info.started_at) + (f" &rarr; {_e(info.finished_at)}" if info.finished_at else "")
    facts = [
        ("Model", f"<code>{_e(target_text(info.model))}</code>"),
        ("Edition", _e(info.edition)),
        ("Catalog digest", f"<code>{_e(digest)}</code>" if digest else "not recorded"),
        ("llmconform", _e(info.llmconform_version)),
        ("Date", span),
        ("Run", "complete" if info.complete else '<strong class="bad">INCOMPLETE</strong>'),
        ("Claimed capabilities", _e(", ".join(info.capabilities)) or "none"),
        ("Strict", "yes: SHOULD warnings fail" if info.options.get("strict") else "no"),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    verdicts = "".join(
        f'<li class="pv {p.verdict.value}"><span class="pv-name">{_e(p.name)}</span>'
        f'<span class="pv-word">{PROFILE_WORDS[p.verdict]}</span></li>'
        for p in report.profiles
    )
    return (
        '<header class="cert">\n<p class="kicker">llmconform conformance report</p>\n'
        f'<h1><span class="muted">target</span> {_e(target_text(info.target))}</h1>\n'
        f'<p class="verdict {_verdict_class(report)}">{_e(verdict_label(report))}</p>\n'
        + "".join(f'<p class="note">{_e(note)}</p>\n' for note in report.notes)
        + (f'<ul class="pvs">{verdicts}</ul>\n' if verdicts else "")
        + f'<dl class="facts">{rows}</dl>\n</header>'
    )


def _table(head: list[str], rows: list[list[str]], numeric: range = range(0)) -> str:
    """A table of already-escaped cells; the `numeric` columns are right-aligned."""

    def cells(tag: str, row: list[str]) -> str:
        return "".join(
            f"<{tag}{' class=num' if i in numeric else ''}>{c}</{tag}>" for i, c in enumerate(row)
        )

    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return f"<table><thead><tr>{cells('th', head)}</tr></thead><tbody>{body}</tbody></table>"


def _profiles(report: RunReport) -> str:
    if not report.profiles:
        return "<section><h2>Profiles</h2><p>No profile was judged.</p></section>"
    rows = [
        [
            _e(p.name),
            f'<span class="pill {p.verdict.value}">{PROFILE_WORDS[p.verdict]}</span>',
            *(str(n) for n in (p.requirements, p.passed, p.warned, p.failed, p.skipped, p.errored)),
            _e(p.reason),
            " ".join(f"<code>{_e(r)}</code>" for r in p.failing),
        ]
        for p in report.profiles
    ]
    head = ["Profile", "Verdict", "Requirements", "Passed", "Warned", "Failed", "Skipped"]
    head += ["Errored", "Reason", "Failing requirements"]
    return f"<section><h2>Profiles</h2>{_table(head, rows, range(2, 8))}</section>"


def _areas(report: RunReport) -> str:
    per_area: dict[str, Counter[Outcome]] = {}
    for rr in report.requirements:
        per_area.setdefault(rr.requirement.area, Counter())[rr.outcome] += 1
    if not per_area:
        return ""
    shown = [o for o in OUTCOME_ORDER if any(c[o] for c in per_area.values())]
    rows = [
        [_e(area) or "(none)", str(c.total()), *(str(c[o]) if c[o] else "&middot;" for o in shown)]
        for area, c in sorted(per_area.items())
    ]
    head = ["Area", "Requirements", *(o.value for o in shown)]
    cases = "".join(f"<li>{_e(line)}</li>" for line in api_summaries(report))
    return (
        f"<section><h2>Requirements by area</h2>{_table(head, rows, range(1, len(head)))}"
        f'<ul class="apis">{cases}</ul></section>'
    )


def _findings(report: RunReport) -> str:
    bad = (Outcome.FAIL, Outcome.WARN)
    cases = [c for c in report.cases if any(f.outcome in bad for f in c.findings)]
    if not cases:
        return ""
    cases.sort(key=lambda c: c.outcome is not Outcome.FAIL)  # failures first, stable
    statements = requirement_statements(report)
    articles = "\n".join(_case(c, statements) for c in cases)
    return f"<section><h2>Failing and warning cases ({len(cases)})</h2>\n{articles}</section>"


def _case(case: CaseResult, statements: dict[str, str]) -> str:
    findings = [f for f in case.findings if f.outcome in (Outcome.FAIL, Outcome.WARN)]
    rows = [_finding_row(f, statements) for f in findings]
    head = ["Requirement", "Level", "Outcome", "Statement", "Message"]
    evidence = "".join(_exchange(i, ex) for i, ex in enumerate(case.exchanges))
    return (
        f'<article class="case">\n<h3><span class="pill {case.outcome.value}">'
        f"{case.outcome.value}</span> <code>{_e(case.case_id)}</code> "
        f'<span class="muted">{_e(case.title)} &middot; {_e(case.api)} &middot; '
        f"{fmt_ms(case.duration_ms)}</span></h3>\n{_table(head, rows)}\n"
        + (f'<div class="evidence">{evidence}</div>' if evidence else "")
        + "\n</article>"
    )


def _finding_row(f: Finding, statements: dict[str, str]) -> list[str]:
    where = f'<br><span class="muted">at <code>{_e(f.path)}</code></span>' if f.path else ""
    exchange = f' <span class="muted">(exchange #{f.exchange})</span>'
    return [
        f"<code>{_e(f.requirement)}</code>",
        f.level.value,
        f'<span class="pill {f.outcome.value}">{f.outcome.value}</span>',
        _e(statements.get(f.requirement, "")),
        f'<span class="msg">{_e(f.message)}</span>{where}{exchange}',
    ]


def _exchange(index: int, ex: ExchangeSummary) -> str:
    status = "no response" if ex.status is None else str(ex.status)
    ms = "&ndash;" if ex.ms is None else fmt_ms(ex.ms)
    error = f' &middot; <span class="bad">error: {_e(ex.error)}</span>' if ex.error else ""
    return (
        f'<div class="exchange"><p class="ex-head">#{index} <code>{_e(ex.method)} '
        f"{_e(ex.path)}</code> &rarr; <strong>{status}</strong> &middot; {ms} &middot; "
        f"{ex.bytes} bytes{error}</p>"
        f'<div class="excerpts"><div><p class="muted">request</p><pre>'
        f"{_e(ex.request_excerpt) or '(empty)'}</pre></div>"
        f'<div><p class="muted">response</p><pre>{_e(ex.response_excerpt) or "(empty)"}</pre>'
        "</div></div></div>"
    )


def _errors(report: RunReport) -> str:
    errors = [c for c in report.cases if c.outcome is Outcome.ERROR]
    if not errors:
        return ""
    rows = [[f"<code>{_e(c.case_id)}</code>", _e(c.reason or "no reason recorded")] for c in errors]
    return (
        f"<section><h2>Errors ({len(errors)})</h2><p>The harness or the network broke: these "
        f"cases say nothing about the target.</p>{_table(['Case', 'Reason'], rows)}</section>"
    )


def _skipped(report: RunReport) -> str:
    skipped = [c for c in report.cases if c.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED)]
    if not skipped:
        return ""
    reasons = Counter(skip_reason(c) for c in skipped)
    rows = [[_e(reason), str(n)] for reason, n in reasons.most_common()]
    return (
        f"<section><h2>Skipped or unsupported ({len(skipped)})</h2>"
        f"{_table(['Reason', 'Cases'], rows, range(1, 2))}</section>"
    )


def _latency(report: RunReport) -> str:
    samples = latency_samples(report.cases)
    if not samples:
        return ""
    apis = list(dict.fromkeys(c.api for c in report.cases))
    per_api = [
        (api, latency_samples(tuple(c for c in report.cases if c.api == api))) for api in apis
    ]
    per_api = [(api, mine) for api, mine in per_api if mine]
    # One API's chart would repeat the overall one.
    groups = [("all exchanges", samples), *(per_api if len(per_api) > 1 else [])]
    rows, charts = [], []
    for name, group in groups:
        stats = latency_stats([ms for _, ms in group])
        if stats is None:  # cannot happen: every group has samples
            continue
        pct = [fmt_ms(v) for _, v in stats.percentiles]
        rows.append(
            [_e(name), str(stats.count), fmt_ms(stats.minimum), *pct, fmt_ms(stats.maximum)]
        )
        charts.append(f"<figure>{latency_svg(group, f'Latency, {name}')}</figure>")
    head = ["Exchanges of", "Count", "Min", "p50", "p90", "p99", "Max"]
    return (
        "<section><h2>Latency</h2><p>Time from sending a request to the end of its response, "
        "per exchange; percentiles by nearest rank.</p>"
        f"{_table(head, rows, range(1, len(head)))}{''.join(charts)}</section>"
    )
