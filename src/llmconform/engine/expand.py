"""Cases that stand for many exchanges: expanded into one `CaseWork` per sample (pure).

A case tagged `repeat` (latency) is sent `warmup + requests` times; a case tagged with another
registered tag (e.g. `accuracy`) is expanded by that tag's expander (one exchange per fixture
item). Every sample gets the id `<case id>#<k>`; the plugin folds the captures back, in k order,
into the one case, whose checks then see all the samples as its exchanges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmconform.catalog.steps import Variables
from llmconform.engine.plan import work_for
from llmconform.model import Case, CaseWork
from llmconform.registry import Registry


@dataclass(frozen=True)
class ExpandOptions:
    """Run settings an expander may use."""

    requests: int = 100
    warmup: int = 3
    settings: Mapping[str, Any] = field(default_factory=dict)  # run settings (e.g. properties)


Expander = Callable[[Case, Variables, ExpandOptions], list[CaseWork]]

# The modules that define expanders. The SDK expander is the transport's (it builds a driver
# that calls the SDKs); listing it here by name imports nothing until a case is expanded.
EXPANDERS: Registry[Expander] = Registry(
    "expander",
    (
        "llmconform.engine.expand",
        "llmconform.engine.properties",
        "llmconform.engine.accuracy",
        "llmconform.transport.sdk_runner",
    ),
)


def expander(tag: str) -> Callable[[Expander], Expander]:
    """Define the expander for cases carrying `tag`."""
    return EXPANDERS.define(tag)


def sample_id(case_id: str, k: int) -> str:
    """The work id of sample k of a case."""
    return f"{case_id}#{k}"


def split_sample_id(work_id: str) -> tuple[str, int | None]:
    """(case id, k) of a work id; k is None for an ordinary case."""
    base, sep, k = work_id.rpartition("#")
    if sep and k.isdigit():
        return base, int(k)
    return work_id, None


def is_expanded(case: Case) -> bool:
    """Whether the case is expanded into samples."""
    return any(tag in EXPANDERS for tag in case.tags)


def expand(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    """The work items of a case: itself, or its samples."""
    tag = next((t for t in case.tags if t in EXPANDERS), None)
    if tag is None:
        return [work_for(case, variables)]
    return EXPANDERS[tag](case, variables, options)


@expander("repeat")
def _repeat(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    item = work_for(case, variables)
    total = options.warmup + options.requests
    return [replace(item, case_id=sample_id(case.id, k)) for k in range(total)]
