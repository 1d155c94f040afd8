"""Turn cases into requests (pure): fill templates, decide skips from capabilities.

A case step in YAML is a request template:

    - method: POST            # default POST
      path: /chat/completions
      json: {model: ${model}, messages: [...]}
      raw: '{"model": '       # a raw body instead of json (malformed-JSON cases)
      auth: invalid           # default | none | invalid | restricted
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from llmconform.engine.executor import CaseWork
from llmconform.engine.scenarios import SCENARIOS
from llmconform.model import Case, Request

_STEP_KEYS = {"method", "path", "json", "raw", "auth", "headers"}

# Capabilities a live target is assumed to have unless told otherwise: what every
# OpenAI-compatible chat server is expected to offer. Everything else is declared.
CORE_CAPABILITIES = frozenset({"chat", "streaming", "stream_usage", "models"})

# Every capability a case may require, with what declaring it claims.
CAPABILITIES: dict[str, str] = {
    "chat": "POST /chat/completions",
    "streaming": "stream: true on the endpoints under test",
    "stream_usage": "stream_options.include_usage",
    "models": "GET /models and GET /models/{id}",
    "auth": "an API key is required (set automatically when a key is configured)",
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


class PlanError(ValueError):
    """A case template cannot be turned into a request."""


@dataclass(frozen=True)
class Variables:
    """Values substituted into `${name}` placeholders of case templates.

    Real servers serve embeddings and legacy completions from other models than chat, so
    those have their own placeholders, defaulting to the chat model.
    """

    model: str
    embedding_model: str = ""
    completion_model: str = ""

    def as_dict(self) -> dict[str, str]:
        """The placeholder values by name."""
        return {
            "model": self.model,
            "embedding_model": self.embedding_model or self.model,
            "completion_model": self.completion_model or self.model,
        }


def substitute(value: Any, variables: Mapping[str, str]) -> Any:
    """Replace `${name}` in every string of a JSON-like value (recursively)."""
    if isinstance(value, str):
        for name, repl in variables.items():
            value = value.replace("${" + name + "}", repl)
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def auth_scheme_for(api: str) -> str:
    """How an API carries its key: Anthropic uses `x-api-key`, the others a bearer token."""
    return "x-api-key" if api.startswith("anthropic") else "bearer"


def build_request(
    step: Any, variables: Mapping[str, str], where: str = "", api: str = ""
) -> Request:
    """A `Request` from one step template."""
    if not isinstance(step, dict) or not set(step) <= _STEP_KEYS or "path" not in step:
        raise PlanError(f"{where}: a step needs 'path' and only keys {sorted(_STEP_KEYS)}")
    body = substitute(step.get("json"), variables)
    raw = step.get("raw")
    content = raw.encode() if isinstance(raw, str) else None
    stream = bool(isinstance(body, dict) and body.get("stream") is True)
    headers = tuple((str(k), str(v)) for k, v in (step.get("headers") or {}).items())
    return Request(
        method=str(step.get("method", "POST")).upper(),
        path=substitute(str(step["path"]), variables),
        json=body,
        headers=headers,
        content=content,
        stream=stream,
        auth=str(step.get("auth", "default")),
        auth_scheme=auth_scheme_for(api),
    )


def requests_for(case: Case, variables: Variables) -> list[Request]:
    """Every request of a static case, in order."""
    return [
        build_request(step, variables.as_dict(), f"{case.id} step {i}", case.api)
        for i, step in enumerate(case.steps)
    ]


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


def request_excerpt(request: Request, limit: int = 400) -> str:
    """A short text of the request body for evidence (never includes headers or keys)."""
    if request.content is not None:
        text = request.content.decode("utf-8", "replace")
    elif request.json is not None:
        text = json.dumps(request.json, ensure_ascii=False)
    else:
        text = ""
    return f"{request.method} {request.path} {text}"[:limit]
