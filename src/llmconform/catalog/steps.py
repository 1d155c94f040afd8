"""A case step template turned into a `Request` (pure): `${name}` placeholders filled in.

A case step in YAML is a request template:

    - method: POST            # default POST
      path: /chat/completions
      json: {model: ${model}, messages: [...]}
      raw: '{"model": '       # a raw body instead of json (malformed-JSON cases)
      auth: invalid           # default | none | invalid | restricted
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmconform.errors import CatalogError
from llmconform.model import Case, Request

_STEP_KEYS = {"method", "path", "json", "raw", "auth", "headers"}


class PlanError(CatalogError):
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


def request_excerpt(request: Request, limit: int = 400) -> str:
    """A short text of the request body for evidence (never includes headers or keys)."""
    if request.content is not None:
        text = request.content.decode("utf-8", "replace")
    elif request.json is not None:
        text = json.dumps(request.json, ensure_ascii=False)
    else:
        text = ""
    return f"{request.method} {request.path} {text}"[:limit]
