"""The HTML report: one self-contained page people read (pure).

Verdict and failures first: a header with the verdict and the failed requirements, then one
card per failed (and warned) requirement: its statement, level, why it matters, what to fix,
the cases that show it, the evidence of the first one and a curl command that replays it.
Latency gates (percentiles, n, threshold, decision, a chart against the threshold) follow,
then the per-profile and per-area tables, errors, skips and the exchange latency charts.

The page needs no script and loads nothing: styles are inline and a Content-Security-Policy
forbids scripts, plug-ins and every remote load, so even a rendering mistake could not run
what a target sent. Every string from the report goes through `_e` (html.escape after making
controls and bidi overrides visible), attribute values included.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from llmconform.model import ExchangeSummary, Outcome, ProfileVerdict, RunReport
from llmconform.report._common import (
    OUTCOME_ORDER,
    PROFILE_WORDS,
    api_summaries,
    catalog_digest,
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
        _findings(report),
        _gates(report),
        _errors(report),
        _profiles(report),
        _areas(report),
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
        if p.verdict is not ProfileVerdict.NOT_TESTED
    )
    return (
        '<header class="cert">\n<p class="kicker">llmconform conformance report</p>\n'
        f'<h1><span class="muted">target</span> {_e(target_text(info.target))}</h1>\n'
        f'<p class="verdict {_verdict_class(report)}">{_e(verdict_label(report))}</p>\n'
        + _failed_list(report)
        + "".join(
            f'<p class="note">{_e(note)}</p>\n'
            for note in [*report.notes, *expired_waivers(report)]
        )
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
    tested = [p for p in report.profiles if p.verdict is not ProfileVerdict.NOT_TESTED]
    untested = "".join(
        f"<li>{_e(', '.join(names))}: {_e(reason)}</li>"
        for reason, names in untested_profiles(report)
    )
    untested_html = (
        f'<p class="muted">Not tested:</p><ul class="apis">{untested}</ul>' if untested else ""
    )
    actions = ", ".join(f"<code>{_e(a)}</code> ({n})" for a, n in skip_actions(report)[:10])
    if actions:
        untested_html += f"<p>To run the skipped cases: {actions}</p>"
    rows = [
        [
            _e(p.name),
            f'<span class="pill {p.verdict.value}">{PROFILE_WORDS[p.verdict]}</span>',
            *(str(n) for n in (p.requirements, p.passed, p.warned, p.failed, p.skipped, p.errored)),
            _e(p.reason),
            " ".join(f"<code>{_e(r)}</code>" for r in p.failing),
        ]
        for p in tested
    ]
    head = ["Profile", "Verdict", "Requirements", "Passed", "Warned", "Failed", "Skipped"]
    head += ["Errored", "Reason", "Failing requirements"]
    table = _table(head, rows, range(2, 8)) if rows else ""
    return f"<section><h2>Profiles</h2>{table}{untested_html}</section>"


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


def _failed_list(report: RunReport) -> str:
    """The verdict's reasons in one list: each failed requirement, linked to its card."""
    groups = failure_groups(report)
    if not groups:
        return ""
    strict = strict_failures(report)
    extra = f" ({strict} of them SHOULDs failing under --strict)" if strict else ""
    items = "".join(
        f"<li><code>{_e(g.result.requirement.id)}"
        f"</code> {g.result.requirement.level.value}: {_e(g.result.requirement.statement)} "
        f'<span class="muted">({len(g.cases)} case(s))</span></li>'
        for g in groups
    )
    return (
        f'<p class="failed-head"><strong>{len(groups)} requirement(s) failed{extra}:</strong></p>'
        f'<ul class="summary-list">{items}</ul>\n'
    )


def _findings(report: RunReport) -> str:
    parts = []
    for outcome, title in ((Outcome.FAIL, "Failed requirements"), (Outcome.WARN, "Warnings")):
        groups = failure_groups(report, outcome)
        if groups:
            cards = "\n".join(_card(g, report.info.target) for g in groups)
            parts.append(f"<section><h2>{title} ({len(groups)})</h2>\n{cards}</section>")
    return "\n".join(parts)


