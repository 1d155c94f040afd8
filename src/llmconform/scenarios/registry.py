"""Code-defined multi-step cases (scenarios), collected by name.

A case names a scenario when a later request depends on an earlier response (a tool call
id, a `previous_response_id`). A scenario is a generator: it yields a `Request`, receives
the `Capture`, and decides the next request. It never does I/O itself, so it stays pure
and testable with hand-made captures.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from llmconform.model import Capture, Case, Request
from llmconform.registry import Registry

ScenarioFlow = Generator[Request, Capture, None]
ScenarioFn = Callable[[Case, dict[str, str]], ScenarioFlow]

SCENARIOS: Registry[ScenarioFn] = Registry(
    "scenario",
    (
        "llmconform.scenarios.chat",
        "llmconform.scenarios.responses",
        "llmconform.scenarios.anthropic",
    ),
)


def scenario(name: str) -> Callable[[ScenarioFn], ScenarioFn]:
    """Define a scenario under `name` (cases refer to it with `scenario: name`)."""
    return SCENARIOS.define(name)
