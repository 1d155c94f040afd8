"""The JSON report: the source of truth from which every other format can be re-rendered.

`to_dict`/`from_dict` convert a `RunReport` to and from plain JSON data (an exact round
trip); `dumps`/`loads` add stable text and validation against `report.v1.json`. Keys come
out in a fixed order of our own (the dataclass field order), so two reports of the same run
diff cleanly; only the free-form `options` object is sorted alphabetically.
"""

from __future__ import annotations

import copy
import json
import math
import re
from functools import cache
from typing import Any

# No stubs in the venv (types-jsonschema is not a declared test dependency yet).
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ValidationError,
    best_match,
)

from llmconform.errors import EvidenceError
from llmconform.model import (
    JSON,
    CaseResult,
    ExchangeSummary,
    Finding,
    Level,
    Outcome,
    ProfileResult,
    ProfileVerdict,
    Requirement,
    RequirementResult,
    RunInfo,
    RunReport,
)
from llmconform.resources import data_path

FORMAT = "llmconform-report"
FORMAT_VERSION = 1
SCHEMA_ID = "urn:llmconform:schema:report/report.v1"

_MESSAGE_LIMIT = 300
# Lone surrogates, and the characters a terminal or an editor would act on or hide (DEL, C1
# controls such as U+0085 and U+009B, bidi overrides and isolates, zero-width characters).
_SURROGATE = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


class ReportFormatError(EvidenceError):
    """A document is not a valid llmconform report (the message names what and where)."""


# --- RunReport -> dict ---------------------------------------------------------------


