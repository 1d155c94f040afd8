"""Every mutant table, by the API family a run selects."""

from __future__ import annotations

import mutants_anthropic
from mutant_kit import Mutant

FAMILIES: dict[str, dict[str, Mutant]] = {
    "openai": {},
    "responses": {},
    "anthropic": mutants_anthropic.MUTANTS,
}
