"""engine.plan: template substitution, request building, skips, api families, case work."""

from __future__ import annotations

import sys
import types
from collections.abc import Generator
from typing import Any

import pytest

from llmconform.catalog.steps import (
    PlanError,
    Variables,
    auth_scheme_for,
    build_request,
    request_excerpt,
    requests_for,
    substitute,
)
from llmconform.engine.plan import (
    ALL_CAPABILITIES,
    CORE_CAPABILITIES,
    family_of,
    skip_reason,
    work_for,
)
from llmconform.model import BodyChunk, Capture, Case, CheckRef, Request
from llmconform.scenarios.registry import SCENARIOS, ScenarioFlow, scenario

VARS = {"model": "gpt-x"}


def test_substitute_fills_nested_strings_and_leaves_other_values() -> None:
    value = {
        "model": "${model}",
        "messages": [{"role": "user", "content": "use ${model} twice: ${model}"}],
        "n": 2,
        "stream": True,
        "stop": None,
        "temperature": 0.5,
        "other": "${unknown}",
    }
    out = substitute(value, VARS)
    assert out == {
        "model": "gpt-x",
        "messages": [{"role": "user", "content": "use gpt-x twice: gpt-x"}],
        "n": 2,
        "stream": True,
        "stop": None,
        "temperature": 0.5,
        "other": "${unknown}",
    }
    assert out["stream"] is True and out["stop"] is None
    assert value["model"] == "${model}"  # the template itself is not modified


def test_build_request_from_a_json_step() -> None:
    step = {
        "path": "/chat/${model}/completions",
        "json": {"model": "${model}", "stream": True},
        "headers": {"X-Trace": 1},
    }
    req = build_request(step, VARS, "c step 0", "openai-chat")
    assert req == Request(
        method="POST",
        path="/chat/gpt-x/completions",
        json={"model": "gpt-x", "stream": True},
        headers=(("X-Trace", "1"),),
        content=None,
        stream=True,
        auth="default",
        auth_scheme="bearer",
    )


@pytest.mark.parametrize("flag", [False, "true", 1, None])
def test_only_a_literal_true_makes_a_stream(flag: Any) -> None:
    req = build_request({"path": "/chat/completions", "json": {"stream": flag}}, VARS)
    assert req.stream is False


def test_build_request_from_a_raw_step() -> None:
    step = {"method": "put", "path": "/x", "raw": '{"model": ', "auth": "none"}
    req = build_request(step, VARS)
    assert (req.method, req.content, req.json, req.auth) == ("PUT", b'{"model": ', None, "none")
    assert req.stream is False


@pytest.mark.parametrize(
    ("api", "scheme"),
    [
        ("anthropic-messages", "x-api-key"),
        ("openai-chat", "bearer"),
        ("open-responses", "bearer"),
        ("", "bearer"),
    ],
)
def test_auth_scheme_per_api(api: str, scheme: str) -> None:
    assert auth_scheme_for(api) == scheme
    req = build_request({"path": "/m", "auth": "invalid"}, VARS, api=api)
    assert (req.auth, req.auth_scheme) == ("invalid", scheme)


@pytest.mark.parametrize(
    "step",
    [
        {"json": {}},  # no path
        {"path": "/x", "body": {}},  # unknown key
        "/chat/completions",
        ["/x"],
    ],
)
def test_a_bad_step_is_a_plan_error_naming_where(step: Any) -> None:
    with pytest.raises(PlanError, match=r"^case\.x step 2: a step needs 'path'"):
        build_request(step, VARS, "case.x step 2")


def make_case(**kw: Any) -> Case:
    base: dict[str, Any] = {
        "id": "t.case",
        "title": "t",
        "api": "openai-chat",
        "steps": (),
        "checks": (CheckRef("http.ok"),),
    }
    base.update(kw)
    return Case(**base)


def test_skip_reason_names_every_missing_capability() -> None:
    case = make_case(requires=("chat", "tools", "n"))
    assert skip_reason(case, CORE_CAPABILITIES | {"tools", "n"}) is None
    reason = skip_reason(case, CORE_CAPABILITIES)
    assert reason == (
        "needs capability tools, n (not declared; add --capability tools, "
        "--capability n to test it)"
    )
    assert skip_reason(make_case(), []) is None  # requires nothing


