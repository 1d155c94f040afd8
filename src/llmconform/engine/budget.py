"""What a run will spend before it spends it (pure): requests and token limits per case.

A case's work comes from the same planning the run uses (`engine.expand`: latency repeats,
accuracy items, property examples), so the request count of a fixed or expanded case is
exact. A scenario decides its later requests from earlier answers; its count is the upper
bound in `SCENARIO_BOUNDS` (it stops early when an answer lacks what the next step needs).
SDK cases let the SDK build their requests: they cannot be counted and are reported so.

Output tokens are bounded by each request's `max_tokens` / `max_completion_tokens` /
`max_output_tokens`, times the number of choices (`n`, or `best_of` for legacy completions).
A limit sent as null is absent (as the APIs read it), so the next one the body sets applies.
A generating request without such a limit is counted as *unbounded*, never guessed. A case
built to be rejected (one of its checks passes only on an error status: invalid parameters,
a limit beyond any context window, a bad key) costs its input but no output tokens, whatever
limit it sends on purpose. Prompt tokens are an estimate: characters of the prompt-carrying
fields divided by four.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmconform.catalog.loader import Catalog
from llmconform.catalog.steps import Variables, build_request
from llmconform.checks.registry import CHECKS
from llmconform.engine.expand import ExpandOptions, expand
from llmconform.engine.plan import ALL_CAPABILITIES, CORE_CAPABILITIES, skip_reason
from llmconform.engine.select import FilterError, case_profiles, default_apis, run_cases
from llmconform.errors import UsageError
from llmconform.model import Case, CaseWork, Request

CHARS_PER_TOKEN = 4  # a common rule of thumb for English text; only ever shown as an estimate
_LIMIT_KEYS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
_PROMPT_KEYS = ("messages", "input", "prompt", "system", "instructions", "tools")
# Endpoints that generate tokens; the others (models, embeddings) produce no output tokens.
_GENERATING = ("/chat/completions", "/completions", "/responses", "/responses/compact", "/messages")
NO_PROFILE = "(none)"
REJECTED_NOTE = "expects an error answer: no output tokens"


class BudgetError(UsageError):
    """The selection cannot be planned (e.g. a malformed `-k` expression)."""


@dataclass(frozen=True)
class _Options(ExpandOptions):
    """Expand options with run settings (the property expander reads `settings`)."""

    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioBound:
    """At most how many requests a scenario sends, and the token limits of the later ones.

    `follow_ups` gives each later request's limit (None: the scenario sets none); `inherit`
    means the later request reuses the first step's body overlaid with the second step's.
    """

    requests: int
    follow_ups: tuple[int | None, ...] = ()
    inherit: bool = False


# Read from the scenario code (scenarios/chat.py, scenarios/anthropic.py,
# scenarios/responses.py); tests/tools_cli checks every registered scenario is listed.
SCENARIO_BOUNDS: dict[str, ScenarioBound] = {
    # The tool result is sent with the first body, overlaid with step 1 (e.g. tool_choice none).
    "chat_tool_round_trip": ScenarioBound(2, inherit=True),
    # The tool_result turn reuses the first body with tool_choice auto.
    "anthropic_tool_round_trip": ScenarioBound(2, inherit=True),
    "responses_previous_response": ScenarioBound(2, follow_ups=(256,)),
    "responses_tool_round_trip": ScenarioBound(2, follow_ups=(256,)),
    "responses_compact_round_trip": ScenarioBound(2, follow_ups=(256,)),
}


@dataclass(frozen=True)
class RequestCost:
    """One request: its output-token limit (None when unbounded) and prompt size."""

    max_tokens: int | None
    prompt_chars: int


@dataclass(frozen=True)
class CaseBudget:
    """What one case costs. `requests` is None when it cannot be counted (SDK cases)."""

    case_id: str
    profiles: tuple[str, ...]
    requests: int | None
    max_tokens: int  # sum over the requests that have a limit
    unbounded: int  # generating requests without a limit
    prompt_chars: int
    upper_bound: bool = False  # a scenario may stop before its last request
    note: str = ""


@dataclass(frozen=True)
class Totals:
    """Sums over a set of cases."""

    cases: int = 0
    requests: int = 0
    uncounted_cases: int = 0  # cases whose requests cannot be counted (SDK)
    upper_bound_cases: int = 0  # scenario cases, counted at their maximum
    max_tokens: int = 0
    unbounded: int = 0
    prompt_tokens_estimate: int = 0

    def add(self, case: CaseBudget) -> Totals:
        """These totals with one more case."""
        return Totals(
            self.cases + 1,
            self.requests + (case.requests or 0),
            self.uncounted_cases + (case.requests is None),
            self.upper_bound_cases + case.upper_bound,
            self.max_tokens + case.max_tokens,
            self.unbounded + case.unbounded,
            self.prompt_tokens_estimate + case.prompt_chars // CHARS_PER_TOKEN,
        )


@dataclass(frozen=True)
class RunBudget:
    """The plan of a run: per-case costs, per-profile and overall totals, skipped cases."""

    cases: tuple[CaseBudget, ...]
    per_profile: dict[str, Totals]
    total: Totals
    skipped: tuple[tuple[str, str], ...] = ()  # (case id, why it will not run)
    notes: tuple[str, ...] = field(default=())


def request_cost(request: Request) -> RequestCost:
    """The output-token limit and prompt size of one request."""
    body = request.json if isinstance(request.json, dict) else {}
    if request.content is not None:
        prompt_chars = len(request.content)
    else:
        prompt = {k: body[k] for k in _PROMPT_KEYS if k in body}
        prompt_chars = len(json.dumps(prompt, ensure_ascii=False)) if prompt else 0
    if request.method == "GET" or not request.path.endswith(_GENERATING):
        return RequestCost(0, prompt_chars)
    # An explicit null is "not set" on the wire: the server falls back to the next limit.
    limit = next((body[k] for k in _LIMIT_KEYS if body.get(k) is not None), None)
    # Only a non-negative integer bounds the output; anything else (absent, null, an invalid
    # value the case sends on purpose) leaves it to the server.
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        return RequestCost(None, prompt_chars)
    return RequestCost(limit * _choices(body), prompt_chars)


def _choices(body: Mapping[str, Any]) -> int:
    counts = [body.get("n"), body.get("best_of")]
    valid = [c for c in counts if isinstance(c, int) and not isinstance(c, bool) and c > 0]
    return max(valid, default=1)


def expects_error(case: Case) -> bool:
    """Whether the case is built to be rejected: one of its checks passes only on an error."""
    return any(
        (spec := CHECKS.get(ref.name)) is not None and spec.expects_error for ref in case.checks
    )


def _fold(
    case: Case, profiles: tuple[str, ...], costs: Sequence[RequestCost], **kw: Any
) -> CaseBudget:
    return CaseBudget(
        case.id,
        profiles,
        len(costs),
        sum(c.max_tokens or 0 for c in costs),
        sum(c.max_tokens is None for c in costs),
        sum(c.prompt_chars for c in costs),
        **kw,
    )


def _scenario_costs(case: Case, work: CaseWork, variables: Variables) -> list[RequestCost] | None:
    bound = SCENARIO_BOUNDS.get(case.scenario or "")
    if bound is None or work.scenario is None:
        return None
    # Building a scenario's first request is pure: the generator runs up to its first yield.
    first = next(work.scenario())
    costs = [request_cost(first)]
    if bound.inherit:
        second = case.steps[1] if len(case.steps) > 1 else None
        overlay = second.get("json") if isinstance(second, dict) else None
        body = {**(first.json or {}), **(overlay if isinstance(overlay, dict) else {})}
        step = {"path": first.path, "json": body}
        # The later request repeats the conversation: its prompt is at least the first one.
        costs.append(request_cost(build_request(step, variables.as_dict(), case.id, case.api)))
    for limit in bound.follow_ups:
        costs.append(RequestCost(limit, costs[0].prompt_chars))
    return costs[: bound.requests]


def case_budget(
    case: Case, profiles: Iterable[str], variables: Variables, options: ExpandOptions
) -> CaseBudget:
    """The requests and token limits of one case, from the run's own planning."""
    names = tuple(sorted(profiles)) or (NO_PROFILE,)
    works = expand(case, variables, options)
    if any(w.driver is not None for w in works):
        return CaseBudget(case.id, names, None, 0, 0, 0, note="the SDK builds its requests")
    if any(w.scenario is not None for w in works):
        costs = _scenario_costs(case, works[0], variables)
        if costs is None:
            note = f"scenario {case.scenario!r} has no known bound"
            return CaseBudget(case.id, names, None, 0, 0, 0, note=note)
        note = f"at most {len(costs)} requests (scenario {case.scenario})"
        return _fold(case, names, costs, upper_bound=True, note=note)
    costs = [request_cost(r) for w in works for r in w.requests]
    notes = [f"{len(works)} samples"] if len(works) > 1 else []
    if expects_error(case):
        # The limit such a case sends is part of what should be refused (100M tokens, -1, none
        # at all); a conforming answer is an error, which generates nothing.
        costs = [RequestCost(0, c.prompt_chars) for c in costs]
        notes.append(REJECTED_NOTE)
    return _fold(case, names, costs, note="; ".join(notes))


