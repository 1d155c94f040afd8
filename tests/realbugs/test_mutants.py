"""Self-test tier: the suite passes the clean reference and kills every catalog mutant.

A mutant is killed when a requirement it names (`kills`) fails. A known survivor carries
`gap` and is a strict xfail, so killing it later forces the table to be updated.
"""

from __future__ import annotations

import pytest

from llmconform.catalog.loader import load_catalog
from llmconform.model import Outcome

from broken_servers import BrokenApp, Fault
from mutant_kit import FAMILY, Mutant, catalog, findings, run_mutant
from mutant_tables import FAMILIES
from support import TEST_KEY, run_against

ALL: list[tuple[str, Mutant]] = [(f, m) for f, table in FAMILIES.items() for m in table.values()]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_clean_reference_has_no_findings(family: str) -> None:
    report = run_against(BrokenApp(Fault("clean"), TEST_KEY), apis=frozenset({family}))
    assert report.cases
    assert findings(report, Outcome.FAIL) == frozenset()
    assert findings(report, Outcome.WARN) == frozenset()


def test_every_mutant_is_a_catalog_entry_of_its_family() -> None:
    entries = catalog()
    for family, mutant in ALL:
        assert mutant.id in entries, mutant.id
        assert FAMILY[entries[mutant.id]["api"]] == family, mutant.id
        assert mutant.skip or mutant.kills, f"{mutant.id} names no requirement"


def test_a_killed_mutant_names_requirements_of_the_catalog() -> None:
    # A known survivor or a skipped bug may name the requirement it needs (not written yet);
    # any other mutant's `kills` must be real requirement ids, or it could never be killed.
    known = set(load_catalog().requirements)
    unknown = {
        m.id: sorted(set(m.kills) - known)
        for _, m in ALL
        if not (m.gap or m.skip) and set(m.kills) - known
    }
    assert unknown == {}


@pytest.mark.parametrize(
    ("family", "mutant"),
    [a for a in ALL if not a[1].skip],
    ids=[m.id for _, m in ALL if not m.skip],
)
def test_the_suite_kills_the_mutant(family: str, mutant: Mutant) -> None:
    verdict = run_mutant(mutant, family)
    if mutant.gap:
        if verdict.killed:
            pytest.fail(f"{mutant.id} is killed now: remove its gap")
        pytest.xfail(mutant.gap)
    assert verdict.killed, (
        f"{mutant.id} survived: none of {mutant.kills} failed; failed {sorted(verdict.failed)}, "
        f"warned {sorted(verdict.warned)}"
    )