def to_dict(report: RunReport) -> dict[str, Any]:
    """Convert a report to JSON-ready data (fresh objects; the report is not shared)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "info": _info_to_dict(report.info),
        "verdict": report.verdict.value,
        "profiles": [_profile_to_dict(p) for p in report.profiles],
        "counts": _sorted_counts(report.counts),
        "cases": [_case_to_dict(c) for c in report.cases],
        "requirements": [_requirement_to_dict(r) for r in report.requirements],
        # Only when there is one: reports without notes stay byte-identical to older ones.
        **({"notes": list(report.notes)} if report.notes else {}),
    }


def _info_to_dict(info: RunInfo) -> dict[str, Any]:
    return {
        "llmconform_version": info.llmconform_version,
        "edition": info.edition,
        "target": info.target,
        "model": info.model,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "complete": info.complete,
        "options": _sorted_json(info.options),
        "capabilities": list(info.capabilities),
    }


def _profile_to_dict(p: ProfileResult) -> dict[str, Any]:
    return {
        "name": p.name,
        "verdict": p.verdict.value,
        "reason": p.reason,
        "requirements": p.requirements,
        "passed": p.passed,
        "warned": p.warned,
        "failed": p.failed,
        "skipped": p.skipped,
        "errored": p.errored,
        "failing": list(p.failing),
    }


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    # Outcome names first in severity-reading order, then anything else alphabetically.
    known = [o.value for o in Outcome]
    order = {name: i for i, name in enumerate(known)}
    keys = sorted(counts, key=lambda k: (order.get(k, len(known)), k))
    return {k: counts[k] for k in keys}


def _sorted_json(value: JSON) -> JSON:
    """A deep copy with object keys sorted, so free-form data serialises stably."""
    if isinstance(value, dict):
        return {k: _sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted_json(v) for v in value]
    return copy.deepcopy(value)


def _case_to_dict(case: CaseResult) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "title": case.title,
        "api": case.api,
        "outcome": case.outcome.value,
        "reason": case.reason,
        "duration_ms": case.duration_ms,
        "requirements": list(case.requirements),
        "findings": [_finding_to_dict(f) for f in case.findings],
        "exchanges": [_exchange_to_dict(e) for e in case.exchanges],
        "metrics": _sorted_json(case.metrics),
    }


def _finding_to_dict(f: Finding) -> dict[str, Any]:
    doc = {
        "requirement": f.requirement,
        "level": f.level.value,
        "check": f.check,
        "message": f.message,
        "outcome": f.outcome.value,
        "path": f.path,
        "exchange": f.exchange,
    }
    if f.evidence:  # only when the engine found the text at `path`
        doc["evidence"] = f.evidence
    return doc


def _exchange_to_dict(e: ExchangeSummary) -> dict[str, Any]:
    return {
        "method": e.method,
        "path": e.path,
        "status": e.status,
        "ms": e.ms,
        "bytes": e.bytes,
        "error": e.error,
        "request_excerpt": e.request_excerpt,
        "response_excerpt": e.response_excerpt,
        "auth": e.auth,
        "auth_scheme": e.auth_scheme,
    }


def _requirement_to_dict(rr: RequirementResult) -> dict[str, Any]:
    req = rr.requirement
    return {
        "id": req.id,
        "level": req.level.value,
        "area": req.area,
        "statement": req.statement,
        "spec": req.spec,
        "rationale": req.rationale,
        "profiles": list(req.profiles),
        "outcome": rr.outcome.value,
        "cases": list(rr.cases),
        "findings": rr.findings,
    }


# --- dict -> RunReport ---------------------------------------------------------------


_MAX_DEPTH = 64  # far beyond any report's own; checked before anything walks it recursively
# Options read before their typed form is checked (verify finds the cassette and applies the
# waivers through them): each must have the shape a run writes. The others, mistyped, are
# differences verify reports (settings.run.read_options).
_OPTION_SHAPES: dict[str, str] = {
    "cassette": "evidence",
    "failing_examples": "evidence",
    "waivers": "waivers",
}


def _depth(value: object) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:  # iterative: the document may be nested far beyond the stack
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > _MAX_DEPTH:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _shape_ok(kind: str, value: object) -> bool:
    if value is None:
        return True
    if kind == "evidence":
        return isinstance(value, dict) and all(
            isinstance(value.get(k), str) for k in ("path", "sha256")
        )
    return isinstance(value, list) and all(  # waivers
        isinstance(w, dict) and all(isinstance(v, str) for v in w.values()) for w in value
    )


def _check_options(options: object) -> None:
    if _depth(options) > _MAX_DEPTH:
        raise ReportFormatError(f"info.options is nested deeper than {_MAX_DEPTH} levels")
    assert isinstance(options, dict)  # the schema says so
    for key, kind in _OPTION_SHAPES.items():
        if not _shape_ok(kind, options.get(key)):
            raise ReportFormatError(f"info.options.{key} does not have the shape a run writes")


def from_dict(d: object) -> RunReport:
    """Validate report data and build the `RunReport`; raises `ReportFormatError`."""
    if _depth(d) > _MAX_DEPTH:
        raise ReportFormatError(f"not an llmconform report: nested deeper than {_MAX_DEPTH}")
    doc = validate(d)
    info = doc["info"]
    _check_options(info["options"])
    return RunReport(
        info=RunInfo(
            llmconform_version=info["llmconform_version"],
            edition=info["edition"],
            target=info["target"],
            model=info["model"],
            started_at=info["started_at"],
            finished_at=info["finished_at"],
            complete=info["complete"],
            options=copy.deepcopy(info["options"]),
            capabilities=tuple(info["capabilities"]),
        ),
        cases=tuple(_case_from_dict(c) for c in doc["cases"]),
        requirements=tuple(_requirement_from_dict(r) for r in doc["requirements"]),
        verdict=Outcome(doc["verdict"]),
        counts=dict(doc["counts"]),
        profiles=tuple(_profile_from_dict(p) for p in doc["profiles"]),
        notes=tuple(doc.get("notes") or ()),
    )


def _profile_from_dict(p: dict[str, Any]) -> ProfileResult:
    return ProfileResult(
        name=p["name"],
        verdict=ProfileVerdict(p["verdict"]),
        requirements=p["requirements"],
        passed=p["passed"],
        warned=p["warned"],
        failed=p["failed"],
        skipped=p["skipped"],
        errored=p["errored"],
        failing=tuple(p["failing"]),
        reason=p["reason"],
    )


def _case_from_dict(c: dict[str, Any]) -> CaseResult:
    return CaseResult(
        case_id=c["case_id"],
        title=c["title"],
        api=c["api"],
        outcome=Outcome(c["outcome"]),
        findings=tuple(
            Finding(
                requirement=f["requirement"],
                level=Level(f["level"]),
                check=f["check"],
                message=f["message"],
                outcome=Outcome(f["outcome"]),
                path=f["path"],
                exchange=f["exchange"],
                evidence=f.get("evidence", ""),
            )
            for f in c["findings"]
        ),
        requirements=tuple(c["requirements"]),
        reason=c["reason"],
        duration_ms=float(c["duration_ms"]),
        exchanges=tuple(
            ExchangeSummary(
                method=e["method"],
                path=e["path"],
                status=e["status"],
                ms=None if e["ms"] is None else float(e["ms"]),
                bytes=e["bytes"],
                error=e["error"],
                request_excerpt=e["request_excerpt"],
                response_excerpt=e["response_excerpt"],
                auth=e.get("auth", "default"),
                auth_scheme=e.get("auth_scheme", "bearer"),
            )
            for e in c["exchanges"]
        ),
        metrics=copy.deepcopy(c.get("metrics", {})),
    )


def _requirement_from_dict(r: dict[str, Any]) -> RequirementResult:
    return RequirementResult(
        requirement=Requirement(
            id=r["id"],
            level=Level(r["level"]),
            area=r["area"],
            statement=r["statement"],
            spec=r["spec"],
            rationale=r["rationale"],
            profiles=tuple(r["profiles"]),
        ),
        outcome=Outcome(r["outcome"]),
        cases=tuple(r["cases"]),
        findings=r["findings"],
    )


# --- validation and text -------------------------------------------------------------


@cache
def _validator() -> Draft202012Validator:
    resource = data_path("schemas", "report", "report.v1.json")
    schema = json.loads(resource.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def validate(d: object) -> dict[str, Any]:
    """Check that `d` is a version-1 llmconform report and return it; else `ReportFormatError`.

    The identity checks come first so that a foreign document or a newer format gets a
    plain answer instead of a list of schema complaints.
    """
    if not isinstance(d, dict):
        raise ReportFormatError(
            f"not an llmconform report: expected a JSON object, got {_json_type(d)}"
        )
    if d.get("format") != FORMAT:
        found = _clip(repr(d["format"])) if "format" in d else "missing"
        raise ReportFormatError(
            f"not an llmconform report: $.format must be {FORMAT!r} (found {found})"
        )
    version = d.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ReportFormatError(
            f"unsupported report format_version {_clip(repr(version))} at $.format_version: "
            f"this llmconform reads version {FORMAT_VERSION}"
        )
    error = best_match(_validator().iter_errors(d))
    if error is not None:
        raise ReportFormatError(
            f"invalid llmconform report at {_json_path(error)}: {_clip(error.message)}"
        )
    return d


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _clip(text: str) -> str:
    # jsonschema messages quote the offending instance, which may be huge or hostile.
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def dumps(report: RunReport) -> str:
    """Serialise a report as stable, strict JSON (indent 2, UTF-8 text, trailing newline).

    Raises `ValueError` for NaN or infinite numbers, which strict JSON cannot carry.
    """
    text = json.dumps(to_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    # Lone surrogates (undecodable target bytes) cannot be encoded as UTF-8, and controls or
    # bidi characters would be acted on by whatever shows the file; they can only sit inside
    # JSON strings, where a \u escape denotes the very same string.
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text + "\n"


def loads(text: str | bytes) -> RunReport:
    """Parse and validate a JSON report; raises `ReportFormatError` for anything else."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:  # bad JSON or encoding, NaN, absurd nesting
        raise ReportFormatError(f"not an llmconform report: not valid JSON ({exc})") from exc
    return from_dict(data)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: strict JSON syntax, but no report can write it back
        raise ValueError(f"{text[:40]} is out of range")
    return value


def _reject_constant(name: str) -> None:
    # Python's json accepts NaN/Infinity by default; a report must be strict JSON.
    raise ValueError(f"{name} is not allowed in strict JSON")
