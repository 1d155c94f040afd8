"""The Anthropic Messages scenario: a forced tool call answered with a `tool_result`."""

from __future__ import annotations

import json

from llmconform.catalog.steps import build_request
from llmconform.model import Case
from llmconform.protocol.anthropic_messages import tool_uses
from llmconform.scenarios.registry import ScenarioFlow, scenario

__all__ = ["tool_round_trip_flow"]


@scenario("anthropic_tool_round_trip")
def tool_round_trip_flow(case: Case, variables: dict[str, str]) -> ScenarioFlow:
    """Step 1 forces a tool call; step 2 answers its id with a tool_result (tool_choice auto)."""
    first = case.steps[0]
    capture = yield build_request(first, variables, f"{case.id} step 0", case.api)
    try:
        answer = json.loads(capture.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return
    calls = tool_uses(answer) if isinstance(answer, dict) else []
    if capture.status != 200 or not calls:
        return
    body = dict(first["json"])
    body["tool_choice"] = {"type": "auto"}
    body["messages"] = [
        *body["messages"],
        {"role": "assistant", "content": answer["content"]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": c.get("id"), "content": "Sunny, 21 °C"}
                for c in calls
            ],
        },
    ]
    step = {**first, "json": body}
    yield build_request(step, variables, f"{case.id} step 1", case.api)
