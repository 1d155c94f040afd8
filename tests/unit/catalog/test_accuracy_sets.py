"""Accuracy fixture sets: sizes, balance, answers that hold, generator reproduction, load errors."""

from __future__ import annotations

import collections
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from llmconform.catalog.accuracy_sets import (
    CONSTRAINT_TYPES,
    SetError,
    item_request,
    load_set,
    parse_set,
    set_names,
    set_of,
)
from llmconform.catalog.loader import load_catalog
from llmconform.catalog.steps import PlanError, Variables
from llmconform.checks import known_checks
from llmconform.checks.accuracy import SET_REQUIREMENTS
from llmconform.checks.accuracy_scoring import score
from llmconform.engine.expand import ExpandOptions, expand, is_expanded
from llmconform.model import CheckRef

from accuracy_scripted import INSTRUCTION_ANSWERS, WRONG_INSTRUCTION, instance
from arithmetic_gen import generate, render

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "accuracy"
MINIMUM = {"arithmetic": 40, "sentiment": 40, "json_schema": 20, "tools": 20, "instructions": 30}


def test_every_set_loads_with_its_minimum_size_and_a_requirement() -> None:
    assert set(set_names()) == set(MINIMUM) == set(SET_REQUIREMENTS)
    for name, least in MINIMUM.items():
        aset = load_set(name)
        assert len(aset.items) >= least, name
        assert 0 < aset.threshold < 1 and aset.normalisation and len(aset.sha256) == 64


def test_arithmetic_file_is_the_seeded_generator_output_and_answers_are_right() -> None:
    assert (FIXTURES / "arithmetic.yaml").read_text(encoding="utf-8") == render(generate())
    for item in load_set("arithmetic").items:
        expr = re.fullmatch(
            r"What is (.+)\? Reply with the result as an integer only\.", item["prompt"]
        )
        assert expr is not None
        python = expr.group(1).replace("\u00d7", "*").replace("÷", "//")
        assert eval(python, {"__builtins__": {}}) == item["answer"]
        # An echo of the prompt must not score: the answer is never one of its numbers.
        assert str(item["answer"]) not in re.findall(r"-?\d+", expr.group(1))


def test_sentiment_is_balanced_and_no_sentence_names_a_label() -> None:
    aset = load_set("sentiment")
    counts = collections.Counter(i["label"] for i in aset.items)
    assert set(counts) == {"positive", "negative", "neutral"} and len(set(counts.values())) == 1
    for item in aset.items:
        assert not re.search(r"\b(positive|negative|neutral)\b", item["text"], re.I), item["id"]


def test_tool_prompts_never_spell_a_function_name_and_none_items_exist() -> None:
    aset = load_set("tools")
    names = [t["function"]["name"] for t in aset.extra["tools"]]
    expects = collections.Counter(i["expect"] for i in aset.items)
    assert expects["none"] >= 3 and all(expects[n] >= 3 for n in names)
    for item in aset.items:
        assert not any(n in item["prompt"] for n in names), item["id"]


def test_items_are_answerable_and_requests_carry_what_they_need() -> None:
    json_set, tools_set = load_set("json_schema"), load_set("tools")
    for item in json_set.items:
        body = item_request(json_set, item, {"model": "m"})
        assert body["response_format"]["json_schema"]["strict"] is True
        good = {"content": json.dumps(instance(item["schema"], item["expect"]))}
        assert score(json_set, item, good).ok, item["id"]
        assert not score(json_set, item, {"content": "{}"}).ok, item["id"]
    body = item_request(tools_set, tools_set.items[0], {"model": "m", "seed": 1})
    assert body["tool_choice"] == "auto" and len(body["tools"]) == 5 and body["seed"] == 1
    instr = load_set("instructions")
    assert set(INSTRUCTION_ANSWERS) == {i["id"] for i in instr.items}
    kinds = {k for i in instr.items for rule in i["constraints"] for k in rule}
    assert kinds == set(CONSTRAINT_TYPES)  # every constraint kind is exercised
    for item in instr.items:
        assert score(instr, item, {"content": INSTRUCTION_ANSWERS[item["id"]]}).ok, item["id"]
        assert not score(instr, item, {"content": WRONG_INSTRUCTION}).ok, item["id"]


