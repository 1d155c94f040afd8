"""engine.preflight: the run's own refused requests are the caller's setup; the deliberate
auth and error cases' 401s and 404s are the server's to be judged on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.engine.preflight import Preflight
from llmconform.model import BodyChunk, Capture, Request

MODELS = Request("GET", "/models")


def answer(request: Request, status: int, body: Any = None) -> Capture:
    data = json.dumps(body if body is not None else {"error": {"message": "x"}}).encode()
    return Capture(request, status, (), (BodyChunk(1, data),), 0)


def chat(model: str = "m", auth: str = "default", scheme: str = "bearer") -> Request:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    return Request("POST", "/chat/completions", json=body, auth=auth, auth_scheme=scheme)


def listing(*ids: str) -> Capture:
    return answer(MODELS, 200, {"object": "list", "data": [{"id": i} for i in ids]})


def watch(*captures: Capture, key: bool = True) -> list[str]:
    pre = Preflight("m", key, "KEY_VAR", "http://127.0.0.1:9")
    return [line for c in captures if (line := pre(c))]


@pytest.mark.parametrize("first_probe", [True, False])
def test_a_refused_key_is_decided_whichever_answer_comes_first(first_probe: bool) -> None:
    probe, ordinary = answer(MODELS, 401), answer(chat(), 401)
    order = (probe, ordinary) if first_probe else (ordinary, probe)
    assert watch(*order) == [
        "the target refused the run's own requests with 401: the key in KEY_VAR is not "
        "accepted; check its value and that it belongs to this server"
    ]
    assert "no key is set: set KEY_VAR" in watch(*order, key=False)[0]


def test_the_deliberate_auth_and_error_cases_are_never_read() -> None:
    lines = watch(
        listing("m"),
        answer(chat(auth="invalid"), 401),
        answer(chat(auth="none"), 401),
        answer(chat(auth="restricted"), 403),
        answer(chat(model="no-such-model"), 404),
        answer(chat(), 200, {"choices": []}),
    )
    assert lines == []


def test_a_key_that_served_the_model_list_is_the_servers_to_refuse_elsewhere() -> None:
    # E.g. a server that ignores x-api-key: a conformance failure, judged as one.
    assert watch(listing("m"), answer(chat(scheme="x-api-key"), 401)) == []


def test_an_unlisted_model_refused_with_404_is_not_served() -> None:
    [line] = watch(listing("a", "b"), answer(chat(), 404))
    assert line.startswith("the model 'm' is not served: GET /models lists a, b")
    # Listed (an alias the server resolves differently) or answered: judged normally.
    assert watch(listing("m"), answer(chat(), 404)) == []
    assert watch(listing("a"), answer(chat(), 200, {})) == []


def test_404_everywhere_asks_for_v1() -> None:
    [line] = watch(answer(chat(), 404), answer(MODELS, 404))
    assert "does the base URL end in /v1? did you mean --target http://127.0.0.1:9/v1?" in line


def test_without_a_probe_nothing_is_decided() -> None:
    pre = Preflight("m", True, "KEY_VAR", "http://h/v1", expect_probe=False)
    assert pre(answer(chat(), 404)) is None and pre(answer(chat(), 401)) is None
