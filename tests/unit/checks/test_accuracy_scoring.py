"""Scoring one reply for every set (normalisation edge cases), class metrics, the decision rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmconform.catalog.accuracy_sets import item_request, load_set, tool_schemas
from llmconform.checks.accuracy import (
    class_metrics,
    decide_with_missing,
    score_case,
    threshold_for,
)
from llmconform.checks.accuracy_scoring import (
    constraint_holds,
    read_label,
    same_value,
    score_instructions,
    score_integer,
    score_json,
    score_tool,
)
from llmconform.checks.context import CheckContext, Exchange
from llmconform.metrics.stats import decide, items_to_decide, wilson
from llmconform.model import BodyChunk, Capture, Case, Request

ITEM = {"id": "x", "prompt": "p", "answer": 1680}


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ("1680", True),
        ("1,680", True),
        ("The answer is **1680**.", True),
        ("708 + 972 = 1680", True),
        ("1680.0", True),
        ("1680.5", False),
        ("16 80", False),
        ("1680 or maybe 1681", False),  # the last number counts
        ("one thousand six hundred eighty", False),
        ("", False),
    ],
)
def test_integer_takes_the_last_number_commas_removed(reply: str, ok: bool) -> None:
    assert score_integer(ITEM, reply).ok is ok


def test_integer_reads_negative_numbers_and_the_unicode_minus() -> None:
    item = {**ITEM, "answer": -457}
    assert score_integer(item, "322 - 779 = -457").ok
    assert score_integer(item, "\u2212457").ok
    assert not score_integer(item, "457").ok
    assert score_integer(item, "457").why == "read 457, expected -457"


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("Positive", "positive"),
        ("  negative.\n", "negative"),
        ("The sentiment is NEUTRAL", "neutral"),
        ("positive or negative", None),  # two labels: unparsed
        ("positively glowing", None),  # whole words only
        ("", None),
    ],
)
def test_label_is_the_one_label_word_in_the_reply(reply: str, label: str | None) -> None:
    assert read_label(["positive", "negative", "neutral"], reply) == label


def test_class_metrics_precision_recall_f1_and_macro() -> None:
    pairs: list[tuple[str, str | None]] = [
        ("a", "a"),
        ("a", "a"),
        ("a", "b"),
        ("b", "b"),
        ("b", None),
        ("c", "a"),
    ]
    m = class_metrics(["a", "b", "c"], pairs)
    a, b, c = (m["classes"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (2 / 3, 2 / 3, 3)
    assert (b["precision"], b["recall"]) == (0.5, 0.5) and b["f1"] == 0.5
    assert (c["precision"], c["recall"], c["f1"]) == (0.0, 0.0, 0.0)  # never predicted: 0
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)
    assert m["confusion"]["b"] == {"a": 0, "b": 1, "c": 0, "unparsed": 1}


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
JITEM = {"id": "j", "prompt": "p", "schema": SCHEMA, "expect": {"name": "Maria Lopez", "age": 34}}


@pytest.mark.parametrize(
    ("message", "ok", "why"),
    [
        ({"content": '{"name": "Maria Lopez", "age": 34}'}, True, ""),
        ({"content": ' {"name": " maria lopez ", "age": 34}\n'}, True, ""),
        ({"content": '{"name": "Maria Lopez", "age": 34.0}'}, True, ""),  # 2020-12: an integer
        ({"content": '{"name": "Maria Lopez", "age": 34.5}'}, False, "invalid at age"),
        ({"content": '{"name": "Maria Lopez", "age": 35}'}, False, "wrong value for age"),
        ({"content": '{"name": "Maria Lopez"}'}, False, "invalid at (root)"),
        ({"content": '{"name": "M", "age": 34, "x": 1}'}, False, "invalid at (root)"),
        ({"content": '```json\n{"name": "Maria Lopez", "age": 34}\n```'}, False, "not JSON"),
        ({"content": None, "refusal": "I can't"}, False, "the model refused"),
        ({"content": None}, False, "no content"),
    ],
)
def test_json_parses_validates_and_holds_the_facts(
    message: dict[str, Any], ok: bool, why: str
) -> None:
    result = score_json(JITEM, message)
    assert result.ok is ok and result.why.startswith(why)


def test_same_value_rules() -> None:
    assert same_value(["red", "White"], ["Red", "white "])
    assert not same_value(["red", "white"], ["white", "red"])
    assert same_value(79.5, 79.5) and same_value(1250, 1250.0)
    assert not same_value(True, 1) and not same_value(1, True) and same_value(False, False)
    assert same_value({"car": {"year": 2019}}, {"car": {"year": 2019, "make": "Volvo"}})
    assert not same_value({"car": {"year": 2019}}, {"car": {}})


def _call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "c", "type": "function", "function": {"name": name, "arguments": arguments}}


def test_tool_selection_scoring() -> None:
    schemas = tool_schemas(load_set("tools").extra)
    weather = {"id": "t", "prompt": "p", "expect": "get_weather"}
    none = {"id": "n", "prompt": "p", "expect": "none"}
    good = {"tool_calls": [_call("get_weather", '{"city": "Dublin"}')]}
    assert score_tool(weather, good, schemas).ok
    assert not score_tool(none, good, schemas).ok
    assert score_tool(none, {"content": "Ottawa", "tool_calls": []}, schemas).ok
    assert score_tool(none, {"content": "Ottawa"}, schemas).ok
    assert not score_tool(weather, {"content": "It rains"}, schemas).ok
    bad_args = [
        '{"town": "Dublin"}',  # additionalProperties false, city missing
        '{"city": "Dublin", "unit": "kelvin"}',  # not in the enum
        '{"city": "Dublin"',  # not JSON
        '["Dublin"]',  # not an object
    ]
    for args in bad_args:
        assert not score_tool(weather, {"tool_calls": [_call("get_weather", args)]}, schemas).ok
    wrong_fn = {"tool_calls": [_call("send_email", '{"to": "a", "subject": "b", "body": "c"}')]}
    assert score_tool(weather, wrong_fn, schemas).why.startswith("called send_email")
    mixed = {"tool_calls": [good["tool_calls"][0], wrong_fn["tool_calls"][0]]}
    assert not score_tool(weather, mixed, schemas).ok
    # A hostile or broken target: malformed calls are wrong items, never a crash.
    for call in ({"function": "get_weather"}, {"function": None}, "get_weather", 7, {}):
        assert not score_tool(weather, {"tool_calls": [call]}, schemas).ok


@pytest.mark.parametrize(
    ("kind", "value", "text", "holds"),
    [
        ("word_count", 3, "Don't stop-now, friend!", True),  # apostrophe and hyphen join
        ("word_count", 2, "a — b", True),  # a lone dash is no word
        ("max_words", 2, "one two three", False),
        ("max_chars", 5, "héllo", True),
        ("max_chars", 4, "héllo", False),
        ("starts_with", "yes", '"Yes," she said', True),
        ("ends_with", "station", "into the Station.", True),
        ("ends_with", "station", "into the stations.", False),
        ("contains", "rain", "Rain, rain!", True),
        ("contains", "rain", "raining all day", False),
        ("excludes", "snow", "snowfall is fine", True),
        ("excludes", "snow", "no SNOW here", False),
        ("uppercase", True, "HELLO, WORLD 42!", True),
        ("uppercase", True, "HELLO, World", False),
        ("uppercase", True, "123 !!", False),  # no letter at all
        ("lowercase", True, "hello, world", True),
        ("lowercase", True, "hello, World", False),
        ("bullets", 2, "- a\n  * b\nc", True),
        ("bullets", 2, "-a\n- b", False),  # a bullet needs the space
        ("lines", 2, "a\n\n b\n", True),
        ("no_commas", True, "a, b", False),
    ],
)
def test_instruction_constraints(kind: str, value: Any, text: str, holds: bool) -> None:
    assert constraint_holds(kind, value, text) is holds


def test_instructions_need_every_constraint() -> None:
    item = {"id": "i", "prompt": "p", "constraints": [{"starts_with": "yes"}, {"max_words": 3}]}
    assert score_instructions(item, "  Yes, I can.\n").ok
    result = score_instructions(item, "Yes, I certainly can.")
    assert not result.ok and result.why == "failed max_words=3"


def test_decision_with_missing_items_only_ever_leans_inconclusive() -> None:
    assert decide_with_missing(60, 60, 0, 0.85)[0] == "pass"
    assert decide_with_missing(18, 60, 0, 0.85)[0] == "fail"
    # 58 right of 58 answered passes on its own, but 2 missing counted wrong still pass:
    assert decide_with_missing(58, 58, 2, 0.85)[0] == "pass"
    # 52 of 54 passes alone (lower bound 0.875) but not with 6 missing counted wrong:
    assert decide(wilson(52, 54), 0.85) == "pass"
    assert decide_with_missing(52, 54, 6, 0.85)[0] == "inconclusive"
    # 10 of 40 fails alone, and still fails when 5 missing items are counted right:
    assert decide_with_missing(10, 40, 5, 0.85)[0] == "fail"
    assert decide_with_missing(0, 0, 60, 0.85)[0] == "inconclusive"


def test_threshold_override_comes_from_settings() -> None:
    aset = load_set("arithmetic")
    assert threshold_for(aset, {}) == (0.85, "set")
    assert threshold_for(aset, {"accuracy": {"thresholds": {"arithmetic": 0.5}}}) == (
        0.5,
        "settings",
    )
    with pytest.raises(ValueError, match="must be in"):
        threshold_for(aset, {"accuracy": {"thresholds": {"arithmetic": 2}}})


# -- the check over hand-made captures ------------------------------------------------------------
def _capture(body: Any, status: int | None, reply: Any) -> Capture:
    request = Request("POST", "/chat/completions", json=body)
    if status is None:
        return Capture(request, None, (), (), 0, error="ConnectError")
    data = json.dumps(reply).encode()
    return Capture(request, status, (), (BodyChunk(0, data),), 0)


def _completion(content: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _context(outcomes: list[str], settings: dict[str, Any] | None = None) -> CheckContext:
    """Arithmetic exchanges: 'r' right, 'w' wrong, 'e' HTTP 500, 'm' no response, '-' not sent."""
    aset = load_set("arithmetic")
    caps = []
    for item, what in zip(aset.items, outcomes, strict=False):
        body = item_request(aset, item, {"model": "m"})
        if what == "-":
            continue
        answer = item["answer"] + (0 if what == "r" else 1)
        status = {"e": 500, "m": None}.get(what, 200)
        caps.append(_capture(body, status, _completion(str(answer))))
    case = Case("accuracy.arithmetic", "t", "openai-chat", (), ())
    exchanges = tuple(Exchange(i, c) for i, c in enumerate(caps))
    return CheckContext(case, exchanges, settings=settings or {})


def test_check_counts_http_errors_wrong_and_records_metrics() -> None:
    ctx = _context(["r"] * 55 + ["e"] * 2 + ["w"] * 3)
    issues = list(score_case(ctx, "arithmetic", "ACC-ARITH-001"))
    m = ctx.metrics["accuracy"]
    assert (m["successes"], m["answered"], m["missing"], m["http_errors"]) == (55, 60, 0, 2)
    assert m["decision"] == decide(wilson(55, 60), 0.85) == "inconclusive"
    assert m["items_to_decide"] == items_to_decide(55, 60, 0.85) and m["items_to_decide"] > 0
    assert m["normalisation"] and m["threshold_source"] == "set"
    assert {w["item"] for w in m["wrong"]} == {f"arith-0{k}" for k in range(56, 61)}
    kinds = [i.kind.value for i in issues]
    assert kinds == ["info", "inconclusive"]
    assert "HTTP 500" in issues[0].message
    assert f"about {m['items_to_decide']} more items" in issues[1].message


def test_check_treats_no_response_and_unsent_items_as_missing() -> None:
    ctx = _context(["r"] * 50 + ["m"] * 5 + ["-"] * 5)
    issues = list(score_case(ctx, "arithmetic", "ACC-ARITH-001"))
    m = ctx.metrics["accuracy"]
    assert (m["answered"], m["missing"], m["successes"]) == (50, 10, 50)
    assert m["decision"] == "inconclusive"  # 50/50 passes alone; 50/60 does not
    assert "10 of 60 items got no response" in issues[0].message


def test_settings_threshold_decides_the_same_replies_differently() -> None:
    outcomes = ["r"] * 30 + ["w"] * 30
    strict, lenient = (
        _context(outcomes),
        _context(outcomes, {"accuracy": {"thresholds": {"arithmetic": 0.2}}}),
    )
    assert [i.kind.value for i in score_case(strict, "arithmetic", "ACC-ARITH-001")] == [
        "violation"
    ]
    assert [i.kind.value for i in score_case(lenient, "arithmetic", "ACC-ARITH-001")] == ["info"]
    assert lenient.metrics["accuracy"]["threshold_source"] == "settings"


def test_a_body_without_a_message_is_a_wrong_item_not_a_crash() -> None:
    aset = load_set("arithmetic")
    body = item_request(aset, aset.items[0], {"model": "m"})
    case = Case("accuracy.arithmetic", "t", "openai-chat", (), ())
    ctx = CheckContext(case, (Exchange(0, _capture(body, 200, {"detail": "x"})),))
    list(score_case(ctx, "arithmetic", "ACC-ARITH-001"))
    assert ctx.metrics["accuracy"]["wrong"][0]["why"].startswith("malformed response")
