"""`llmconform plan` and engine.budget: what a run would spend, counted without sending."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from llmconform.catalog.loader import Catalog, load_catalog
from llmconform.catalog.steps import Variables, build_request
from llmconform.checks import known_checks
from llmconform.cli.main import main
from llmconform.engine.budget import (
    SCENARIO_BOUNDS,
    BudgetError,
    RequestCost,
    Totals,
    plan_run,
    request_cost,
)
from llmconform.model import BodyChunk, Capture, Case, CheckRef, Level, Request, Requirement
from llmconform.scenarios.registry import SCENARIOS

HELLO = [{"role": "user", "content": "hello there"}]


def chat(**body: Any) -> dict[str, Any]:
    return {"path": "/chat/completions", "json": {"model": "${model}", "messages": HELLO, **body}}


def synthetic() -> Catalog:
    reqs = [
        Requirement("CHAT-001", Level.MUST, "chat", "schema", profiles=("p1",)),
        Requirement("STREAM-003", Level.MUST, "stream", "done", profiles=("p2",)),
        Requirement("STREAM-004", Level.MUST, "stream", "after done", profiles=("p2",)),
    ]
    schema, done = (CheckRef("chat.schema"),), (CheckRef("stream.done"),)
    cases = [
        # 2 requests: 10 tokens x n=2, then max_completion_tokens 5 (preferred over max_tokens).
        Case(
            "a",
            "a",
            "openai-chat",
            (chat(max_tokens=10, n=2), chat(max_completion_tokens=5)),
            schema,
        ),
        Case("b", "b", "openai-chat", (chat(),), schema),  # no limit: unbounded
        Case("c", "c", "openai-models", ({"method": "GET", "path": "/models"},), schema),
        Case("d", "d", "openai-chat", (chat(max_tokens=4),), done, tags=("repeat",)),
        Case(
            "e",
            "e",
            "openai-chat",
            (chat(max_tokens=8), {"path": "/chat/completions", "json": {"tool_choice": "none"}}),
            schema + done,
            scenario="chat_tool_round_trip",
        ),
        Case("f", "f", "openai-chat", (chat(max_tokens=1),), schema, requires=("tools",)),
    ]
    return Catalog({r.id: r for r in reqs}, {c.id: c for c in cases})


def prompt_tokens(*bodies: Any) -> int:
    return sum(len(json.dumps({"messages": b}, ensure_ascii=False)) for b in bodies) // 4


def test_a_synthetic_catalog_is_counted_exactly() -> None:
    plan = plan_run(synthetic(), target_kind="http", requests=5, warmup=2)
    by_id = {c.case_id: c for c in plan.cases}
    assert set(by_id) == {"a", "b", "c", "d", "e"}
    assert plan.skipped and plan.skipped[0][0] == "f" and "tools" in plan.skipped[0][1]
    assert (by_id["a"].requests, by_id["a"].max_tokens, by_id["a"].unbounded) == (2, 25, 0)
    assert (by_id["b"].requests, by_id["b"].max_tokens, by_id["b"].unbounded) == (1, 0, 1)
    assert (by_id["c"].requests, by_id["c"].max_tokens, by_id["c"].unbounded) == (1, 0, 0)
    assert (by_id["d"].requests, by_id["d"].max_tokens) == (7, 28)  # 2 warm-ups + 5 samples
    assert (by_id["e"].requests, by_id["e"].max_tokens, by_id["e"].upper_bound) == (2, 16, True)
    assert plan.per_profile["p1"] == Totals(
        cases=4,
        requests=6,
        max_tokens=41,
        unbounded=1,
        upper_bound_cases=1,
        prompt_tokens_estimate=by_id["a"].prompt_chars // 4
        + by_id["b"].prompt_chars // 4
        + by_id["e"].prompt_chars // 4,
    )
    assert plan.per_profile["p2"].requests == 9 and plan.per_profile["p2"].max_tokens == 44
    assert plan.total.cases == 5 and plan.total.requests == 13
    assert plan.total.max_tokens == 25 + 28 + 16 and plan.total.unbounded == 1
    assert by_id["a"].prompt_chars // 4 == prompt_tokens(HELLO, HELLO)


def test_declared_capabilities_and_profiles_select_like_a_run() -> None:
    catalog = synthetic()
    assert "f" in {c.case_id for c in plan_run(catalog, capabilities=frozenset({"tools"})).cases}
    only_p2 = plan_run(catalog, profiles=["p2"])
    assert {c.case_id for c in only_p2.cases} == {"d", "e"}


def test_keyword_selects_by_case_id_like_pytest_k() -> None:
    plan = plan_run(synthetic(), keyword="a or d")
    assert {c.case_id for c in plan.cases} == {"a", "d"}
    plan = plan_run(synthetic(), keyword="not a")
    assert "a" not in {c.case_id for c in plan.cases}
    with pytest.raises(BudgetError):
        plan_run(synthetic(), keyword="a and (")


def test_request_cost_limits() -> None:
    def cost(path: str = "/chat/completions", **body: Any) -> RequestCost:
        return request_cost(Request("POST", path, json=body))

    assert cost(max_tokens=7).max_tokens == 7
    assert cost(max_tokens=7, n=3).max_tokens == 21
    assert cost("/completions", max_tokens=7, n=2, best_of=4).max_tokens == 28
    assert cost("/responses", max_output_tokens=9).max_tokens == 9
    assert cost("/messages", max_tokens=9).max_tokens == 9
    assert cost().max_tokens is None  # no limit: unbounded, never a guess
    assert cost(max_tokens=-1).max_tokens is None  # an invalid limit bounds nothing
    assert cost(max_tokens=True).max_tokens is None
    assert cost("/embeddings", input="x").max_tokens == 0  # no output tokens
    assert request_cost(Request("GET", "/models")).max_tokens == 0
    raw = request_cost(Request("POST", "/chat/completions", content=b'{"model": '))
    assert raw.max_tokens is None and raw.prompt_chars == 10


def test_every_scenario_of_the_catalog_has_a_bound() -> None:
    # Other tests register scenarios of their own: the packaged cases are what a run plans.
    catalog = load_catalog(known_checks=known_checks())
    used = {c.scenario for c in catalog.cases.values() if c.scenario and c.scenario in SCENARIOS}
    assert used and used <= set(SCENARIO_BOUNDS)
    plan = plan_run(catalog)
    assert not [c for c in plan.cases if "no known bound" in c.note]


def _capture(request: Request, body: Any) -> Capture:
    data = json.dumps(body).encode()
    return Capture(request, 200, (("content-type", "application/json"),), (BodyChunk(1, data),), 0)


# Answers that let each scenario go all the way (the most requests it can send).
_FULL_ANSWERS = {
    "responses_previous_response": {"id": "resp_1", "output": []},
    "responses_tool_round_trip": {
        "output": [{"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}]
    },
    "responses_compact_round_trip": {"output": [{"type": "message", "role": "user"}]},
}


@pytest.mark.parametrize("name", sorted(_FULL_ANSWERS))
def test_responses_scenario_bounds_match_their_code(name: str) -> None:
    catalog = load_catalog(known_checks=known_checks())
    [case] = [c for c in catalog.cases.values() if c.scenario == name]
    flow = SCENARIOS[name](case, Variables("m").as_dict())
    sent = [next(flow)]
    for _ in range(10):  # bounded: a scenario sends a handful of requests
        try:
            sent.append(flow.send(_capture(sent[-1], _FULL_ANSWERS[name])))
        except StopIteration:
            break
    bound = SCENARIO_BOUNDS[name]
    assert len(sent) == bound.requests
    assert [request_cost(r).max_tokens for r in sent[1:]] == list(bound.follow_ups)


# Every generating request of the packaged suite carries an output-token limit (a run against
# a paid API must not be open-ended), except these, each with the reason it cannot.
UNBOUNDED_BY_DESIGN = {
    # POST /responses/compact has no output limit parameter (its body is model, input,
    # instructions, previous_response_id and cache/tier settings): a max_output_tokens there
    # is an unknown parameter, which OpenAI rejects with a 400.
    "responses.compact": 1,
    # Its first request is the same /responses/compact; the follow-up /responses is bounded.
    "responses.compact_round_trip": 1,
}


def test_no_packaged_case_is_unbounded_unless_justified() -> None:
    catalog = load_catalog(known_checks=known_checks())
    # Every profile, opt-in ones included, and every capability: the whole packaged suite.
    profiles = sorted({p for r in catalog.requirements.values() for p in r.profiles})
    plan = plan_run(catalog, profiles=profiles)
    assert {c.case_id for c in plan.cases} == set(catalog.cases)  # nothing left out
    unbounded = {c.case_id: c.unbounded for c in plan.cases if c.unbounded}
    assert unbounded == UNBOUNDED_BY_DESIGN
    # The cases whose requests an SDK builds are not counted here; their drivers set limits.
    assert all(c.case_id.startswith("sdk.") for c in plan.cases if c.requests is None)


def test_responses_tool_round_trip_sends_no_cut_call_back() -> None:
    # A call cut mid-arguments must not be run, so there is no result to send back.
    catalog = load_catalog(known_checks=known_checks())
    [case] = [c for c in catalog.cases.values() if c.scenario == "responses_tool_round_trip"]
    cut_call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"ci'}
    answers = {
        "cut": (
            {
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
                "output": [{**cut_call, "status": "incomplete"}],
            },
            1,
        ),
        "whole": ({"status": "completed", "output": [cut_call]}, 2),
    }
    for name, (answer, requests) in answers.items():
        flow = SCENARIOS["responses_tool_round_trip"](case, Variables("m").as_dict())
        sent = [next(flow)]
        with contextlib.suppress(StopIteration):  # the scenario may stop after one request
            sent.append(flow.send(_capture(sent[0], answer)))
        assert len(sent) == requests, name
        assert all(request_cost(r).max_tokens == 256 for r in sent), name


def test_chat_round_trip_follow_up_inherits_the_first_body() -> None:
    case = synthetic().cases["e"]
    flow = SCENARIOS["chat_tool_round_trip"](case, Variables("m").as_dict())
    first = next(flow)
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    answer = {"choices": [{"message": {"role": "assistant", "tool_calls": [call]}}]}
    second = flow.send(_capture(first, answer))
    assert request_cost(second).max_tokens == 8 and second.json["tool_choice"] == "none"
    assert build_request(case.steps[0], {"model": "m"}).json["max_tokens"] == 8


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["plan", *args], catch_exceptions=False)


def test_packaged_performance_profile_counts_latency_samples() -> None:
    result = invoke("--profile", "performance", "--requests", "10", "--warmup", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [perf] = [c for c in data["cases"] if c["case_id"] == "perf.stream_latency"]
    assert perf["requests"] == 13 and perf["max_tokens"] == 13 * 48
    assert data["profiles"]["performance"]["requests"] >= 13
    assert data["total"]["requests"] == sum(c["requests"] or 0 for c in data["cases"])


def test_latency_samples_follow_requests_and_warmup() -> None:
    def samples(*args: str) -> int:
        data = json.loads(invoke("--profile", "performance", "--json", *args).output)
        count: int = next(
            c["requests"] for c in data["cases"] if c["case_id"] == "perf.stream_latency"
        )
        return count

    assert samples("--requests", "10") == 13
    assert samples("--requests", "20", "--warmup", "0") == 20


def test_table_reports_unbounded_requests_and_estimates() -> None:
    result = invoke("--api", "responses")
    assert result.exit_code == 0, result.output
    assert "unbounded" in result.output and "estimate" in result.output
    assert "responses" in result.output and "total" in result.output


def test_plan_usage_errors_exit_2() -> None:
    assert invoke("--profile", "nope").exit_code == 2
    assert invoke("--capability", "telepathy").exit_code == 2
    bad_k = invoke("-k", "stream and (")
    assert bad_k.exit_code == 2 and "-k" in bad_k.stderr


def test_a_null_limit_is_absent_and_the_next_limit_bounds_the_output() -> None:
    # null means "absent" on the wire: the server then applies the next limit the body sets.
    def cost(**body: Any) -> int | None:
        return request_cost(Request("POST", "/chat/completions", json=body)).max_tokens

    assert cost(max_completion_tokens=None, max_tokens=16) == 16
    assert cost(max_completion_tokens=None, max_tokens=16, n=None) == 16
    assert cost(max_completion_tokens=None, max_tokens=None) is None


def test_a_case_expecting_an_error_answer_costs_its_input_and_no_output() -> None:
    rejected = (CheckRef("error.status", (("expect", 400),)),)
    huge = Case("huge", "huge", "openai-chat", (chat(max_tokens=100_000_000),), rejected)
    unlimited = Case("bad", "bad", "openai-chat", (chat(max_tokens=-1),), rejected)
    reqs = {"ERR-004": Requirement("ERR-004", Level.MUST, "errors", "status", profiles=("p",))}
    catalog = Catalog(reqs, {c.id: c for c in (huge, unlimited)})
    by_id = {c.case_id: c for c in plan_run(catalog).cases}
    for budget in by_id.values():
        assert (budget.requests, budget.max_tokens, budget.unbounded) == (1, 0, 0)
        assert budget.prompt_chars == len(json.dumps({"messages": HELLO}))
        assert "error" in budget.note


def test_the_packaged_plan_counts_no_nonsense() -> None:
    data = json.loads(invoke("--json").output)
    by_id = {c["case_id"]: c for c in data["cases"]}
    # A 400 is expected: the request's input is spent, an error answer generates nothing.
    context = by_id["error.context_length"]
    assert (context["max_tokens"], context["unbounded"]) == (0, 0) and context["prompt_chars"] > 0
    # max_tokens: 16 next to max_completion_tokens: null is a bound of 16, not "unbounded".
    nulls = by_id["params.explicit_nulls"]
    assert (nulls["max_tokens"], nulls["unbounded"]) == (16, 0)
    # Every case built to be rejected (fixed or generated) costs no output tokens.
    for case_id in (
        "error.malformed_json",
        "error.max_tokens_negative",
        "anthropic.error.missing_max_tokens",
        "anthropic.version_missing",
        "responses.error.unknown_model",
        "responses.auth.invalid_key",
        "prop.invalid_requests",
    ):
        assert (by_id[case_id]["max_tokens"], by_id[case_id]["unbounded"]) == (0, 0), case_id
    # A new rejection case is caught too, whichever API it is for (an error check that does
    # not declare `expects_error` would put its deliberate limit back into the total).
    named = [c for c in by_id if {"error", "auth"} & set(c.split("."))]
    assert len(named) > 40
    assert all("expects an error" in by_id[c]["note"] for c in named), named
    # The suite asks for small answers: no request of the default plan may generate more than
    # a few hundred tokens, so a total far beyond that is a miscount.
    # Anthropic's thinking budget is at least 1024 tokens and max_tokens must exceed it.
    for case in data["cases"]:
        if case["requests"]:
            floor = 1024 if "thinking" in case["case_id"] else 0
            assert case["max_tokens"] <= (floor + 512) * case["requests"], case["case_id"]
