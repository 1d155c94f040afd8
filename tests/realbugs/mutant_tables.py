"""Every mutant table, by the API family a run selects."""

from __future__ import annotations

import mutants_anthropic
import mutants_openai
import mutants_responses
from mutant_kit import Mutant

FAMILIES: dict[str, dict[str, Mutant]] = {
    "openai": mutants_openai.MUTANTS,
    "responses": mutants_responses.MUTANTS,
    "anthropic": mutants_anthropic.MUTANTS,
}
