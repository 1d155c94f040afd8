"""Replacing certainly-false root `if`s changes no verdict, error, path or schema path."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from llmconform import schema as sv
from llmconform.schema.branches import ROOT, conditions, false_sites, specialize

from schema_instances import documents, fitting_schema, mutate, schema_strings

WITH_BRANCHES = [sid for sid in sv.schema_ids() if conditions(sv.prepared_schema(sid))]
EVENTS = sv.ID_PREFIX + "responses/stream.event"


def unspecialized(instance: object, schema_id: str) -> list[sv.SchemaError]:
    return sv.reference_errors(instance, schema_id)


def test_the_event_and_chunk_schemas_have_decidable_branches() -> None:
    names = {sid.removeprefix(sv.ID_PREFIX) for sid in WITH_BRANCHES}
    assert {"responses/stream.event", "anthropic/stream.event"} <= names
    assert "openai/chat.completion.chunk" in names


def test_an_event_type_rules_out_every_other_branch() -> None:
    conds = conditions(sv.prepared_schema(EVENTS))
    sites = false_sites(conds, {"type": "response.output_text.delta", "sequence_number": 1})
    assert len(sites) == len(conds) - 1  # only the delta branch remains possible
    assert false_sites(conds, {"sequence_number": 1}) == ()  # no type: every `then` applies
    assert false_sites(conds, {"type": 7}) == ()  # not a string: nothing is decided
    assert false_sites(conds, ["not", "an", "object"]) == ()


def test_specialize_replaces_only_the_if() -> None:
    schema = {"if": {"required": ["e"]}, "then": {"a": 1}, "allOf": [{"if": {}, "then": {}}]}
    out = specialize(schema, (ROOT, 0))
    assert out == {"if": False, "then": {"a": 1}, "allOf": [{"if": False, "then": {}}]}
    assert schema["if"] == {"required": ["e"]}  # the original is untouched


def test_recorded_documents_get_identical_errors() -> None:
    for schema_id in WITH_BRANCHES:
        for doc in documents():
            assert sv.validate(doc, schema_id) == unspecialized(doc, schema_id), doc


@settings(max_examples=300, deadline=None)
@given(
    pick=st.integers(min_value=0),
    seed=st.integers(min_value=0, max_value=2**32),
    retype=st.booleans(),
)
def test_mutated_documents_get_identical_errors(pick: int, seed: int, retype: bool) -> None:
    index = pick % len(documents())
    schema_id = fitting_schema(index)
    if schema_id not in WITH_BRANCHES:
        return
    assert schema_id is not None
    rng = random.Random(seed)
    doc = mutate(documents()[index], rng)
    if retype and isinstance(doc, dict):
        doc["type"] = rng.choice(schema_strings())  # a known type on the wrong body
    assert sv.validate(doc, schema_id) == unspecialized(doc, schema_id)
