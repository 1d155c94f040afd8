"""The compiled predicate answers exactly as jsonschema does, for every packaged schema."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from llmconform import schema as sv
from llmconform.schema.fast import compile_schema, json_equal

from schema_instances import documents, fitting_schema, mutate

COMPILED = [sid for sid in sv.schema_ids() if sv.fast_predicate(sid) is not None]


def reference_validator(schema_id: str) -> Draft202012Validator:
    schema = sv.prepared_schema(schema_id)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_api_schemas_are_compiled() -> None:
    # A schema left uncompiled is only slower; these are the ones judged per event.
    for name in (
        "openai/chat.completion.chunk",
        "responses/stream.event",
        "anthropic/stream.event",
    ):
        assert sv.ID_PREFIX + name in COMPILED


@pytest.mark.parametrize("schema_id", COMPILED)
def test_agrees_with_jsonschema_on_recorded_documents(schema_id: str) -> None:
    fast, slow = sv.fast_predicate(schema_id), reference_validator(schema_id)
    assert fast is not None
    disagreements = [doc for doc in documents() if fast(doc) != slow.is_valid(doc)]
    assert not disagreements, disagreements[:3]


@settings(max_examples=500, deadline=None)
@given(pick=st.integers(min_value=0), seed=st.integers(min_value=0, max_value=2**32))
def test_agrees_with_jsonschema_on_mutated_documents(pick: int, seed: int) -> None:
    # A valid document changed in one place: where the two validators could part ways.
    index = pick % len(documents())
    schema_id = fitting_schema(index)
    fast = sv.fast_predicate(schema_id) if schema_id else None
    if fast is None:
        return
    assert schema_id is not None
    doc = mutate(documents()[index], random.Random(seed))
    assert fast(doc) == reference_validator(schema_id).is_valid(doc)


SMALL = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": ["string", "null"], "minLength": 2}, ["ab", "a", None, 3]),
    ({"const": 1}, [1, 1.0, True, "1"]),
    ({"enum": [False, "a", {"k": [1]}]}, [0, False, "a", {"k": [1.0]}, {"k": [True]}]),
    ({"minimum": 0, "maximum": 2}, [-1, 0, 2, 2.5, True, "x"]),
    ({"pattern": "^a+$"}, ["aa", "ab", 5]),
    ({"required": ["a"], "additionalProperties": False, "properties": {"a": {}}}, [{"a": 1}, {}]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [1, -1, 1.5, "s"]),
    ({"if": {"required": ["e"]}, "then": {"required": ["f"]}, "else": False}, [{}, {"e": 1}]),
    ({"items": {"type": "string"}, "minItems": 1, "maxItems": 2}, [[], ["a"], ["a", 1], "s"]),
    ({"propertyNames": {"maxLength": 1}, "maxProperties": 1}, [{"a": 1}, {"ab": 1}, {}]),
    ({"not": {"type": "null"}}, [None, 0]),
]


@pytest.mark.parametrize(("schema", "instances"), SMALL)
def test_keyword_semantics_match_jsonschema(
    schema: dict[str, object], instances: list[object]
) -> None:
    fast = compile_schema(schema)
    assert fast is not None
    for instance in instances:
        assert fast(instance) == Draft202012Validator(schema).is_valid(instance), instance


def test_unsupported_keywords_are_not_compiled() -> None:
    assert compile_schema({"format": "date"}) is None
    assert compile_schema({"$ref": "#/$defs/x"}) is None
    assert compile_schema({"properties": {"a": {"uniqueItems": True}}}) is None
    assert compile_schema({"type": "decimal"}) is None


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert json_equal(1, 1.0) and json_equal([{"a": 1}], [{"a": 1.0}])
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal("1", 1)


# -- random schemas of the supported keywords against random instances -----------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 1.5, -2.5]),
    st.sampled_from(["", "a", "ab", "b", "type"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "type", "ab"]), inner, max_size=3),
    ),
    max_leaves=8,
)
NAMES = st.sampled_from(["a", "b", "type"])


def _keywords(sub: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    one = st.one_of(
        st.builds(
            lambda t: {"type": t},
            st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"]),
        ),
        st.builds(
            lambda ts: {"type": ts},
            st.lists(
                st.sampled_from(["integer", "string", "null"]), min_size=1, max_size=2, unique=True
            ),
        ),
        st.builds(lambda p: {"properties": p}, st.dictionaries(NAMES, sub, max_size=2)),
        st.builds(lambda r: {"required": r}, st.lists(NAMES, max_size=2, unique=True)),
        st.builds(lambda s: {"additionalProperties": s}, sub),
        st.builds(lambda s: {"propertyNames": s}, sub),
        st.builds(lambda n: {"maxProperties": n}, st.integers(0, 2)),
        st.builds(lambda s: {"items": s}, sub),
        st.builds(lambda n: {"minItems": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxItems": n}, st.integers(0, 2)),
        st.builds(lambda n: {"minLength": n}, st.integers(0, 2)),
        st.builds(lambda n: {"maxLength": n}, st.integers(0, 2)),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "a|b"])),
        st.builds(lambda n: {"minimum": n}, st.sampled_from([0, 1, -1.5])),
        st.builds(lambda n: {"maximum": n}, st.sampled_from([0, 1, 2.5])),
        st.builds(lambda v: {"const": v}, JSON),
        st.builds(lambda vs: {"enum": vs}, st.lists(JSON, min_size=1, max_size=3)),
        st.builds(lambda ss: {"allOf": ss}, st.lists(sub, min_size=1, max_size=2)),
        st.builds(lambda ss: {"anyOf": ss}, st.lists(sub, min_size=1, max_size=2)),
        st.builds(lambda ss: {"oneOf": ss}, st.lists(sub, min_size=1, max_size=3)),
        st.builds(lambda s: {"not": s}, sub),
        st.builds(lambda i, t: {"if": i, "then": t}, sub, sub),
        st.builds(lambda i, e: {"if": i, "else": e}, sub, sub),
    )
    return st.lists(one, min_size=1, max_size=3).map(
        lambda ds: {k: v for d in ds for k, v in d.items()}
    )


SCHEMAS: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.booleans(), st.just({})), _keywords, max_leaves=6
)


@settings(max_examples=1500, deadline=None)
@given(schema=SCHEMAS, instance=JSON)
def test_random_schemas_agree_with_jsonschema(schema: object, instance: object) -> None:
    fast = compile_schema(schema)
    assert fast is not None
    assert fast(instance) == Draft202012Validator(schema).is_valid(instance)
