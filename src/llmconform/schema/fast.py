"""A fast yes/no validity test compiled from a JSON Schema, in front of jsonschema.

jsonschema interprets a schema anew for every instance: each keyword of each subschema costs
a validator object and a generator (~2-3 µs), so a Responses stream event, checked against a
dozen typed branches and a whole response object, costs 100-450 µs. Nearly every instance a
conformance run validates is valid; for those a predicate built once from the schema answers
in a few µs. Only when it says "invalid" does jsonschema run, for its exact messages and
paths, so reported errors never come from this module.

Soundness: the predicate follows draft 2020-12 as jsonschema implements it, for the keywords
listed in `_SUPPORTED`. A schema using any other keyword (or an unresolved `$ref`, or `format`)
is not compiled at all, and validation falls back to jsonschema alone. tests/test_schema_fast.py
checks both answers agree over recorded, generated and mutated instances of every schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Predicate", "compile_schema", "json_equal"]

Predicate = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$schema", "$id", "$defs"})
_SUPPORTED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "const",
        "enum",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "maxProperties",
        "pattern",
        "propertyNames",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
    }
    | _ANNOTATIONS
)


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Predicate] = {
    "null": lambda x: x is None,
    "boolean": lambda x: isinstance(x, bool),
    "integer": _is_integer,
    "number": _is_number,
    "string": lambda x: isinstance(x, str),
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
}


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as JSON Schema means it: 1 == 1.0, but true != 1 and false != 0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def compile_schema(schema: Any) -> Predicate | None:
    """A predicate equivalent to validating against `schema`, or None if unsupported."""
    try:
        return _compile(schema)
    except Unsupported:
        return None


def _compile(schema: Any) -> Predicate:
    if schema is True:
        return lambda x: True
    if schema is False:
        return lambda x: False
    if not isinstance(schema, Mapping):
        raise Unsupported(f"not a schema: {schema!r}")
    unknown = schema.keys() - _SUPPORTED
    if unknown:
        raise Unsupported(f"keywords {sorted(unknown)}")
    # One builder may serve several keywords (properties, required, …): call each once.
    makers = dict.fromkeys(make for key, make in _KEYWORDS.items() if key in schema)
    tests = [t for make in makers if (t := make(schema)) is not None]
    if not tests:
        return lambda x: True
    if len(tests) == 1:
        return tests[0]
    return lambda x: all(t(x) for t in tests)


def _type(schema: Mapping[str, Any]) -> Predicate:
    names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    try:
        checks = tuple(_TYPES[n] for n in names)
    except (KeyError, TypeError):
        raise Unsupported(f"type {schema['type']!r}") from None
    if len(checks) == 1:
        return checks[0]
    return lambda x: any(c(x) for c in checks)


def _object(schema: Mapping[str, Any]) -> Predicate | None:
    """properties, required, additionalProperties, maxProperties, propertyNames together."""
    props = {k: _compile(v) for k, v in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra = _compile(schema["additionalProperties"]) if "additionalProperties" in schema else None
    names = _compile(schema["propertyNames"]) if "propertyNames" in schema else None
    most = schema.get("maxProperties")

    def test(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        if most is not None and len(x) > most:
            return False
        for name in required:
            if name not in x:
                return False
        for key, value in x.items():
            check = props.get(key)
            if check is not None:
                if not check(value):
                    return False
            elif extra is not None and not extra(value):
                return False
            if names is not None and not names(key):
                return False
        return True

    return test


def _items(schema: Mapping[str, Any]) -> Predicate | None:
    each = _compile(schema["items"]) if "items" in schema else None
    low, high = schema.get("minItems", 0), schema.get("maxItems", math.inf)

    def test(x: Any) -> bool:
        if not isinstance(x, list):
            return True
        if not low <= len(x) <= high:
            return False
        return each is None or all(each(v) for v in x)

    return test


def _string(schema: Mapping[str, Any]) -> Predicate:
    low, high = schema.get("minLength", 0), schema.get("maxLength", math.inf)
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

    def test(x: Any) -> bool:
        if not isinstance(x, str):
            return True
        if not low <= len(x) <= high:
            return False
        return pattern is None or pattern.search(x) is not None

    return test


def _range(schema: Mapping[str, Any]) -> Predicate:
    low, high = schema.get("minimum"), schema.get("maximum")

    def test(x: Any) -> bool:
        if not _is_number(x):
            return True
        return not ((low is not None and x < low) or (high is not None and x > high))

    return test


def _const(schema: Mapping[str, Any]) -> Predicate:
    value = schema["const"]
    return lambda x: json_equal(x, value)


def _enum(schema: Mapping[str, Any]) -> Predicate:
    values = list(schema["enum"])
    strings = frozenset(v for v in values if isinstance(v, str))
    others = [v for v in values if not isinstance(v, str)]
    return lambda x: x in strings if isinstance(x, str) else any(json_equal(x, v) for v in others)


def _combinators(schema: Mapping[str, Any]) -> Predicate:
    every = [_compile(s) for s in schema.get("allOf", ())]
    some = [_compile(s) for s in schema.get("anyOf", ())] if "anyOf" in schema else None
    one = [_compile(s) for s in schema.get("oneOf", ())] if "oneOf" in schema else None
    negated = _compile(schema["not"]) if "not" in schema else None

    def test(x: Any) -> bool:
        if not all(t(x) for t in every):
            return False
        if some is not None and not any(t(x) for t in some):
            return False
        if one is not None and sum(1 for t in one if t(x)) != 1:
            return False
        return negated is None or not negated(x)

    return test


def _conditional(schema: Mapping[str, Any]) -> Predicate | None:
    condition = _compile(schema["if"])
    then = _compile(schema["then"]) if "then" in schema else None
    other = _compile(schema["else"]) if "else" in schema else None
    if then is None and other is None:
        return None  # an `if` alone constrains nothing

    def test(x: Any) -> bool:
        branch = then if condition(x) else other
        return branch is None or branch(x)

    return test


_KEYWORDS: dict[str, Callable[[Mapping[str, Any]], Predicate | None]] = {
    "type": _type,
    "properties": _object,
    "required": _object,
    "additionalProperties": _object,
    "maxProperties": _object,
    "propertyNames": _object,
    "items": _items,
    "minItems": _items,
    "maxItems": _items,
    "minLength": _string,
    "maxLength": _string,
    "pattern": _string,
    "minimum": _range,
    "maximum": _range,
    "const": _const,
    "enum": _enum,
    "allOf": _combinators,
    "anyOf": _combinators,
    "oneOf": _combinators,
    "not": _combinators,
    "if": _conditional,
}
