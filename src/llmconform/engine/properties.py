"""Property-based cases (pure): the `property` expander over seeded request spaces.

A case tagged `property` names one of the checks in `SPACES`; that check's arguments give the
`seed` and the number of `examples` (run settings may override the count). Example k of a
space is drawn from its own `random.Random`, seeded with the text `space:seed:k`, so:
- the same seed gives byte-identical requests on every machine and Python version (string
  seeds go through SHA-512; `random()`, `randrange` and `choice` are stable since 3.2);
- raising the count appends examples and never changes the first ones;
- nothing is shrunk: shrinking would cost a paid endpoint one request per step.

Why not hypothesis at run time: its example stream depends on the hypothesis version and on
the function's code (`derandomize` hashes it), it runs health checks and a database, and it
would nest a hypothesis engine inside the run's own pytest session. The tests under
tests/properties/ use hypothesis where it shines: checking these generators over many seeds.

The two spaces are generated in modules of their own, `valid_requests` and
`invalid_requests`: every valid example keeps the cost of an answer small (max_tokens 1..16,
n 1); invalid examples cycle through `INVALID_KINDS`, so each kind is sent once the count
reaches their number; which field and which bad value a kind uses is drawn from the
example's generator. This module only turns a case into samples.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from llmconform.catalog.steps import PlanError, Variables, build_request
from llmconform.engine.expand import ExpandOptions, expander, sample_id
from llmconform.engine.invalid_requests import invalid_example
from llmconform.engine.valid_requests import Example, valid_example
from llmconform.model import Case, CaseWork, Request

VALID, INVALID = "valid", "invalid"
# The check a case applies decides which request space its examples come from.
SPACES = {"property.valid_requests": VALID, "property.invalid_requests": INVALID}
DEFAULT_EXAMPLES = 25
MAX_EXAMPLES = 10_000  # a typo must not turn into a million paid requests
DEFAULT_SEED = 0


def generate(space: str, seed: int, count: int, model: str) -> list[Example]:
    """Examples 0..count-1 of a space; example k depends only on (space, seed, k, model)."""
    make = {VALID: valid_example, INVALID: invalid_example}[space]
    return [make(random.Random(f"{space}:{seed}:{k}"), k, model) for k in range(count)]


def space_of(case: Case) -> tuple[str, Mapping[str, Any]]:
    """The request space a property case draws from and its check's arguments."""
    for ref in case.checks:
        if ref.name in SPACES:
            return SPACES[ref.name], dict(ref.args)
    raise PlanError(f"{case.id}: a property case applies one of {sorted(SPACES)}")


def example_count(args: Mapping[str, Any], settings: Mapping[str, Any] | None) -> int:
    """Examples to send: `settings["properties"]["examples"]`, else the case's, else 25."""
    section = (settings or {}).get("properties")
    chosen = section.get("examples") if isinstance(section, Mapping) else None
    if chosen is None:
        chosen = args.get("examples", DEFAULT_EXAMPLES)
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 1 <= chosen <= MAX_EXAMPLES:
        raise PlanError(f"property examples must be an integer in 1..{MAX_EXAMPLES}: {chosen!r}")
    return chosen


def to_request(template: Request, example: Example) -> Request:
    """The request for an example: path and auth from the case's step, the example's body."""
    if example.content is not None:
        return replace(template, json=None, content=example.content, stream=False)
    body = example.json
    stream = isinstance(body, dict) and body.get("stream") is True
    return replace(template, json=body, content=None, stream=stream)


@expander("property")
def expand_property(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    """One sample per generated example of the case's request space."""
    space, args = space_of(case)
    if len(case.steps) != 1:
        raise PlanError(f"{case.id}: a property case has exactly one step (its request template)")
    template = build_request(case.steps[0], variables.as_dict(), case.id, case.api)
    count = example_count(args, options.settings)
    seed = args.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise PlanError(f"{case.id}: property seed must be an integer, got {seed!r}")
    examples = generate(space, seed, count, variables.model)
    return [
        CaseWork(sample_id(case.id, k), (to_request(template, ex),))
        for k, ex in enumerate(examples)
    ]