GOOD = """\
kind: integer
description: d
threshold: 0.5
normalisation: [last integer]
items:
  - {id: a, prompt: "1 + 1?", answer: 2}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "extra: 1\n", "unknown key(s) ['extra']"),
        (GOOD.replace("kind: integer", "kind: poetry"), "'kind' must be one of"),
        (GOOD.replace("threshold: 0.5", "threshold: 1.5"), "'threshold' must be in (0, 1]"),
        (GOOD.replace("threshold: 0.5", "threshold: high"), "'threshold' must be a number"),
        (GOOD.replace("answer: 2", "answer: 2, note: x"), "items[0]: unknown key(s) ['note']"),
        (GOOD.replace(", answer: 2", ""), "items[0]: missing key(s) ['answer']"),
        (GOOD.replace("answer: 2", "answer: '2'"), "'answer' an integer"),
        (GOOD + '  - {id: a, prompt: "2?", answer: 2}\n', "'id' must be a unique string"),
        (GOOD.replace("normalisation: [last integer]", "normalisation: []"), "normalisation"),
        ("kind: [", "not valid YAML"),
        (
            "kind: instructions\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
            "items: [{id: a, prompt: p, constraints: [{shout: true}]}]\n",
            "unknown constraint 'shout'",
        ),
        (
            "kind: instructions\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
            "items: [{id: a, prompt: p, constraints: [{word_count: '3'}]}]\n",
            "needs a int value",
        ),
        (
            "kind: json_schema\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
            "items: [{id: a, prompt: p, schema: {type: 12}, expect: {}}]\n",
            "not a valid JSON Schema",
        ),
        (
            "kind: label\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
            "labels: [good, bad]\ntemplate: '{text}'\nitems: [{id: a, text: t, label: maybe}]\n",
            "'label' one of",
        ),
        (
            "kind: tool_choice\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
            "tools: [{type: function, function: {name: f, parameters: {type: object}}}]\n"
            "items: [{id: a, prompt: p, expect: g}]\n",
            "'expect' must be one of ['f'] or 'none'",
        ),
    ],
)
def test_malformed_sets_fail_loudly_naming_the_entry(text: str, message: str) -> None:
    with pytest.raises(SetError) as err:
        parse_set("demo", text)
    assert message in str(err.value) and "accuracy set demo" in str(err.value)


def test_good_minimal_set_parses_and_unknown_set_names_are_refused() -> None:
    assert parse_set("demo", GOOD).items[0]["answer"] == 2
    for bad in ("no_such_set", "../arithmetic"):
        with pytest.raises(SetError, match="unknown accuracy set"):
            load_set(bad)


def test_a_tool_without_a_name_or_with_a_bad_schema_is_refused() -> None:
    head = "kind: tool_choice\ndescription: d\nthreshold: 0.5\nnormalisation: [x]\n"
    tail = "items: [{id: a, prompt: p, expect: none}]\n"
    for tools in (
        "tools: [{type: function}]\n",
        "tools: [{function: {name: f, parameters: {type: 1}}}]\n",
    ):
        with pytest.raises(SetError, match="accuracy set demo: items"):
            parse_set("demo", head + tools + tail)


def test_the_expander_sends_one_request_per_item_in_order_from_the_case_template() -> None:
    catalog = load_catalog(known_checks=known_checks())
    case = catalog.cases["accuracy.json_schema"]
    assert is_expanded(case)
    work = expand(case, Variables("m-1"), ExpandOptions())
    aset = load_set("json_schema")
    assert [w.case_id for w in work] == [f"accuracy.json_schema#{k}" for k in range(25)]
    for w, item in zip(work, aset.items, strict=True):
        (request,) = w.requests
        body = request.json
        assert (body["model"], body["temperature"], body["seed"]) == ("m-1", 0, 1234)
        assert body["messages"][0]["content"] == item["prompt"]
        assert body["response_format"]["json_schema"]["schema"] == item["schema"]
    two = replace(case, checks=(*case.checks, CheckRef("accuracy.tools")))
    with pytest.raises(PlanError, match="exactly one accuracy"):
        set_of(two)
