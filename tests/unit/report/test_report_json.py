"""The JSON report: exact round trip, stable text, and rejection of anything not a report."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from llmconform.model import (
    Outcome,
    RunReport,
)
from llmconform.report import ReportFormatError, dumps, from_dict, loads, to_dict
from llmconform.resources import data_path


def _schema() -> dict[str, Any]:
    path = data_path("schemas", "report", "report.v1.json")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_schema_is_valid_2020_12_with_its_id() -> None:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:llmconform:schema:report/report.v1"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_round_trip_dict_and_text(sample: RunReport) -> None:
    assert from_dict(to_dict(sample)) == sample
    assert loads(dumps(sample)) == sample
    assert loads(dumps(sample).encode("utf-8")) == sample


def test_round_trip_empty_report(build: Any) -> None:
    empty = build.report(options={}, capabilities=(), complete=False, verdict=Outcome.SKIP)
    assert loads(dumps(empty)) == empty


def test_document_carries_format_and_every_field(sample: RunReport) -> None:
    doc = to_dict(sample)
    assert list(doc) == [
        "format",
        "format_version",
        "info",
        "verdict",
        "profiles",
        "counts",
        "cases",
        "requirements",
    ]
    assert doc["format"] == "llmconform-report"
    assert doc["format_version"] == 1
    assert doc["verdict"] == "fail"
    assert doc["info"]["capabilities"] == ["streaming", "tools"]
    assert doc["info"]["options"]["filters"] == ["chat-*"]
    req = doc["requirements"][1]
    assert {k: req[k] for k in ("id", "level", "area", "outcome")} == {
        "id": "CHAT-CREATED-002",
        "level": "SHOULD",
        "area": "core",
        "outcome": "warn",
    }
    assert req["profiles"] == ["chat-core"]
    assert req["cases"] == ["chat.basic", "chat.created.seconds"]
    failing = doc["cases"][1]
    assert failing["findings"][0]["path"] == "$.events[-1]"
    assert failing["exchanges"][1] == {
        "method": "POST",
        "path": "/chat/completions",
        "status": None,
        "ms": None,
        "bytes": 512,
        "error": "reset",
        "request_excerpt": "",
        "response_excerpt": "",
        "auth": "default",
        "auth_scheme": "bearer",
    }
    assert doc["profiles"][0] == {
        "name": "chat-core",
        "verdict": "not-certified",
        "reason": "1 requirement(s) failed",
        "requirements": 4,
        "passed": 1,
        "warned": 1,
        "failed": 1,
        "skipped": 1,
        "errored": 0,
        "failing": ["CHAT-STREAM-004"],
    }
    assert [p["verdict"] for p in doc["profiles"]] == [
        "not-certified",
        "certified",
        "inconclusive",
        "not-tested",
    ]
    assert doc["info"]["options"]["catalog_digest"].startswith("sha256:")
    Draft202012Validator(_schema()).validate(doc)


def test_profiles_round_trip_exactly(sample: RunReport) -> None:
    back = loads(dumps(sample))
    assert back.profiles == sample.profiles
    assert all(isinstance(p.failing, tuple) for p in back.profiles)
    assert [p.verdict for p in back.profiles] == [p.verdict for p in sample.profiles]


def test_to_dict_does_not_share_options(sample: RunReport) -> None:
    doc = to_dict(sample)
    doc["info"]["options"]["nested"]["a"] = "changed"
    assert sample.info.options["nested"]["a"] is None


def test_dumps_is_stable_and_canonical(build: Any) -> None:
    one = build.report(options={"b": 1, "a": {"y": 2, "x": 1}}, model="modèle")
    two = build.report(options={"a": {"x": 1, "y": 2}, "b": 1}, model="modèle")
    text = dumps(one)
    assert text == dumps(two) == dumps(one)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "format": "llmconform-report",\n' in text  # indent 2
    assert "modèle" in text  # ensure_ascii=False
    assert text.index('"a"') < text.index('"b"')
    assert text.index('"format"') < text.index('"info"') < text.index('"cases"')


def test_counts_are_ordered_by_outcome_then_name(build: Any) -> None:
    report = replace(build.report(), counts={"zeta": 1, "fail": 2, "pass": 3})
    assert list(to_dict(report)["counts"]) == ["pass", "fail", "zeta"]


def test_lone_surrogates_survive_as_utf8(build: Any, hostile: Any, sample: RunReport) -> None:
    report = hostile(sample, "bad byte \udcff here")
    text = dumps(report)
    text.encode("utf-8")  # would raise if a raw surrogate were left
    assert "\\udcff" in text
    assert loads(text) == report


def test_nan_is_refused_on_both_sides(build: Any) -> None:
    report = build.report((build.case("x", duration_ms=float("nan")),))
    with pytest.raises(ValueError):
        dumps(report)
    text = dumps(build.report((build.case("x"),))).replace("250.0", "NaN")
    with pytest.raises(ReportFormatError, match="NaN"):
        loads(text)


# --- rejection -------------------------------------------------------------------------


def _doc(sample: RunReport) -> dict[str, Any]:
    return copy.deepcopy(to_dict(sample))


def test_error_is_a_value_error() -> None:
    assert issubclass(ReportFormatError, ValueError)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json at all", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got an array"),
        ('{"hello": 1}', "$.format must be 'llmconform-report' (found missing)"),
        ('{"format": "sarif"}', "found 'sarif'"),
    ],
)
def test_loads_rejects_non_reports(text: str, fragment: str) -> None:
    with pytest.raises(ReportFormatError) as caught:
        loads(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_wrong_format_version(sample: RunReport, version: object) -> None:
    doc = _doc(sample)
    doc["format_version"] = version
    with pytest.raises(ReportFormatError, match=r"format_version .* reads version 1"):
        from_dict(doc)


def test_missing_key_names_key_and_path(sample: RunReport) -> None:
    doc = _doc(sample)
    del doc["info"]["model"]
    with pytest.raises(ReportFormatError) as caught:
        loads(json.dumps(doc))
    message = str(caught.value)
    assert "$.info" in message and "'model' is a required property" in message


def test_bad_outcome_names_path(sample: RunReport) -> None:
    doc = _doc(sample)
    doc["cases"][1]["outcome"] = "mostly-fine"
    with pytest.raises(ReportFormatError, match=r"\$\.cases\[1\]\.outcome: 'mostly-fine'"):
        from_dict(doc)


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["requirements"][0].update(level="MUSTN'T"), "$.requirements[0].level"),
        (lambda d: d["cases"][0].update(duration_ms="fast"), "$.cases[0].duration_ms"),
        (lambda d: d["cases"][0]["findings"].append({}), "$.cases[0].findings[0]"),
        (lambda d: d["cases"][1]["findings"][0].update(extra=1), "$.cases[1].findings[0]"),
        (lambda d: d.update(verdict="pass", surprise=True), "$"),
        (lambda d: d["counts"].update(fail=-1), "$.counts.fail"),
        (lambda d: d["info"].update(complete="yes"), "$.info.complete"),
        (lambda d: d.pop("requirements"), "$"),
        (lambda d: d.pop("profiles"), "$"),
        (lambda d: d["profiles"][0].update(verdict="certified-ish"), "$.profiles[0].verdict"),
        (lambda d: d["profiles"][1].update(passed=-1), "$.profiles[1].passed"),
        (lambda d: d["profiles"][1].pop("failing"), "$.profiles[1]"),
        (lambda d: d["profiles"][2].update(name=""), "$.profiles[2].name"),
        (lambda d: d["profiles"][3].update(score=0.9), "$.profiles[3]"),
        (
            lambda d: d["info"]["options"].update(catalog_digest="md5:abc"),
            "$.info.options.catalog_digest",
        ),
    ],
)
def test_schema_rejects_tampered_documents(sample: RunReport, mutate: Any, where: str) -> None:
    doc = _doc(sample)
    mutate(doc)
    with pytest.raises(ReportFormatError) as caught:
        from_dict(doc)
    assert f"invalid llmconform report at {where}:" in str(caught.value)


def test_huge_offending_value_is_clipped(sample: RunReport) -> None:
    doc = _doc(sample)
    doc["info"]["model"] = ["x" * 10_000]
    with pytest.raises(ReportFormatError) as caught:
        from_dict(doc)
    assert len(str(caught.value)) < 400
