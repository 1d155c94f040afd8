"""checks.chat: each check passes a good completion and flags a bad one with its requirement."""

from __future__ import annotations

from typing import Any

import pytest

from llmconform.checks import IssueKind, Unverifiable

from core_helpers import T0, capture, chunk, completion, reqs, run_check, stream_capture

MSGS = [{"role": "user", "content": "hi"}]


def body_case(check: str, body: Any, **kw: Any) -> list[str]:
    return reqs(run_check(check, capture(body, **kw)))


def test_schema() -> None:
    assert body_case("chat.schema", completion()) == []
    bad = completion()
    del bad["choices"][0]["message"]["role"]
    issues = run_check("chat.schema", capture(bad))
    assert reqs(issues) == ["CHAT-001"]
    assert issues[0].path == "$.choices[0].message.role"


def test_schema_needs_json() -> None:
    with pytest.raises(Unverifiable, match="not JSON"):
        run_check("chat.schema", capture(b"<html>oops</html>"))


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (T0, []),
        (T0 + 3600, []),  # clocks differ a little
        (T0 * 1000, ["CHAT-002"]),  # milliseconds
        (0, ["CHAT-003"]),  # far from the request time
        (T0 - 2 * 86_400, ["CHAT-003"]),
        ("1700000000", []),  # a wrong type is the schema's finding, not this one's
    ],
)
def test_created(created: Any, expected: list[str]) -> None:
    assert body_case("chat.created", completion(created=created)) == expected


def test_created_without_a_known_request_time_only_judges_units() -> None:
    assert body_case("chat.created", completion(created=0), sent_at=0.0) == []
    assert body_case("chat.created", completion(created=T0 * 1000), sent_at=0.0) == ["CHAT-002"]


def test_created_of_a_stream_uses_the_folded_first_chunk() -> None:
    cap = stream_capture(
        chunk({"role": "assistant"}, created=T0 * 1000), chunk(finish_reason="stop")
    )
    assert reqs(run_check("chat.created", cap)) == ["CHAT-002"]


def test_choices() -> None:
    n2 = {"model": "m", "messages": MSGS, "n": 2}
    assert body_case("chat.choices", completion()) == []
    assert body_case("chat.choices", completion(n=2), request_json=n2) == []
    assert body_case("chat.choices", completion(n=1), request_json=n2) == ["CHAT-004"]
    dup = completion(n=2)
    dup["choices"][1]["index"] = 0
    issues = run_check("chat.choices", capture(dup, request_json=n2))
    assert reqs(issues) == ["CHAT-004"]
    assert "got [0, 0]" in issues[0].message


