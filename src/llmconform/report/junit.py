"""JUnit XML: one `<testsuite>` per API, one `<testcase>` per case, for CI dashboards.

Mapping: fail → `<failure>`, error → `<error>` (the harness or network broke), skip and
unsupported → `<skipped>`, warn → a passing test with its warnings in `<system-out>`.
Finding messages come from the target and may hold anything, so every string goes through
`xml_safe` (ElementTree escapes markup but would happily emit a NUL, which no XML parser
accepts).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from llmconform.model import CaseResult, ExchangeSummary, Finding, Outcome, RunReport
from llmconform.report._common import (
    catalog_digest,
    multiline_safe,
    skip_reason,
    target_text,
    xml_safe,
)

_MESSAGE_LIMIT = 200


def render_junit(report: RunReport) -> str:
    """Render the report as a JUnit XML document (a string with an XML declaration)."""
    suites_by_api: dict[str, list[CaseResult]] = {}
    for case in report.cases:
        suites_by_api.setdefault(case.api, []).append(case)

    root = ET.Element("testsuites", name="llmconform")
    totals = _Tally()
    for api in sorted(suites_by_api):
        suite = ET.SubElement(root, "testsuite", name=_attr(f"llmconform.{api}"))
        _add_properties(suite, report)
        tally = _Tally()
        for case in suites_by_api[api]:
            _add_case(suite, case, api)
            tally.add(case)
        tally.stamp(suite)
        totals.merge(tally)
    if not report.info.complete:
        totals.merge(_incomplete_suite(root, report))
    elif report.verdict is Outcome.SKIP:
        totals.merge(_not_tested_suite(root, report))
    totals.stamp(root)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


class _Tally:
    """The counters JUnit consumers cross-check against the testcases."""

    def __init__(self) -> None:
        self.tests = self.failures = self.errors = self.skipped = 0
        self.seconds = 0.0

    def add(self, case: CaseResult) -> None:
        self.tests += 1
        self.failures += case.outcome is Outcome.FAIL
        self.errors += case.outcome is Outcome.ERROR
        self.skipped += case.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED)
        self.seconds += _seconds(case)

    def merge(self, other: _Tally) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.seconds += other.seconds

    def stamp(self, element: ET.Element) -> None:
        element.set("tests", str(self.tests))
        element.set("failures", str(self.failures))
        element.set("errors", str(self.errors))
        element.set("skipped", str(self.skipped))
        element.set("time", f"{self.seconds:.3f}")


def _seconds(case: CaseResult) -> float:
    # Rounded per case so that a suite's time is exactly the sum of what its cases show.
    return round(max(case.duration_ms, 0.0) / 1000, 3)


def _add_properties(suite: ET.Element, report: RunReport) -> None:
    info = report.info
    props = ET.SubElement(suite, "properties")
    values = [
        ("edition", info.edition),
        ("catalog_digest", catalog_digest(info)),
        ("version", info.llmconform_version),
        ("target", target_text(info.target)),
        ("model", target_text(info.model)),
        ("complete", "true" if info.complete else "false"),
        ("verdict", report.verdict.value),
        *((f"profile.{p.name}", p.verdict.value) for p in report.profiles),
        ("started_at", info.started_at),
        ("capabilities", ",".join(info.capabilities)),
        ("strict", "true" if info.options.get("strict") else "false"),
        *((f"note.{i}", note) for i, note in enumerate(report.notes, 1)),
    ]
    for name, value in values:
        ET.SubElement(props, "property", name=_attr(name), value=_attr(value))


def _incomplete_suite(root: ET.Element, report: RunReport) -> _Tally:
    """An interrupted run lists only the cases that finished, all of which may have passed;
    a dashboard would show it green. One erroring testcase says the run is partial."""
    suite = ET.SubElement(root, "testsuite", name="llmconform.run")
    _add_properties(suite, report)
    testcase = ET.SubElement(
        suite, "testcase", classname="llmconform.run", name="run.complete", time="0.000"
    )
    why = (
        "the run did not complete (interrupted, or stopped by --deadline): cases that had "
        "not finished are not in this report, which certifies nothing"
    )
    ET.SubElement(testcase, "error", message=why, type="incomplete").text = why
    tally = _Tally()
    tally.tests = tally.errors = 1
    tally.stamp(suite)
    return tally


def _not_tested_suite(root: ET.Element, report: RunReport) -> _Tally:
    """A run that tested nothing lists only skipped cases, which a dashboard may show green.
    One erroring testcase says nothing was tested (exit code 5), and why."""
    suite = ET.SubElement(root, "testsuite", name="llmconform.run")
    _add_properties(suite, report)
    testcase = ET.SubElement(
        suite, "testcase", classname="llmconform.run", name="run.tested", time="0.000"
    )
    why = "; ".join(report.notes) or "nothing was tested"
    ET.SubElement(
        testcase, "error", message=_attr(why, limit=_MESSAGE_LIMIT), type="not-tested"
    ).text = _safe(why)
    tally = _Tally()
    tally.tests = tally.errors = 1
    tally.stamp(suite)
    return tally


def _add_case(suite: ET.Element, case: CaseResult, api: str) -> None:
    testcase = ET.SubElement(
        suite,
        "testcase",
        classname=_attr(f"llmconform.{api}"),
        name=_attr(case.case_id),
        time=f"{_seconds(case):.3f}",
    )
    outcome = case.outcome
    if outcome is Outcome.FAIL:
        failing = [f for f in case.findings if f.outcome is Outcome.FAIL]
        ids = list(dict.fromkeys(f.requirement for f in failing))
        first = failing[0].message if failing else case.reason or "case failed"
        element = ET.SubElement(
            testcase,
            "failure",
            message=_attr(first, limit=_MESSAGE_LIMIT),
            type=_attr(", ".join(ids)),
        )
        element.text = _safe(_findings_text(case.findings) or case.reason)
    elif outcome is Outcome.ERROR:
        reason = case.reason or "the harness or the network failed"
        element = ET.SubElement(
            testcase, "error", message=_attr(reason, limit=_MESSAGE_LIMIT), type="error"
        )
        element.text = _safe("\n".join(filter(None, [reason, _findings_text(case.findings)])))
    elif outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
        ET.SubElement(testcase, "skipped", message=_attr(skip_reason(case), limit=_MESSAGE_LIMIT))

    out = _system_out(case)
    if out:
        ET.SubElement(testcase, "system-out").text = _safe(out)


def _finding_line(f: Finding) -> str:
    where = f" (at {f.path})" if f.path else ""
    return f"[{f.requirement} {f.level.value}] {f.check}: {f.message}{where}"


def _findings_text(findings: Iterable[Finding]) -> str:
    return "\n".join(_finding_line(f) for f in findings)


def _exchange_lines(index: int, e: ExchangeSummary) -> list[str]:
    status = "-" if e.status is None else str(e.status)
    ms = "-" if e.ms is None else f"{e.ms:.1f} ms"
    head = f"#{index} {e.method} {e.path} -> {status}, {ms}, {e.bytes} bytes"
    if e.error:
        head += f", error: {e.error}"
    lines = [head]
    if e.request_excerpt:
        lines.append(f"  request:  {e.request_excerpt}")
    if e.response_excerpt:
        lines.append(f"  response: {e.response_excerpt}")
    return lines


def _system_out(case: CaseResult) -> str:
    """The warnings of a passing-with-warnings case, and the exchanges of a non-pass case."""
    if case.outcome not in (Outcome.WARN, Outcome.FAIL, Outcome.ERROR):
        return ""
    parts: list[str] = []
    warnings = [f for f in case.findings if f.outcome is Outcome.WARN]
    if case.outcome is Outcome.WARN and warnings:
        # A failure's text already lists every finding; only a warn case needs them here.
        parts.append("warnings:\n" + _findings_text(warnings))
    if case.exchanges:
        lines = [line for i, e in enumerate(case.exchanges) for line in _exchange_lines(i, e)]
        parts.append("exchanges:\n" + "\n".join(lines))
    return "\n".join(parts)


def _safe(text: str) -> str:
    """Legal XML in which controls, bidi overrides and invisible format characters are
    shown as `\\xNN`/`\\uNNNN`, as on the terminal (a CI page renders this text)."""
    return multiline_safe(xml_safe(text))  # what XML cannot hold is dropped first


def _attr(text: str, *, limit: int | None = None) -> str:
    """An attribute value: legal XML; a short message is also put on one line and clipped."""
    safe = _safe(text)
    if limit is None:
        return safe
    flat = " ".join(safe.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
