"""Load requirements and cases from the YAML files under `conformance/` (pure but for reading them).

A conformance file holds an `area`, the `requirements` of that area and the `cases` that test
them. Loading validates everything a typo could break (unknown keys, duplicate ids, unknown
checks, checks whose requirements are not declared) so that a bad edit fails loudly at load
time, not as a silent pass during a run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmconform.catalog.cache import UnparsableFile, load_documents
from llmconform.errors import CatalogError
from llmconform.model import Case, CheckRef, Level, Requirement
from llmconform.resources import data_path

_REQUIREMENT_KEYS = {"id", "level", "statement", "spec", "rationale", "profiles"}
_CASE_KEYS = {"id", "title", "api", "steps", "checks", "requires", "scenario", "tags"}
_FILE_KEYS = {"area", "api", "requirements", "cases", "profiles"}
_PROFILE_KEYS = {"apis"}


@dataclass(frozen=True)
class Catalog:
    """Every requirement and case of an edition, keyed by id, in file order."""

    requirements: dict[str, Requirement]
    cases: dict[str, Case]
    # A profile scoped to API families is judged on cases of those APIs only: a legacy
    # /completions stream without [DONE] must not decertify chat streaming, though both
    # report on the shared STREAM-003. Profiles not listed span every API (errors-and-auth).
    profile_apis: dict[str, frozenset[str]] = field(default_factory=dict)

    def digest(self) -> str:
        """A stable SHA-256 over requirement, case and profile definitions (the edition's
        fingerprint)."""
        content: dict[str, Any] = {
            "requirements": [_req_key(r) for r in self.requirements.values()],
            "cases": [_case_key(c) for c in self.cases.values()],
        }
        if self.profile_apis:  # absent from older editions' fingerprints, which had none
            content["profile_apis"] = {k: sorted(v) for k, v in self.profile_apis.items()}
        payload = json.dumps(
            content,
            sort_keys=True,
            separators=(",", ":"),
        )
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def _req_key(r: Requirement) -> dict[str, Any]:
    return {"id": r.id, "level": r.level.value, "statement": r.statement, "profiles": r.profiles}


def _case_key(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "steps": c.steps,
        "checks": [[ref.name, ref.args] for ref in c.checks],
        "requires": c.requires,
        "scenario": c.scenario,
    }


def conformance_dir() -> Path:
    """The packaged `conformance/` folder (works from a wheel and from a checkout)."""
    return data_path("conformance")


def load_catalog(
    root: Path | None = None,
    known_checks: Mapping[str, tuple[str, ...]] | None = None,
    *,
    use_cache: bool = True,
) -> Catalog:
    """Load every `*.yaml` below `root` (default: the packaged folder); `use_cache=False`
    parses the YAML even when a cached copy exists (verification).

    `known_checks` maps check names to the requirement ids they report on; when given, each
    case's checks must exist and their requirements must be declared somewhere in the catalog.
    """
    root = root or conformance_dir()
    requirements: dict[str, Requirement] = {}
    cases: dict[str, Case] = {}
    files = sorted(root.rglob("*.yaml"))
    if not files:
        raise CatalogError(f"no conformance files found under {root}")
    try:
        documents = load_documents(root, files, use_cache=use_cache)
    except UnparsableFile as exc:
        raise CatalogError(str(exc)) from exc
    profile_apis: dict[str, frozenset[str]] = {}
    for rel, doc in documents:
        for name, apis in _parse_profiles(doc, rel).items():
            if name in profile_apis:
                raise CatalogError(f"{rel}: profile {name!r} is scoped in another file too")
            profile_apis[name] = apis
        for req in _parse_requirements(doc, rel):
            if req.id in requirements:
                raise CatalogError(f"{rel}: duplicate requirement id {req.id}")
            requirements[req.id] = req
        for case in _parse_cases(doc, rel):
            if case.id in cases:
                raise CatalogError(f"{rel}: duplicate case id {case.id}")
            cases[case.id] = case
    if known_checks is not None:
        _cross_check(cases.values(), requirements, known_checks)
    _check_profile_scopes(profile_apis, requirements, cases)
    return Catalog(requirements, cases, profile_apis)


def _parse_profiles(doc: Any, rel: str) -> dict[str, frozenset[str]]:
    raw = doc.get("profiles") if isinstance(doc, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogError(f"{rel}: 'profiles' must map profile names to {{apis: [...]}}")
    out: dict[str, frozenset[str]] = {}
    for name, spec in raw.items():
        where = f"{rel}: profiles.{name}"
        apis = _str_list(_mapping(spec, where, _PROFILE_KEYS).get("apis"), f"{where}.apis")
        if not apis:
            raise CatalogError(f"{where}: 'apis' must list at least one API")
        out[str(name)] = frozenset(apis)
    return out


def _check_profile_scopes(
    scopes: Mapping[str, frozenset[str]],
    requirements: Mapping[str, Requirement],
    cases: Mapping[str, Case],
) -> None:
    named = {p for r in requirements.values() for p in r.profiles}
    apis = {c.api for c in cases.values()}
    for name, scope in scopes.items():
        if name not in named:
            raise CatalogError(f"profile scope for {name!r}: no requirement names that profile")
        unknown = sorted(scope - apis)
        if unknown:
            raise CatalogError(
                f"profile scope for {name!r}: unknown API(s) {unknown}; known: {sorted(apis)}"
            )


def _mapping(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: expected a mapping, got {type(value).__name__}")
    unknown = set(value) - allowed
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return value


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: expected a list of strings")
    return tuple(value)


def _parse_requirements(doc: Any, rel: str) -> Iterable[Requirement]:
    doc = _mapping(doc, rel, _FILE_KEYS)
    area = doc.get("area")
    if not isinstance(area, str):
        raise CatalogError(f"{rel}: 'area' must be a string")
    for i, raw in enumerate(doc.get("requirements") or []):
        where = f"{rel}: requirements[{i}]"
        item = _mapping(raw, where, _REQUIREMENT_KEYS)
        try:
            level = Level(str(item.get("level")))
        except ValueError:
            raise CatalogError(f"{where}: level must be MUST, SHOULD or MAY") from None
        if not isinstance(item.get("id"), str) or not isinstance(item.get("statement"), str):
            raise CatalogError(f"{where}: 'id' and 'statement' are required strings")
        yield Requirement(
            id=item["id"],
            level=level,
            area=area,
            statement=item["statement"].strip(),
            spec=str(item.get("spec", "")),
            rationale=str(item.get("rationale", "")).strip(),
            profiles=_str_list(item.get("profiles"), f"{where}.profiles"),
        )


def _parse_cases(doc: dict[str, Any], rel: str) -> Iterable[Case]:
    default_api = doc.get("api", "")
    for i, raw in enumerate(doc.get("cases") or []):
        where = f"{rel}: cases[{i}]"
        item = _mapping(raw, where, _CASE_KEYS)
        case_id = item.get("id")
        if not isinstance(case_id, str) or not case_id:
            raise CatalogError(f"{where}: 'id' is required")
        steps = item.get("steps") or []
        if not isinstance(steps, list) or (not steps and not item.get("scenario")):
            raise CatalogError(
                f"{where} ({case_id}): needs a non-empty 'steps' list or a 'scenario'"
            )
        yield Case(
            id=case_id,
            title=str(item.get("title", case_id)),
            api=str(item.get("api", default_api)),
            steps=tuple(steps),
            checks=tuple(_parse_check(c, f"{where} ({case_id})") for c in item.get("checks") or []),
            requires=_str_list(item.get("requires"), f"{where}.requires"),
            scenario=item.get("scenario"),
            tags=_str_list(item.get("tags"), f"{where}.tags"),
            source=rel,
        )


def _parse_check(raw: Any, where: str) -> CheckRef:
    """A check is a name, or a one-key mapping `{name: {arg: value}}`."""
    if isinstance(raw, str):
        return CheckRef(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((name, args),) = raw.items()
        if args is None:
            args = {}
        if isinstance(name, str) and isinstance(args, dict):
            return CheckRef(name, tuple(sorted(args.items())))
    raise CatalogError(f"{where}: a check must be a name or {{name: {{args}}}}, got {raw!r}")


def _cross_check(
    cases: Iterable[Case],
    requirements: Mapping[str, Requirement],
    known_checks: Mapping[str, tuple[str, ...]],
) -> None:
    for case in cases:
        if not case.checks:
            raise CatalogError(f"{case.source}: case {case.id} applies no check")
        for ref in case.checks:
            if ref.name not in known_checks:
                raise CatalogError(
                    f"{case.source}: case {case.id} names unknown check {ref.name!r}"
                )
            missing = [r for r in known_checks[ref.name] if r not in requirements]
            if missing:
                raise CatalogError(
                    f"check {ref.name!r} reports on undeclared requirement(s) {missing}"
                )
