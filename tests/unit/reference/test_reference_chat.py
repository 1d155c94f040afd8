"""POST /v1/chat/completions without streaming, over HTTP through the ASGI transport."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from llmconform.reference import create_app

if TYPE_CHECKING:
    from unit.reference.conftest import Caller, Kit

MODEL = "llmconform-reference"
CHAT = "/v1/chat/completions"


def _content(body: dict[str, Any], index: int = 0) -> str:
    content = body["choices"][index]["message"]["content"]
    assert isinstance(content, str)
    return content


def test_response_shape(ref: Caller) -> None:
    before = int(time.time())
    response = ref.chat("Hello big world")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert re.fullmatch(r"chatcmpl-[0-9a-f]+", body["id"])
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)
    assert before <= body["created"] <= int(time.time()) + 1  # seconds, not milliseconds
    assert body["model"] == MODEL
    assert isinstance(body["system_fingerprint"], str)
    assert body["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hello big world",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]


def test_usage_counts_tokens(ref: Caller) -> None:
    usage = ref.chat("Hello big world").json()["usage"]
    # 3 prompt tokens + 3 for the message + 3 for the reply; 3 completion tokens.
    assert usage["prompt_tokens"] == 9
    assert usage["completion_tokens"] == 3
    assert usage["total_tokens"] == 12


def test_prompt_tokens_count_every_message(ref: Caller) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": " two"}],
        },
        {"role": "assistant", "content": None, "tool_calls": []},
    ]
    body = ref.request("POST", CHAT, json={"model": MODEL, "messages": messages}).json()
    assert body["usage"]["prompt_tokens"] == (2 + 3) + (2 + 3) + (0 + 3) + 3


def test_reply_echoes_the_last_user_message(ref: Caller) -> None:
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": "second question"},
        {"role": "tool", "content": "tool output", "tool_call_id": "call_1"},
    ]
    body = ref.request("POST", CHAT, json={"model": MODEL, "messages": messages}).json()
    assert _content(body) == "second question"


def test_text_content_parts_are_concatenated(ref: Caller) -> None:
    parts = [
        {"type": "text", "text": "look at"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "text", "text": " this"},
    ]
    body = ref.request(
        "POST", CHAT, json={"model": MODEL, "messages": [{"role": "user", "content": parts}]}
    ).json()
    assert _content(body) == "look at this"


def test_empty_reply_source_says_ok(ref: Caller) -> None:
    assert _content(ref.chat("").json()) == "OK"
    only_system = {"model": MODEL, "messages": [{"role": "system", "content": "hi there"}]}
    assert _content(ref.request("POST", CHAT, json=only_system).json()) == "OK"


def test_max_tokens_truncates_with_length(ref: Caller) -> None:
    body = ref.chat("one two three four", max_tokens=2).json()
    assert _content(body) == "one two"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 2


def test_max_completion_tokens_wins_over_max_tokens(ref: Caller) -> None:
    body = ref.chat("one two three four", max_tokens=1, max_completion_tokens=3).json()
    assert _content(body) == "one two three"
    assert body["choices"][0]["finish_reason"] == "length"


def test_budget_equal_to_length_is_a_natural_stop(ref: Caller) -> None:
    body = ref.chat("one two", max_tokens=2).json()
    assert body["choices"][0]["finish_reason"] == "stop"


def test_stop_string_and_list(ref: Caller) -> None:
    body = ref.chat("alpha beta gamma", stop=" gamma").json()
    assert _content(body) == "alpha beta"
    assert body["choices"][0]["finish_reason"] == "stop"
    body = ref.chat("alpha beta gamma", stop=["gam", "beta"]).json()
    assert _content(body) == "alpha "
    assert body["usage"]["completion_tokens"] == 2


def test_stop_before_budget_reports_stop_and_after_reports_length(ref: Caller) -> None:
    early_stop = ref.chat("a b c d e", stop=" c", max_tokens=4).json()
    assert (_content(early_stop), early_stop["choices"][0]["finish_reason"]) == ("a b", "stop")
    early_cut = ref.chat("a b c d e", stop=" e", max_tokens=2).json()
    assert (_content(early_cut), early_cut["choices"][0]["finish_reason"]) == ("a b", "length")


def test_n_choices(ref: Caller) -> None:
    body = ref.chat("two words", n=3).json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert all(_content(body, i) == "two words" for i in range(3))
    assert body["usage"]["completion_tokens"] == 6
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + 6


def test_unknown_fields_are_ignored(ref: Caller) -> None:
    response = ref.chat("hi", frobnicate={"x": 1}, vendor_extension=True)
    assert response.status_code == 200
    assert _content(response.json()) == "hi"


def test_null_optional_parameters_mean_absent(ref: Caller) -> None:
    nulls = {
        k: None
        for k in ("stop", "max_tokens", "n", "stream", "stream_options", "temperature", "top_p")
    }
    response = ref.chat("hi there", **nulls)
    assert response.status_code == 200
    assert _content(response.json()) == "hi there"


def test_sampling_parameters_are_accepted(ref: Caller) -> None:
    response = ref.chat(
        "hi",
        temperature=0,
        top_p=1,
        presence_penalty=-2,
        frequency_penalty=2.0,
        seed=42,
        logit_bias={"50256": -100},
        user="u1",
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        tool_choice="auto",
        response_format={"type": "text"},
    )
    assert response.status_code == 200, response.text


def test_logprobs_when_requested(ref: Caller) -> None:
    body = ref.chat("a b", logprobs=True, top_logprobs=1).json()
    content = body["choices"][0]["logprobs"]["content"]
    assert [e["token"] for e in content] == ["a", " b"]
    assert content[1]["bytes"] == list(b" b")
    assert content[0]["top_logprobs"] == [{"token": "a", "logprob": 0.0, "bytes": [97]}]


def test_other_served_models_are_accepted(kit: type[Kit]) -> None:
    caller = kit.Caller(create_app(models=("m1", "m2")))
    response = caller.request(
        "POST", CHAT, json={"model": "m2", "messages": [{"role": "user", "content": "x"}]}
    )
    assert response.status_code == 200
    assert response.json()["model"] == "m2"
