"""Deterministic tool input: the smallest plausible value that satisfies a JSON Schema.

When `tool_choice` forces a tool, the reference server must call it with an `input` that is
valid against the tool's `input_schema`, without knowing what the tool means. It builds the
minimal instance: required properties only, each with a value of its declared type that
meets the schema's bounds (enum and const values, minimum, minLength, minItems, a few common
formats). Keywords it cannot satisfy in general (`pattern`, `not`) are not attempted; the
suite's own tool schemas do not use them.
"""

from __future__ import annotations

import math
from typing import Any

_MAX_DEPTH = 16
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_TYPE_ORDER = ("object", "string", "integer", "number", "boolean", "array", "null")


def example_instance(schema: Any, depth: int = 0) -> Any:
    """A minimal value valid against `schema` (JSON Schema, any draft of the common subset)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return example_instance(options[0], depth + 1)
    parts = schema.get("allOf")
    if isinstance(parts, list) and parts:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            if isinstance(part, dict):
                merged = _merge(merged, part)
        return example_instance(merged, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, depth)
    if kind == "array":
        return _array(schema, depth)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return False
    return None


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        # Prefer a concrete type over null, in a fixed order so the choice is deterministic.
        kinds = [k for k in _TYPE_ORDER if k in kind]
        return kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(value, dict):
            merged["properties"] = {**merged.get("properties", {}), **value}
        elif key == "required" and isinstance(value, list):
            merged["required"] = [*merged.get("required", []), *value]
        else:
            merged.setdefault(key, value)
    return merged


def _object(schema: dict[str, Any], depth: int) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required")
    required = required if isinstance(required, list) else []
    return {
        name: example_instance(props.get(name, {}), depth + 1)
        for name in dict.fromkeys(r for r in required if isinstance(r, str))
    }


def _array(schema: dict[str, Any], depth: int) -> list[Any]:
    count = schema.get("minItems")
    count = count if isinstance(count, int) and count > 0 else 0
    items = schema.get("items")
    if schema.get("uniqueItems") and count > 1:
        return [_distinct(items, i, depth) for i in range(count)]
    return [example_instance(items, depth + 1) for _ in range(count)]


def _distinct(items: Any, i: int, depth: int) -> Any:
    value = example_instance(items, depth + 1)
    if isinstance(value, str):
        return f"{value}{i}"
    if isinstance(value, int) and not isinstance(value, bool):
        return value + i
    return value


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    low = schema.get("minLength")
    length = low if isinstance(low, int) and low > 0 else 1
    return "x" * length


def _number(schema: dict[str, Any], kind: str) -> int | float:
    step = 1 if kind == "integer" else 0.5
    value: float = 0
    low, xlow = _bound(schema, "minimum"), _bound(schema, "exclusiveMinimum")
    high, xhigh = _bound(schema, "maximum"), _bound(schema, "exclusiveMaximum")
    if low is not None and value < low:
        value = low
    if xlow is not None and value <= xlow:
        value = xlow + step
    if high is not None and value > high:
        value = high
    if xhigh is not None and value >= xhigh:
        value = xhigh - step
    if kind == "integer" or float(value).is_integer():
        return math.ceil(value)
    return value


def _bound(schema: dict[str, Any], key: str) -> float | None:
    value = schema.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
