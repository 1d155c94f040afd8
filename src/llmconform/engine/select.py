"""Which cases a run includes (pure): by API family, claimed profiles, and opt-in tags."""

from __future__ import annotations

from collections.abc import Iterable

from llmconform.catalog import Catalog
from llmconform.checks import CHECKS
from llmconform.engine.plan import API_FAMILIES, family_of
from llmconform.model import Case

# Cases that cost many requests (latency samples, accuracy items) run only when one of
# their profiles is claimed explicitly.
OPT_IN_TAG = "opt-in"


def case_profiles(case: Case, catalog: Catalog) -> set[str]:
    """The profiles whose requirements a case's checks report on."""
    reqs = {r for ref in case.checks for r in CHECKS[ref.name].requirements}
    return {p for r in reqs if r in catalog.requirements for p in catalog.requirements[r].profiles}


def selected(case: Case, catalog: Catalog, apis: Iterable[str], claimed: Iterable[str]) -> bool:
    """Whether a run includes `case`: its API family is tested and, when profiles are
    claimed, it reports on one of them; opt-in cases need one of theirs claimed."""
    if family_of(case.api) not in set(apis):
        return False
    claimed = set(claimed)
    profiles = case_profiles(case, catalog)
    if OPT_IN_TAG in case.tags:
        return bool(profiles & claimed)
    return not claimed or bool(profiles & claimed)


def known_profiles(catalog: Catalog) -> list[str]:
    """Every profile named in the catalog, in first-seen order."""
    return list(dict.fromkeys(p for r in catalog.requirements.values() for p in r.profiles))


def default_apis(target_kind: str) -> frozenset[str]:
    """Every API for the embedded reference (it speaks all of them), else OpenAI only."""
    return frozenset(API_FAMILIES) if target_kind == "reference" else frozenset({"openai"})
