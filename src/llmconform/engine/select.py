"""Which cases a run includes (pure): by API family, claimed profiles, opt-in tags, and `-k`.

`llmconform run` leaves `-k` to pytest; `keyword_matcher` decides it the same way from a
case alone (pytest's own expression code over the names pytest matches a case's item by), so
that `plan` and `verify` derive the run's case set without running pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from llmconform.catalog.loader import Catalog
from llmconform.checks import CHECKS
from llmconform.engine.plan import API_FAMILIES, family_of
from llmconform.errors import UsageError
from llmconform.model import Case

# Cases that cost many requests (latency samples, accuracy items) run only when one of
# their profiles is claimed explicitly.
OPT_IN_TAG = "opt-in"
# The marker names every case item carries (pytest_items.CaseItem): pytest's -k matches them.
CASE_MARKER = "llmconform"
PROFILE_MARKER = "llmconform_profile"  # only on a case that reports on some profile


class FilterError(UsageError):
    """A `-k` expression that pytest would refuse."""


def case_profiles(case: Case, catalog: Catalog) -> set[str]:
    """The profiles whose requirements a case's checks report on, minus those scoped to
    other APIs (a /completions case checking STREAM-003 is not a chat-streaming case)."""
    reqs = {r for ref in case.checks for r in CHECKS[ref.name].requirements}
    named = {p for r in reqs if r in catalog.requirements for p in catalog.requirements[r].profiles}
    scopes = catalog.profile_apis
    return {p for p in named if p not in scopes or case.api in scopes[p]}


def selected(case: Case, catalog: Catalog, apis: Iterable[str], claimed: Iterable[str]) -> bool:
    """Whether a run includes `case`: its API family is tested and, when profiles are
    claimed, it reports on one of them; opt-in cases need one of theirs claimed."""
    if family_of(case.api) not in set(apis):
        return False
    claimed = set(claimed)
    profiles = case_profiles(case, catalog)
    if OPT_IN_TAG in case.tags:
        # Only an opt-in profile opts in: the latency case also checks stream framing, but
        # claiming chat-streaming must not buy 300 timed requests.
        return bool(profiles & claimed & opt_in_profiles(catalog))
    return not claimed or bool(profiles & claimed)


_OPT_IN: dict[int, tuple[Catalog, frozenset[str]]] = {}  # by catalog identity (kept alive)


def opt_in_profiles(catalog: Catalog) -> frozenset[str]:
    """Profiles only opt-in cases report on (performance, accuracy): claiming one of these
    is what selects an opt-in case."""
    known = _OPT_IN.get(id(catalog))
    if known is not None and known[0] is catalog:
        return known[1]
    plain: set[str] = set()
    every: set[str] = set()
    for case in catalog.cases.values():
        profiles = case_profiles(case, catalog)
        every |= profiles
        if OPT_IN_TAG not in case.tags:
            plain |= profiles
    result = frozenset(every - plain)
    if len(_OPT_IN) > 16:  # tests build many catalogs; a run has one
        _OPT_IN.clear()
    _OPT_IN[id(catalog)] = (catalog, result)
    return result


def known_profiles(catalog: Catalog) -> list[str]:
    """Every profile named in the catalog, in first-seen order."""
    return list(dict.fromkeys(p for r in catalog.requirements.values() for p in r.profiles))


def default_apis(target_kind: str) -> frozenset[str]:
    """Every API for the embedded reference (it speaks all of them), else OpenAI only."""
    return frozenset(API_FAMILIES) if target_kind == "reference" else frozenset({"openai"})


def group_name(case: Case) -> str:
    """The name of the pytest node grouping a case with the others of its file."""
    return f"llmconform/{case.source}"


def keyword_names(case: Case, catalog: Catalog) -> frozenset[str]:
    """The names pytest's `-k` matches a case's item by: the item's and its group's names
    and the names of its markers (the session is never matched)."""
    names = {case.id, group_name(case), CASE_MARKER}
    if case_profiles(case, catalog):
        names.add(PROFILE_MARKER)
    return frozenset(names)


def keyword_matcher(keyword: str, catalog: Catalog) -> Callable[[Case], bool]:
    """Whether `-k keyword` keeps a case, decided as pytest decides it: its expression
    grammar, case-insensitive substrings of `keyword_names`. Raises FilterError when pytest
    would refuse the expression (a run stops with a usage error then)."""
    # pytest's own parser (a private module, stable since pytest 6): the grammar and its
    # corner cases are then exactly the run's, not an imitation of them.
    from _pytest.mark.expression import Expression

    try:
        expression = Expression.compile(keyword.lstrip())  # pytest strips leading blanks too
    except SyntaxError as exc:  # ParseError in older pytest versions subclasses it too
        raise FilterError(f"invalid -k expression {keyword[:80]!r}: {exc}") from None
    except RecursionError:  # thousands of nested parentheses
        raise FilterError(f"invalid -k expression {keyword[:80]!r}: nested too deeply") from None

    def matches(case: Case) -> bool:
        names = [name.lower() for name in keyword_names(case, catalog)]

        def hit(sub: str, /, **kwargs: object) -> bool:
            if kwargs:  # pytest refuses `name(arg=...)` in -k
                raise FilterError(f"invalid -k expression {keyword!r}: call parameters")
            return any(sub.lower() in name for name in names)

        return expression.evaluate(hit)

    return matches


def run_cases(
    catalog: Catalog, apis: Collection[str], claimed: Collection[str], keyword: str | None
) -> list[Case]:
    """Every case a run with these options holds, in catalog order: those `selected` and
    kept by `-k`. A case skipped for an undeclared capability is still one of them (the
    report lists it as skipped). Raises FilterError for a `-k` pytest would refuse."""
    matches = keyword_matcher(keyword, catalog) if keyword and keyword.strip() else None
    return [
        case
        for case in catalog.cases.values()
        if selected(case, catalog, apis, claimed) and (matches is None or matches(case))
    ]