def plan_run(
    catalog: Catalog,
    *,
    target_kind: str = "reference",
    apis: frozenset[str] | None = None,
    profiles: Sequence[str] = (),
    capabilities: frozenset[str] | None = None,
    keyword: str | None = None,
    requests: int = 300,
    warmup: int = 3,
    property_examples: int | None = None,
    model: str = "MODEL",
) -> RunBudget:
    """Plan a run without sending anything: the same selection as `llmconform run`.

    `target_kind` is "reference", "http", "asgi" or "replay"; `apis` None means the target's
    default families; `capabilities` None means the target's defaults (all for the reference,
    the core set otherwise), as `run` without `--capability`. `keyword` is `-k`, decided as
    pytest does (`select.keyword_matcher`). `requests`/`warmup` are latency samples;
    `property_examples` overrides the property cases' example counts. Raises `BudgetError` on
    a bad `-k`.
    """
    apis = apis or default_apis(target_kind)
    if capabilities is None:
        capabilities = ALL_CAPABILITIES if target_kind == "reference" else CORE_CAPABILITIES
    try:
        chosen = run_cases(catalog, apis, profiles, keyword)
    except FilterError as exc:
        raise BudgetError(str(exc)) from None
    variables = Variables(model)
    settings = {"properties": {"examples": property_examples}} if property_examples else {}
    options = _Options(requests, warmup, settings)
    cases: list[CaseBudget] = []
    skipped: list[tuple[str, str]] = []
    per_profile: dict[str, Totals] = {}
    total = Totals()
    for case in chosen:
        reason = skip_reason(case, capabilities)
        if reason is not None:
            skipped.append((case.id, reason))
            continue
        budget = case_budget(case, case_profiles(case, catalog), variables, options)
        cases.append(budget)
        total = total.add(budget)
        for name in budget.profiles:
            per_profile[name] = per_profile.get(name, Totals()).add(budget)
    notes = [
        f"prompt tokens are an estimate: characters / {CHARS_PER_TOKEN}",
        "a case in several profiles counts in each profile row, once in the total",
    ]
    if any(REJECTED_NOTE in c.note for c in cases):
        notes.append(
            "cases that expect an error answer count their input and no output tokens "
            "(a server that wrongly accepts them may generate)"
        )
    if target_kind == "replay":
        notes.append("a replay sends nothing: these are the requests the recorded run made")
    elif target_kind != "reference":
        notes.append("plus 1 GET /models reachability probe (and 1 more without --model)")
    if keyword:
        notes.append("-k is applied to case ids, file names and marker names, as pytest does")
    return RunBudget(tuple(cases), per_profile, total, tuple(skipped), tuple(notes))
