"""JUnit XML: structure, counts, stable names, and hostile target text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from llmconform.model import Outcome, RunReport
from llmconform.report import render_junit


def _parse(report: RunReport) -> ET.Element:
    return ET.fromstring(render_junit(report).encode("utf-8"))


def _case(root: ET.Element, name: str) -> ET.Element:
    found = root.findall(f".//testcase[@name='{name}']")
    assert len(found) == 1, name
    return found[0]


def test_one_suite_per_api_with_consistent_counts(sample: RunReport) -> None:
    root = _parse(sample)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["llmconform.chat", "llmconform.responses"]
    chat = suites["llmconform.chat"]
    assert {k: chat.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "6",
        "failures": "1",
        "errors": "1",
        "skipped": "2",
    }
    assert suites["llmconform.responses"].get("tests") == "1"
    assert suites["llmconform.responses"].get("failures") == "0"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "7",
        "failures": "1",
        "errors": "1",
        "skipped": "2",
    }
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", "")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
        times = sum(float(c.get("time", "")) for c in cases)
        assert float(suite.get("time", "")) == pytest.approx(times, abs=1e-9)
    assert float(root.get("time", "")) == pytest.approx(5 * 0.25 + 1.2345 + 0.1, abs=2e-3)


def test_testcase_names_are_case_ids_in_run_order(sample: RunReport) -> None:
    root = _parse(sample)
    chat = root.findall("testsuite")[0]
    assert [c.get("name") for c in chat.findall("testcase")] == [
        "chat.basic",
        "chat.stream.done",
        "chat.created.seconds",
        "chat.tools.roundtrip",
        "chat.logprobs",
        "chat.n2",
    ]
    assert {c.get("classname") for c in chat.findall("testcase")} == {"llmconform.chat"}
    assert render_junit(sample) == render_junit(sample)


def test_failure_lists_every_finding(sample: RunReport) -> None:
    failure = _case(_parse(sample), "chat.stream.done").find("failure")
    assert failure is not None
    assert failure.get("type") == "CHAT-STREAM-004"
    assert failure.get("message") == "stream ended without data: [DONE]"
    assert (failure.text or "").splitlines() == [
        "[CHAT-STREAM-004 MUST] stream.done_sentinel: stream ended without data: [DONE]"
        " (at $.events[-1])",
        "[CHAT-STREAM-004 MUST] stream.done_sentinel: second problem",
    ]


def test_failure_type_names_each_failed_requirement_once(build: Any) -> None:
    findings = (
        build.finding("A-1"),
        build.finding("B-2"),
        build.finding("A-1", message="again"),
        build.finding("C-3", Outcome.WARN),
    )
    report = build.report((build.case("x", Outcome.FAIL, findings=findings),))
    failure = _case(_parse(report), "x").find("failure")
    assert failure is not None and failure.get("type") == "A-1, B-2"
    assert len((failure.text or "").splitlines()) == 4


def test_error_skip_unsupported_and_warn(sample: RunReport) -> None:
    root = _parse(sample)
    error = _case(root, "chat.tools.roundtrip").find("error")
    assert error is not None and error.get("message") == "connection refused"
    skipped = _case(root, "chat.logprobs").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "capability 'logprobs' not declared"
    unsupported = _case(root, "chat.n2").find("skipped")
    assert unsupported is not None
    assert unsupported.get("message") == "unsupported: n>1 rejected with 400"

    warn = _case(root, "chat.created.seconds")
    assert [child.tag for child in warn] == ["system-out"]
    assert "[CHAT-CREATED-002 SHOULD] chat.created: created looks like milliseconds" in (
        warn.findtext("system-out") or ""
    )
    assert list(_case(root, "responses.basic")) == []


def test_failed_case_shows_exchanges_as_evidence(sample: RunReport) -> None:
    out = _case(_parse(sample), "chat.stream.done").findtext("system-out") or ""
    assert "#0 POST /chat/completions -> 200, 12.5 ms, 512 bytes" in out
    assert "#1 POST /chat/completions -> -, -, 512 bytes, error: reset" in out


def test_properties_name_the_run(sample: RunReport) -> None:
    suite = _parse(sample).findall("testsuite")[0]
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["edition"] == "2026.11"
    assert props["version"] == "0.1.0"
    assert props["target"] == "http://127.0.0.1:8000/v1"
    assert props["model"] == "test-model"


def test_hostile_message_is_stripped_and_escaped(sample: RunReport, hostile: Any) -> None:
    message = "bad\x00\x01\x08\x0b\x0c\x1f\ufffe\udcff<script>alert('x')</script> & \x1b[31mred"
    xml = render_junit(hostile(sample, message))
    for char in "\x00\x01\x08\x0b\x0c\x1f\ufffe\udcff\x1b":
        assert char not in xml, repr(char)
    assert "<script>" not in xml
    assert "&lt;script&gt;" in xml
    failure = _case(ET.fromstring(xml.encode("utf-8")), "chat.stream.done").find("failure")
    assert failure is not None
    expected = "bad<script>alert('x')</script> & [31mred"
    assert failure.get("message") == expected
    assert expected in (failure.text or "")


def test_long_multiline_message_attribute_is_one_clipped_line(
    sample: RunReport, hostile: Any
) -> None:
    failure = _case(_parse(hostile(sample, "a\nb\r\n" + "x" * 1000)), "chat.stream.done")
    message = failure.find("failure").get("message")  # type: ignore[union-attr]
    assert message is not None
    assert message.startswith("a b xxx") and len(message) == 200 and message.endswith("…")


def test_empty_report_is_valid_xml(build: Any) -> None:
    root = _parse(build.report())
    assert root.get("tests") == "0" and root.findall("testsuite") == []


def test_declaration_and_trailing_newline(sample: RunReport) -> None:
    xml = render_junit(sample)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert xml.endswith("</testsuites>\n")


def test_properties_carry_digest_and_profile_verdicts(sample: RunReport) -> None:
    root = _parse(sample)
    for suite in root.findall("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert props["edition"] == "2026.11"
        assert props["catalog_digest"] == "sha256:" + "0123456789abcdef" * 4
        assert props["profile.chat-core"] == "not-certified"
        assert props["profile.chat-streaming"] == "certified"
        assert props["profile.embeddings"] == "not-tested"


def test_hostile_profile_name_stays_well_formed(build: Any) -> None:
    report = build.report((build.case("x"),), profiles=(build.profile('a"<&>\x00b'),))
    props = {p.get("name") for p in _parse(report).findall(".//property")}
    assert 'profile.a"<&>b' in props


def test_an_incomplete_run_is_never_green(build: Any) -> None:
    # Only finished cases are listed and all passed: without the extra error a dashboard
    # would show an interrupted run as a clean one.
    cases = (build.case("chat.basic"),)
    partial = _parse(build.report(cases, verdict=Outcome.ERROR, complete=False))
    assert partial.get("errors") == "1" and partial.get("tests") == "2"
    error = _case(partial, "run.complete").find("error")
    assert error is not None and "did not complete" in (error.get("message") or "")
    whole = _parse(build.report(cases))
    assert whole.get("errors") == "0" and not whole.findall(".//testcase[@name='run.complete']")
