"""Minimal JSON values that satisfy a JSON Schema: the reference server's "structured output".

A deterministic server cannot think of good arguments for a tool or a good answer for a
response format, but it can always produce the *smallest* value the schema admits: only the
required properties, each with the simplest value of its type (empty string, zero, false,
empty list), moved into range where the schema says so (`minimum`, `minLength`, `minItems`),
and the first option wherever the schema offers a choice (`enum`, `anyOf`, `oneOf`, a list
of types). That is enough to honour strict structured outputs for the schema subset OpenAI
supports, and it lets a conformance suite validate the output against the schema.

Schemas this cannot satisfy (e.g. `pattern`, `not`) get the plain minimal value: the reference
never fails a request because its own output would be imperfect.
"""

from __future__ import annotations

import math
from typing import Any

# Deep enough for any real tool schema; a cycle through `$ref` ends here with null.
_MAX_DEPTH = 32
_TYPE_ORDER = ("object", "string", "integer", "number", "boolean", "array", "null")


def minimal_instance(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """The smallest value valid against `schema` (resolving `#/...` refs against `root`)."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None if depth > _MAX_DEPTH else {}
    if "$ref" in schema:
        target = _resolve(root, schema["$ref"])
        return minimal_instance(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return minimal_instance(options[0], root, depth + 1)
    merged = _merge_all_of(schema, root)
    return _of_type(_first_type(merged), merged, root, depth)


def _resolve(root: Any, ref: Any) -> Any:
    """Follow a local JSON pointer (`#/$defs/Name`); anything else resolves to `{}`."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}
    node = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}
    return node


def _merge_all_of(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    """Fold `allOf` branches into one schema (properties and required lists are unioned)."""
    branches = schema.get("allOf")
    if not isinstance(branches, list):
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for branch in branches:
        if isinstance(branch, dict) and "$ref" in branch:
            branch = _resolve(root, branch["$ref"])
        if not isinstance(branch, dict):
            continue
        for key, value in branch.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _first_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    if isinstance(kind, list):
        # Prefer a real value over null so that `["string", "null"]` yields "".
        present = [t for t in _TYPE_ORDER if t in kind]
        return next((t for t in present if t != "null"), present[0] if present else "null")
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "object"


def _of_type(kind: str, schema: dict[str, Any], root: Any, depth: int) -> Any:
    if kind == "object":
        raw_props = schema.get("properties")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        raw_required = schema.get("required")
        required: list[Any] = raw_required if isinstance(raw_required, list) else []
        return {
            name: minimal_instance(props.get(name, {}), root, depth + 1)
            for name in required
            if isinstance(name, str)
        }
    if kind == "array":
        count = schema.get("minItems")
        count = count if isinstance(count, int) and count > 0 else 0
        item = minimal_instance(schema.get("items", {}), root, depth + 1) if count else None
        return [item for _ in range(count)]
    if kind == "string":
        length = schema.get("minLength")
        return "a" * length if isinstance(length, int) and length > 0 else ""
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    return None


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    """Zero, moved up to `minimum` / past `exclusiveMinimum`, or down to the maximum."""
    value: float = 0
    low = _num(schema.get("minimum"))
    if low is not None and value < low:
        value = low
    xlow = _num(schema.get("exclusiveMinimum"))
    if xlow is not None and value <= xlow:
        value = math.floor(xlow) + 1 if integer else xlow + 1
    high = _num(schema.get("maximum"))
    if high is not None and value > high:
        value = high
    xhigh = _num(schema.get("exclusiveMaximum"))
    if xhigh is not None and value >= xhigh:
        value = math.ceil(xhigh) - 1 if integer else xhigh - 1
    if integer:
        return math.ceil(value)
    return int(value) if float(value).is_integer() else value


def _num(value: object) -> float | None:
    """A schema bound as a number, or None when absent or not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