def _card(group: FailureGroup, target: str) -> str:
    rr = group.result
    req = rr.requirement
    cases = ", ".join(f"<code>{_e(c.case_id)}</code>" for c, _ in group.cases) or "none recorded"
    facts = [
        ("Why it matters", _e(req.rationale) or "(no rationale recorded)"),
        ("Spec", _e(req.spec) or "&ndash;"),
        ("Profiles", _e(", ".join(req.profiles)) or "&ndash;"),
        ("Cases", f"{len(group.cases)} of the {len(rr.cases)} that check it: {cases}"),
    ]
    first = group.first
    fix = ""
    evidence = ""
    if first is not None:
        case, finding = first
        where = f" at <code>{_e(finding.path)}</code>" if finding.path else ""
        fix = (
            f'<p class="fix"><strong>What to fix:</strong> {_e(req.statement)} '
            f'<span class="muted">Observed in <code>{_e(case.case_id)}</code>:</span> '
            f'<span class="msg">{_e(finding.message)}</span>{where}</p>'
        )
        if finding.evidence:  # the text the finding's path points at, found by the engine
            evidence = (
                '<p class="muted">Where the finding points:</p>'
                f'<pre class="focus">{_e(finding.evidence)}</pre>'
            )
        if 0 <= finding.exchange < len(case.exchanges):
            evidence += _evidence(finding.exchange, case.exchanges[finding.exchange], target)
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        f'<article class="failure {rr.outcome.value}" id="req-{_e(req.id)}">\n'
        f'<h3><span class="pill {rr.outcome.value}">{rr.outcome.value}</span> '
        f"<code>{_e(req.id)}</code> {req.level.value} &middot; {_e(req.statement)}</h3>\n"
        f"{fix}<dl>{rows}</dl>{evidence}\n</article>"
    )


def _evidence(index: int, ex: ExchangeSummary, target: str) -> str:
    curl = curl_command(target, ex)
    repro = (
        f'<p class="muted">Reproduce (the key is read from the environment):</p>'
        f'<pre class="curl">{_e(curl)}</pre>'
        if curl
        else '<p class="muted">No reproduction: the request body was not recorded whole.</p>'
    )
    return f'<div class="evidence">{repro}{_exchange(index, ex)}</div>'


def _exchange(index: int, ex: ExchangeSummary) -> str:
    status = "no response" if ex.status is None else str(ex.status)
    ms = "&ndash;" if ex.ms is None else fmt_ms(ex.ms)
    error = f' &middot; <span class="bad">error: {_e(ex.error)}</span>' if ex.error else ""
    return (
        f'<div class="exchange"><p class="ex-head">Exchange #{index} <code>{_e(ex.method)} '
        f"{_e(ex.path)}</code> &rarr; <strong>{status}</strong> &middot; {ms} &middot; "
        f"{ex.bytes} bytes{error}</p>"
        f'<div class="excerpts"><div><p class="muted">request</p><pre>'
        f"{_e(ex.request_excerpt) or '(empty)'}</pre></div>"
        f'<div><p class="muted">response (its start and its end)</p>'
        f'<pre class="response">{_e(ex.response_excerpt) or "(empty)"}</pre>'
        "</div></div></div>"
    )


def _gates(report: RunReport) -> str:
    gates = latency_gates(report)
    if not gates:
        return ""
    rows, charts = [], []
    for g in gates:
        marks = dict(g.percentiles)
        rows.append(
            [
                f"<code>{_e(g.requirement)}</code> {g.metric}",
                f"<code>{_e(g.case_id)}</code>",
                str(g.n),
                *(fmt_ms(marks[p]) if p in marks else "&ndash;" for p in ("p50", "p90", "p99")),
                "&ndash;" if g.threshold_ms is None else f"p99 &le; {fmt_ms(g.threshold_ms)}",
                f'<span class="pill {g.decision.value}">{gate_word(g)}</span>'
                + (f'<br><span class="muted">{_e(g.why)}</span>' if g.why else ""),
            ]
        )
        samples = [(g.case_id, ms) for ms in g.samples_ms]
        chart = latency_svg(samples, f"{g.metric} of {g.case_id}", g.threshold_ms)
        if chart:
            charts.append(f"<figure>{chart}</figure>")
    head = ["Gate", "Case", "n", "p50", "p90", "p99", "Threshold", "Decision"]
    return (
        "<section><h2>Latency gates</h2><p>Time to first token (TTFT) and time per output "
        "token (TPOT), nearest-rank percentiles; a gate is decided only with enough samples."
        f"</p>{_table(head, rows, range(2, 6))}{''.join(charts)}</section>"
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
