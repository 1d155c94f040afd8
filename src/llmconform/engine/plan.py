"""Turn cases into work (pure): the capability vocabulary, scenario lookup, skip reasons.

Step templates become requests in `catalog.steps`."""

from __future__ import annotations

from collections.abc import Iterable

from llmconform.catalog.steps import PlanError, Variables, requests_for
from llmconform.model import Case, CaseWork
from llmconform.scenarios.registry import SCENARIOS

# Capabilities a live target is assumed to have unless told otherwise: what every
# OpenAI-compatible chat server is expected to offer. Everything else is declared.
CORE_CAPABILITIES = frozenset({"chat", "streaming", "stream_usage", "models"})

# Every capability a case may require, with what declaring it claims.
CAPABILITIES: dict[str, str] = {
    "chat": "POST /chat/completions",
    "streaming": "stream: true on the endpoints under test",
    "stream_usage": "stream_options.include_usage",
    "models": "GET /models and GET /models/{id}",
    "auth": "an API key is required and a missing or wrong one is refused (claim it explicitly)",
    "restricted_key": "a key without permission is configured (--restricted-key-env)",
    "n": "n > 1 choices",
    "tools": "tools and tool_choice (auto, none, required, named)",
    "parallel_tool_calls": "several tool calls in one answer",
    "json_object": "response_format json_object",
    "json_schema": "response_format json_schema (strict)",
    "logprobs": "logprobs and top_logprobs",
    "vision": "image content parts",
    "completions": "legacy POST /completions",
    "embeddings": "POST /embeddings",
    "responses": "POST /responses (Open Responses)",
    "responses_compact": "POST /responses/compact",
    "previous_response_id": "stored responses chained by previous_response_id",
    "anthropic": "POST /messages (Anthropic Messages)",
    "thinking": "extended thinking (Anthropic `thinking`)",
}
ALL_CAPABILITIES = frozenset(CAPABILITIES)


# `--api` families: which wire formats a run tests (a case's `api` names one of the members).
API_FAMILIES: dict[str, frozenset[str]] = {
    "openai": frozenset(
        {"openai-chat", "openai-models", "openai-completions", "openai-embeddings"}
    ),
    "responses": frozenset({"open-responses"}),
    "anthropic": frozenset({"anthropic-messages"}),
}


def family_of(api: str) -> str:
    """The `--api` family a case's api belongs to ("openai" for anything unlisted)."""
    return next((name for name, apis in API_FAMILIES.items() if api in apis), "openai")


def work_for(case: Case, variables: Variables) -> CaseWork:
    """What the executor runs for a case: its fixed steps, or its scenario."""
    if case.scenario is None:
        return CaseWork(case.id, tuple(requests_for(case, variables)))
    fn = SCENARIOS.get(case.scenario)
    if fn is None:
        raise PlanError(f"{case.id}: unknown scenario {case.scenario!r}")
    values = variables.as_dict()
    return CaseWork(case.id, scenario=lambda: fn(case, values))


def skip_reason(case: Case, capabilities: Iterable[str]) -> str | None:
    """Why a case cannot run with these capabilities, or None when it can."""
    missing = [c for c in case.requires if c not in set(capabilities)]
    if not missing:
        return None
    hint = ", ".join(f"--capability {m}" for m in missing)
    return f"needs capability {', '.join(missing)} (not declared; add {hint} to test it)"