@pytest.mark.parametrize(
    ("message", "finish", "expected"),
    [
        ({"role": "assistant", "content": "Hi"}, "stop", []),
        ({"role": "assistant", "content": ""}, "stop", []),  # empty text is still text
        ({"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}, "tool_calls", []),
        ({"role": "assistant", "content": None, "refusal": "No."}, "stop", []),
        # Cut by the token limit before any visible text (a reasoning model thinking).
        ({"role": "assistant", "content": None}, "length", []),
        ({"role": "assistant", "content": None}, "stop", ["CHAT-005"]),
        ({"role": "user", "content": "Hi"}, "stop", ["CHAT-005"]),
        ({"content": "Hi"}, "stop", ["CHAT-005"]),
        ("Hi", "stop", ["CHAT-005"]),
    ],
)
def test_message(message: Any, finish: str, expected: list[str]) -> None:
    body = completion(finish_reason=finish)
    body["choices"][0]["message"] = message
    assert body_case("chat.message", body) == expected


def test_message_of_a_stream_without_role() -> None:
    cap = stream_capture(chunk({"content": "Hi"}), chunk(finish_reason="stop"))
    issues = run_check("chat.message", cap)
    assert reqs(issues) == ["CHAT-005"]
    assert issues[0].path == "$.choices[0].message.role"


def test_length() -> None:
    req = {"model": "m", "messages": MSGS, "max_tokens": 5}
    usage = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    good = completion(finish_reason="length", usage=usage)
    assert body_case("chat.length", good, request_json=req) == []
    assert body_case(
        "chat.length", completion(finish_reason="stop", usage=usage), request_json=req
    ) == ["CHAT-LEN-001"]
    over = {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}
    assert body_case(
        "chat.length", completion(finish_reason="length", usage=over), request_json=req
    ) == ["CHAT-LEN-002"]
    # max_completion_tokens wins over max_tokens; n multiplies the cap.
    req2 = {"model": "m", "messages": MSGS, "max_completion_tokens": 3, "max_tokens": 50, "n": 2}
    body = completion(finish_reason="length", n=2, usage=usage)  # 5 <= 3 * 2
    assert body_case("chat.length", body, request_json=req2) == []


def test_length_without_a_limit_is_a_case_bug() -> None:
    with pytest.raises(ValueError, match="needs a request with max_tokens"):
        run_check("chat.length", capture(completion()))


def test_stop() -> None:
    req = {"model": "m", "messages": MSGS, "stop": ["gamma", ""]}
    assert body_case("chat.stop", completion(content="alpha beta "), request_json=req) == []
    issues = run_check("chat.stop", capture(completion(content="alpha gamma"), request_json=req))
    assert reqs(issues) == ["CHAT-STOP-001"]
    assert "'gamma' at offset 6" in issues[0].message
    single = {"model": "m", "messages": MSGS, "stop": "beta"}
    assert body_case("chat.stop", completion(content="alpha beta"), request_json=single) == [
        "CHAT-STOP-001"
    ]
    with pytest.raises(ValueError, match="needs a request with `stop`"):
        run_check("chat.stop", capture(completion()))


def test_usage_present() -> None:
    assert body_case("usage.present", completion()) == []
    no_usage = completion()
    del no_usage["usage"]
    assert body_case("usage.present", no_usage) == ["USAGE-001"]
    assert body_case("usage.present", {**completion(), "usage": None}) == ["USAGE-001"]


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}, []),
        ({"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, []),
        ({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 6}, ["USAGE-002"]),
        ({"prompt_tokens": -1, "completion_tokens": 2, "total_tokens": 1}, ["USAGE-002"]),
        ({"prompt_tokens": 3, "completion_tokens": 2.0, "total_tokens": 5}, ["USAGE-002"]),
        ({"prompt_tokens": True, "completion_tokens": 2, "total_tokens": 3}, ["USAGE-002"]),
        ({"prompt_tokens": 3, "total_tokens": 3}, ["USAGE-002"]),
    ],
)
def test_usage_arithmetic(usage: dict[str, Any], expected: list[str]) -> None:
    assert body_case("usage.arithmetic", {**completion(), "usage": usage}) == expected


def test_usage_arithmetic_leaves_a_missing_usage_to_other_checks() -> None:
    assert body_case("usage.arithmetic", {**completion(), "usage": None}) == []


def test_usage_arithmetic_on_a_stream_reads_the_usage_chunk() -> None:
    bad = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}
    cap = stream_capture(
        chunk({"role": "assistant", "content": "x"}),
        chunk(finish_reason="stop"),
        chunk(choices=[], usage=bad),
    )
    assert reqs(run_check("usage.arithmetic", cap)) == ["USAGE-002"]


def test_reasoning_fields_are_information_only() -> None:
    assert run_check("chat.reasoning_fields", capture(completion())) == []
    body = completion()
    body["choices"][0]["message"]["reasoning_content"] = "thinking…"
    [issue] = run_check("chat.reasoning_fields", capture(body))
    assert (issue.requirement, issue.kind) == ("CHAT-INFO-001", IssueKind.INFO)
    assert issue.path == "$.choices[0].message.reasoning_content"


def test_a_natural_stop_before_the_limit_is_undecided_not_failed() -> None:
    req = {"model": "m", "messages": MSGS, "max_tokens": 5}
    early = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    [issue] = run_check(
        "chat.length",
        capture(completion(finish_reason="stop", usage=early), request_json=req),
    )
    assert (issue.requirement, issue.kind.value) == ("CHAT-LEN-001", "inconclusive")
    assert "1 token(s), before the limit of 5" in issue.message
    full = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}  # cut, says stop
    [issue] = run_check(
        "chat.length", capture(completion(finish_reason="stop", usage=full), request_json=req)
    )
    assert (issue.requirement, issue.kind.value) == ("CHAT-LEN-001", "violation")


def test_a_stop_without_usage_is_undecided_not_failed() -> None:
    # A stream that did not ask for usage: "stop" may be a natural end before the limit (a
    # model's short answer) or a server hiding a cut; nothing in the exchange tells which.
    req = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    bare = completion(finish_reason="stop")
    bare.pop("usage", None)
    issues = run_check("chat.length", capture(bare, request_json=req))
    assert [(i.requirement, i.kind) for i in issues] == [("CHAT-LEN-001", IssueKind.INCONCLUSIVE)]
    # With usage at the limit, "stop" is decided: the generation was cut and says otherwise.
    full = completion(
        finish_reason="stop", usage={"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6}
    )
    issues = run_check("chat.length", capture(full, request_json=req))
    assert [(i.requirement, i.kind) for i in issues] == [("CHAT-LEN-001", IssueKind.VIOLATION)]