def test_every_core_capability_is_a_known_capability() -> None:
    assert CORE_CAPABILITIES <= ALL_CAPABILITIES


@pytest.mark.parametrize(
    ("api", "family"),
    [
        ("openai-chat", "openai"),
        ("openai-models", "openai"),
        ("openai-embeddings", "openai"),
        ("open-responses", "responses"),
        ("anthropic-messages", "anthropic"),
        ("something-new", "openai"),
    ],
)
def test_family_of(api: str, family: str) -> None:
    assert family_of(api) == family


def test_requests_and_work_for_a_static_case() -> None:
    steps = (
        {"method": "GET", "path": "/models/${model}"},
        {"path": "/chat/completions", "json": {"model": "${model}"}},
    )
    case = make_case(steps=steps, api="anthropic-messages")
    reqs = requests_for(case, Variables("gpt-x"))
    assert [(r.method, r.path, r.auth_scheme) for r in reqs] == [
        ("GET", "/models/gpt-x", "x-api-key"),
        ("POST", "/chat/completions", "x-api-key"),
    ]
    work = work_for(case, Variables("gpt-x"))
    assert work.case_id == "t.case" and work.requests == tuple(reqs)
    flow = work.flow()
    assert next(flow) == reqs[0]


def test_a_bad_step_in_a_case_names_the_case_and_step() -> None:
    case = make_case(steps=({"path": "/a"}, {"json": {}}))
    with pytest.raises(PlanError, match=r"^t\.case step 1:"):
        work_for(case, Variables("m"))


def _capture(req: Request, body: bytes) -> Capture:
    return Capture(req, 200, (), (BodyChunk(1, body),), t_sent_ns=0)


@scenario("core-test-echo-id")
def _echo_id(case: Case, variables: dict[str, str]) -> Generator[Request, Capture, None]:
    first = build_request({"path": "/first", "json": {"model": "${model}"}}, variables, case.id)
    got = yield first
    # The second request depends on the first response: that is what scenarios are for.
    yield build_request({"path": "/second/" + got.body.decode()}, variables, case.id)


SCENARIOS.include(__name__)  # the test-only definitions above


def test_scenario_registration_rejects_a_duplicate_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SCENARIOS["core-test-echo-id"] is _echo_id
    twice = types.ModuleType("core_test_twice")

    def again(case: Case, variables: dict[str, str]) -> ScenarioFlow:
        yield from _echo_id(case, variables)

    again.__module__ = twice.__name__
    twice.again = scenario("core-test-echo-id")(again)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, twice.__name__, twice)
    with pytest.raises(ValueError, match="defined twice"):
        SCENARIOS.include(twice.__name__)


def test_work_for_a_scenario_case_drives_the_generator() -> None:
    case = make_case(scenario="core-test-echo-id")
    work = work_for(case, Variables("gpt-x"))
    assert work.requests == ()
    flow = work.flow()
    first = next(flow)
    assert (first.path, first.json) == ("/first", {"model": "gpt-x"})
    second = flow.send(_capture(first, b"abc"))
    assert second.path == "/second/abc"
    with pytest.raises(StopIteration):
        flow.send(_capture(second, b""))
    # Each call to flow() starts a fresh conversation.
    assert next(work.flow()).path == "/first"


def test_an_unknown_scenario_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="unknown scenario 'no-such-flow'"):
        work_for(make_case(scenario="no-such-flow"), Variables("m"))


def test_request_excerpt_never_includes_headers_and_is_capped() -> None:
    req = Request(
        "POST",
        "/chat/completions",
        json={"model": "m", "text": "é" * 1000},
        headers=(("Authorization", "Bearer sk-secret"),),
    )
    text = request_excerpt(req)
    assert text.startswith('POST /chat/completions {"model": "m", "text": "é')
    assert len(text) == 400
    assert "sk-secret" not in text
    raw = Request("POST", "/x", content=b"{bad")
    assert request_excerpt(raw) == "POST /x {bad"
    assert request_excerpt(Request("GET", "/models")) == "GET /models "
