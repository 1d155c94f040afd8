"""Conditions at a schema's root that an instance certainly fails, decided in a few lookups.

Responses and Anthropic stream events are typed by one member, and their schemas check each
type with `allOf: [{"if": {"properties": {"type": {"enum": [...]}}}, "then": ...}, ...]`.
jsonschema evaluates every one of those `if`s for every event (a dozen sub-validations, most
of an event's cost). The chat chunk schema's root `if` ("is this an error envelope?") is the
same story with `required`.

For a given instance many of those conditions are certainly false: the member is a string
outside the `enum`, or a `required` member is absent. Replacing each such `if` by the `false`
schema yields a schema that judges that instance exactly as the original does: an `if` never
reports errors of its own, a false `if` selects `else` (or nothing) either way, and every
other keyword keeps its place, so error paths and schema paths are unchanged.
(tests/test_schema_branches.py compares both validators over generated and recorded events.)

Pure functions over plain schema dicts; `schema_validation` caches one validator per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ROOT", "Condition", "conditions", "false_sites", "specialize"]

ROOT = -1  # the site of the root's own `if`; n >= 0 is the `if` of `allOf[n]`


@dataclass(frozen=True)
class Condition:
    """A root-level `if` that can be decided from the instance's top-level members only."""

    site: int
    required: tuple[str, ...]
    # (member, the only strings it may equal for the `if` to hold)
    choices: tuple[tuple[str, frozenset[str]], ...]


def _string_choices(schema: object) -> frozenset[str] | None:
    """The strings a `{"const": s}` or `{"enum": [s, ...]}` schema admits, else None."""
    if not isinstance(schema, Mapping):
        return None
    if schema.keys() == {"const"} and isinstance(schema["const"], str):
        return frozenset([schema["const"]])
    values = schema.get("enum")
    if (
        schema.keys() == {"enum"}
        and isinstance(values, list)
        and all(isinstance(v, str) for v in values)
    ):
        return frozenset(values)
    return None


def _condition(site: int, schema: object) -> Condition | None:
    """The decidable part of an `if` schema, or None when it uses anything else."""
    if not isinstance(schema, Mapping) or not schema.keys() <= {"required", "properties"}:
        return None
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    if not isinstance(required, list) or not isinstance(properties, Mapping):
        return None
    choices = tuple(
        (name, allowed)
        for name, sub in properties.items()
        if (allowed := _string_choices(sub)) is not None
    )
    names = tuple(n for n in required if isinstance(n, str))
    return Condition(site, names, choices) if names or choices else None


def conditions(schema: Mapping[str, Any]) -> tuple[Condition, ...]:
    """The decidable `if`s at the root of `schema` and in its root `allOf` branches."""
    found: list[Condition] = []
    if "if" in schema and (root := _condition(ROOT, schema["if"])) is not None:
        found.append(root)
    branches = schema.get("allOf")
    if isinstance(branches, list):
        for n, branch in enumerate(branches):
            if not isinstance(branch, Mapping) or "if" not in branch:
                continue
            cond = _condition(n, branch["if"])
            if cond is not None:
                found.append(cond)
    return tuple(found)


def false_sites(conds: tuple[Condition, ...], instance: object) -> tuple[int, ...]:
    """The sites whose `if` the instance certainly fails (only objects can fail one)."""
    if not isinstance(instance, dict):
        return ()
    sites: list[int] = []
    for cond in conds:
        if any(name not in instance for name in cond.required) or any(
            isinstance(value := instance.get(name), str) and value not in allowed
            for name, allowed in cond.choices
        ):
            sites.append(cond.site)
    return tuple(sites)


def specialize(schema: Mapping[str, Any], sites: tuple[int, ...]) -> dict[str, Any]:
    """`schema` with the `if` at each site replaced by the `false` schema."""
    out = dict(schema)
    if ROOT in sites:
        out["if"] = False
    if any(s >= 0 for s in sites):
        branches = list(out["allOf"])
        for s in sites:
            if s >= 0:
                branches[s] = {**branches[s], "if": False}
        out["allOf"] = branches
    return out
