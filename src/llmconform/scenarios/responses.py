"""Multi-step Open Responses cases: each later request is built from an earlier response.

Scenarios are pure generators (see `engine.scenarios`): they yield a request, receive its
capture, and stop early when an answer lacks what the next step needs; the case's checks
then report the first step's failure.
"""

from __future__ import annotations

import json
from typing import Any

from llmconform.catalog.steps import build_request
from llmconform.model import Capture, Case, Request
from llmconform.protocol.open_responses import cut_by_limit
from llmconform.scenarios.registry import ScenarioFlow, scenario

# Every /responses request is bounded (safe against paid APIs), like the fixed cases: room
# for a short answer or a tool call, and for the reasoning tokens that reasoning models count
# against max_output_tokens; a response cut anyway is accepted by the checks.
ANSWER_TOKENS = 256
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city name, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    },
}
TOOL_RESULT = '{"city": "Paris", "temperature": 21, "unit": "celsius", "conditions": "sunny"}'
COMPACT_INPUT: list[dict[str, Any]] = [
    {"role": "user", "content": "Let us plan a picnic in the park on Saturday."},
    {"role": "assistant", "content": "Great idea. Bring sandwiches, fruit and a blanket."},
    {"role": "user", "content": "We also need drinks."},
    {"role": "assistant", "content": "Add lemonade and water to the list."},
]


def _body(capture: Capture) -> dict[str, Any]:
    """The JSON object a capture carries, or {} when there is none."""
    if capture.status != 200:
        return {}
    try:
        value = json.loads(capture.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _post(case: Case, values: dict[str, str], path: str, body: dict[str, Any]) -> Request:
    return build_request({"path": path, "json": body}, values, case.id, case.api)


@scenario("responses_previous_response")
def previous_response(case: Case, values: dict[str, str]) -> ScenarioFlow:
    """Create a stored response, then continue from it with `previous_response_id`."""
    first = yield _post(
        case,
        values,
        "/responses",
        {
            "model": "${model}",
            "input": "My name is Ada Lovelace. Please remember it.",
            "store": True,
            "max_output_tokens": ANSWER_TOKENS,
        },
    )
    response_id = _body(first).get("id")
    if not isinstance(response_id, str) or not response_id:
        return
    yield _post(
        case,
        values,
        "/responses",
        {
            "model": "${model}",
            "previous_response_id": response_id,
            "input": [{"type": "message", "role": "user", "content": "What is my name?"}],
            "max_output_tokens": ANSWER_TOKENS,
        },
    )


@scenario("responses_tool_round_trip")
def tool_round_trip(case: Case, values: dict[str, str]) -> ScenarioFlow:
    """Force a function call, then send its output back and expect a text answer."""
    question = {"role": "user", "content": "What is the weather in Paris, in celsius?"}
    first = yield _post(
        case,
        values,
        "/responses",
        {
            "model": "${model}",
            "input": [question],
            "tools": [WEATHER_TOOL],
            "tool_choice": "required",
            "max_output_tokens": ANSWER_TOKENS,
        },
    )
    answer = _body(first)
    output = answer.get("output")
    items = output if isinstance(output, list) else []
    calls = [
        item for item in items if isinstance(item, dict) and item.get("type") == "function_call"
    ]
    if not calls or not isinstance(calls[0].get("call_id"), str):
        return
    call = calls[0]
    # A call that is the last item of a cut response may have partial arguments: a client
    # must not run it, so there is nothing to answer (the checks then cannot tell).
    if cut_by_limit(answer) and call is items[-1]:
        return
    # The call goes back as the server returned it, as SDK users do with `response.output`.
    yield _post(
        case,
        values,
        "/responses",
        {
            "model": "${model}",
            "input": [
                question,
                call,
                {"type": "function_call_output", "call_id": call["call_id"], "output": TOOL_RESULT},
            ],
            "tools": [WEATHER_TOOL],
            "tool_choice": "none",
            "max_output_tokens": ANSWER_TOKENS,
        },
    )


@scenario("responses_compact_round_trip")
def compact_round_trip(case: Case, values: dict[str, str]) -> ScenarioFlow:
    """Compact a conversation, then start a new response from the compacted window."""
    first = yield _post(
        case,
        values,
        "/responses/compact",
        {
            "model": "${model}",
            "input": COMPACT_INPUT,
        },
    )
    window = _body(first).get("output")
    if not isinstance(window, list) or not window:
        return
    yield _post(
        case,
        values,
        "/responses",
        {
            "model": "${model}",
            "input": [*window, {"role": "user", "content": "Summarise the list in one line."}],
            "max_output_tokens": ANSWER_TOKENS,
        },
    )
