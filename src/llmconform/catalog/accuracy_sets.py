"""Accuracy fixture sets (data): load and validate a set, build the request of one item.

A set lives in `fixtures/accuracy/<name>.yaml`: a `kind` (which scorer applies), a `threshold`,
the `normalisation` rules the scorer applies (stated in the report), and `items`. A case opts in
with the tag `accuracy` and names its set once, through the check it applies (`accuracy.<set>`):
the check has to be per set anyway (each set reports on its own requirement, and coverage is per
check), the expander (`engine.accuracy`) reads the same name, so the two cannot disagree, and
check names are part of the edition digest while tags are not. The case's single step is the
request template (model, temperature, seed, max_tokens); each item adds its messages and, where
it needs them, `response_format` or `tools`. Scoring replies is check logic: see
`checks.accuracy_scoring`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from llmconform.catalog.steps import PlanError
from llmconform.errors import UsageError
from llmconform.model import Case
from llmconform.resources import data_path
from llmconform.schema.validation import schema_problem

# Constraint kinds of instruction sets and the type of their value (scored in
# checks.accuracy_scoring).
CONSTRAINT_TYPES: dict[str, type] = {
    "word_count": int,
    "max_words": int,
    "max_chars": int,
    "bullets": int,
    "lines": int,
    "starts_with": str,
    "ends_with": str,
    "contains": str,
    "excludes": str,
    "uppercase": bool,
    "lowercase": bool,
    "no_commas": bool,
}
CHECK_PREFIX = "accuracy."
_COMMON_KEYS = {"kind", "description", "threshold", "normalisation", "items"}
# kind -> (extra set-level keys, item keys); every listed key is required.
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "integer": (frozenset(), frozenset({"id", "prompt", "answer"})),
    "label": (frozenset({"labels", "template"}), frozenset({"id", "text", "label"})),
    "json_schema": (frozenset(), frozenset({"id", "prompt", "schema", "expect"})),
    "tool_choice": (frozenset({"tools"}), frozenset({"id", "prompt", "expect"})),
    "instructions": (frozenset(), frozenset({"id", "prompt", "constraints"})),
}
NO_TOOL = "none"


class SetError(UsageError):
    """An accuracy set file is missing or malformed; the message names the set and the entry."""


@dataclass(frozen=True)
class AccuracySet:
    """A validated fixture set. `items` are the raw item mappings (validated per `kind`)."""

    name: str
    kind: str
    description: str
    threshold: float
    normalisation: tuple[str, ...]
    items: tuple[Mapping[str, Any], ...]
    extra: Mapping[str, Any]  # kind-specific set-level data: labels, template, tools
    sha256: str  # of the file, so a report names exactly the data that was used


def set_names() -> list[str]:
    """Names of the packaged sets."""
    folder = data_path("fixtures", "accuracy")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_set(name: str) -> AccuracySet:
    """Load and validate the packaged set `name` (cached: sets are immutable data)."""
    resource = data_path("fixtures", "accuracy") / f"{name}.yaml"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not resource.is_file():
        raise SetError(f"unknown accuracy set {name!r}; known sets: {', '.join(set_names())}")
    text = resource.read_text(encoding="utf-8")
    return parse_set(name, text)


def parse_set(name: str, text: str) -> AccuracySet:
    """Validate the YAML text of a set: unknown or missing keys are errors naming the entry."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SetError(f"accuracy set {name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
        raise SetError(f"accuracy set {name}: 'kind' must be one of {sorted(KINDS)}")
    set_keys, item_keys = KINDS[doc["kind"]]
    _keys(doc, _COMMON_KEYS | set_keys, f"accuracy set {name}")
    threshold = doc["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise SetError(f"accuracy set {name}: 'threshold' must be a number")
    if not 0 < threshold <= 1:
        raise SetError(f"accuracy set {name}: 'threshold' must be in (0, 1]")
    rules = doc["normalisation"]
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        raise SetError(f"accuracy set {name}: 'normalisation' must be a non-empty list of strings")
    items = doc["items"]
    if not isinstance(items, list) or not items:
        raise SetError(f"accuracy set {name}: 'items' must be a non-empty list")
    extra = {k: doc[k] for k in set_keys}
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"accuracy set {name}: items[{i}]"
        _keys(item, item_keys, where)
        if not isinstance(item["id"], str) or item["id"] in seen:
            raise SetError(f"{where}: 'id' must be a unique string")
        seen.add(item["id"])
        _VALIDATORS[doc["kind"]](item, extra, f"{where} ({item['id']})")
    return AccuracySet(
        name=name,
        kind=doc["kind"],
        description=str(doc["description"]),
        threshold=float(threshold),
        normalisation=tuple(rules),
        items=tuple(items),
        extra=extra,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def _keys(value: Any, required: set[str] | frozenset[str], where: str) -> None:
    if not isinstance(value, dict):
        raise SetError(f"{where}: expected a mapping")
    unknown, missing = set(value) - required, required - set(value)
    if unknown:
        raise SetError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(required)}")
    if missing:
        raise SetError(f"{where}: missing key(s) {sorted(missing)}")


def _fail(where: str, what: str) -> None:
    raise SetError(f"{where}: {what}")


def _check_integer(item: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> None:
    if not isinstance(item["prompt"], str) or type(item["answer"]) is not int:
        _fail(where, "'prompt' must be a string and 'answer' an integer")


def _check_label(item: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> None:
    labels, template = extra["labels"], extra["template"]
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        _fail(where, "the set's 'labels' must be a list of strings")
    if not isinstance(template, str) or "{text}" not in template:
        _fail(where, "the set's 'template' must be a string containing {text}")
    if not isinstance(item["text"], str) or item["label"] not in labels:
        _fail(where, f"'text' must be a string and 'label' one of {labels}")


def _check_json(item: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> None:
    if not isinstance(item["prompt"], str) or not isinstance(item["expect"], dict):
        _fail(where, "'prompt' must be a string and 'expect' a mapping")
    problem = schema_problem(item["schema"])
    if problem:
        _fail(where, f"'schema' is not a valid JSON Schema: {problem}")


def _check_tool(item: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> None:
    try:
        names = set(tool_schemas(extra))
    except SetError as exc:
        raise SetError(f"{where}: {exc}") from None
    if not isinstance(item["prompt"], str) or item["expect"] not in names | {NO_TOOL}:
        _fail(where, f"'expect' must be one of {sorted(names)} or {NO_TOOL!r}")


def _check_instructions(item: Mapping[str, Any], extra: Mapping[str, Any], where: str) -> None:
    rules = item["constraints"]
    if not isinstance(item["prompt"], str) or not isinstance(rules, list) or not rules:
        _fail(where, "'prompt' must be a string and 'constraints' a non-empty list")
    for rule in rules:
        if not isinstance(rule, dict) or len(rule) != 1:
            _fail(where, f"a constraint is a one-key mapping, got {rule!r}")
        ((kind, value),) = rule.items()
        expected = CONSTRAINT_TYPES.get(kind)
        if expected is None:
            _fail(where, f"unknown constraint {kind!r}; known: {sorted(CONSTRAINT_TYPES)}")
        elif type(value) is not expected or (expected is bool and value is not True):
            _fail(where, f"constraint {kind!r} needs a {expected.__name__} value")


def tool_schemas(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The declared functions of a tool set, name -> parameters schema (validated)."""
    out: dict[str, Any] = {}
    for tool in extra.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise SetError(f"a declared tool needs function.name, got {tool!r}")
        problem = schema_problem(fn.get("parameters", {}))
        if problem:
            raise SetError(f"tool {fn['name']}: parameters are not a valid schema: {problem}")
        out[fn["name"]] = fn.get("parameters", {})
    if not out:
        raise SetError("a tool_choice set must declare at least one tool")
    return out


_VALIDATORS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], str], None]] = {
    "integer": _check_integer,
    "label": _check_label,
    "json_schema": _check_json,
    "tool_choice": _check_tool,
    "instructions": _check_instructions,
}


# -- requests -----------------------------------------------------------------------------------
def item_request(aset: AccuracySet, item: Mapping[str, Any], base: Mapping[str, Any]) -> Any:
    """The chat completion body for one item: the case's template plus what the item needs."""
    if aset.kind == "label":
        prompt = str(aset.extra["template"]).replace("{text}", item["text"])
    else:
        prompt = item["prompt"]
    body: dict[str, Any] = {**base, "messages": [{"role": "user", "content": prompt}]}
    if aset.kind == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": item["id"].replace("-", "_"),
                "schema": item["schema"],
                "strict": True,
            },
        }
    elif aset.kind == "tool_choice":
        body["tools"] = aset.extra["tools"]
        body["tool_choice"] = "auto"
    return body


def request_key(body: Any) -> str:
    """What identifies an item among a case's exchanges: the messages it sent."""
    messages = body.get("messages") if isinstance(body, dict) else None
    return json.dumps(messages, sort_keys=True, ensure_ascii=False)


def set_of(case: Case) -> str:
    """The set a case measures: named by its one `accuracy.<set>` check."""
    found = [
        ref.name.removeprefix(CHECK_PREFIX)
        for ref in case.checks
        if ref.name.startswith(CHECK_PREFIX)
    ]
    if len(found) != 1:
        raise PlanError(f"{case.id}: an accuracy case applies exactly one accuracy.<set> check")
    return found[0]
