"""Shell completion of the catalog's names: profiles, capabilities, case and requirement ids.

Each function is a click `shell_complete` callback. The catalog is loaded only when the shell
asks for a completion (never for `--version` or `--help`), and a broken catalog completes
nothing rather than printing into the user's prompt.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from click.shell_completion import CompletionItem


def _matching(names: Iterable[str], incomplete: str) -> list[CompletionItem]:
    # Requirement ids are upper-case; let "stream-" complete them too.
    low = incomplete.lower()
    return [CompletionItem(n) for n in sorted(set(names)) if n.lower().startswith(low)]


def _catalog_names(kind: str) -> list[str]:
    try:
        from llmconform.catalog.loader import load_catalog
        from llmconform.checks import known_checks
        from llmconform.engine.select import known_profiles

        catalog = load_catalog(known_checks=known_checks())
    except Exception:  # a completion never fails loudly inside the user's shell
        return []
    if kind == "profiles":
        return known_profiles(catalog)
    if kind == "cases":
        return list(catalog.cases)
    return list(catalog.requirements)


def complete_profiles(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The catalog's profile names."""
    return _matching(_catalog_names("profiles"), incomplete)


def complete_capabilities(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The capabilities a target can declare."""
    from llmconform.engine.plan import ALL_CAPABILITIES

    return _matching(ALL_CAPABILITIES, incomplete)


def complete_cases(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Case ids (what -k expressions are made of)."""
    return _matching(_catalog_names("cases"), incomplete)


def complete_ids(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Requirement and case ids (what `explain` accepts)."""
    return _matching(_catalog_names("requirements") + _catalog_names("cases"), incomplete)
