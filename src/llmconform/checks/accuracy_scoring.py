"""Scoring one reply of an accuracy set (pure): the normalisation each kind of set states.

A reply is right or wrong by its set's kind: the last integer in the text (arithmetic), the one
label word it names (sentiment), JSON that validates and holds the expected values
(json_schema), the expected function called with valid arguments (tools), every instruction
constraint holding (instructions). Scoring is kept apart from the `accuracy` checks, which
match exchanges to items and decide a whole set statistically, because it is the part that
grows with each new set and is tested reply by reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# jsonschema ships no type hints (see schema_validation).
import jsonschema  # type: ignore[import-untyped, unused-ignore]

from llmconform.catalog.accuracy_sets import NO_TOOL, AccuracySet, tool_schemas

EXCERPT = 120


@dataclass(frozen=True)
class Score:
    """One item's result: right or wrong, what was read from the reply, and why it is wrong."""

    ok: bool
    got: str = ""
    why: str = ""
    predicted: str | None = None  # label sets: the label read from the reply (None: unparsed)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def score_integer(item: Mapping[str, Any], content: str) -> Score:
    """The last number in the reply (commas removed, Unicode minus read) equals the answer."""
    text = content.replace(",", "").replace("\u2212", "-")
    numbers = _NUMBER.findall(text)
    if not numbers:
        return Score(False, _excerpt(content), "no number in the reply")
    last = numbers[-1]
    whole, _, frac = last.partition(".")
    if frac.strip("0"):
        return Score(False, last, f"{last} is not an integer (expected {item['answer']})")
    ok = int(whole) == item["answer"]
    return Score(ok, last, "" if ok else f"read {int(whole)}, expected {item['answer']}")


def read_label(labels: list[str], content: str) -> str | None:
    """The one label word the reply contains (whole word, any case), or None."""
    low = content.lower()
    found = [lab for lab in labels if re.search(rf"\b{re.escape(lab.lower())}\b", low)]
    return found[0] if len(found) == 1 else None


def score_label(item: Mapping[str, Any], content: str, labels: list[str]) -> Score:
    """The reply names exactly one label, and it is the expected one."""
    label = read_label(labels, content)
    if label is None:
        return Score(False, _excerpt(content), "the reply names no label, or several")
    ok = label == item["label"]
    return Score(ok, label, "" if ok else f"said {label}, expected {item['label']}", label)


def same_value(expected: Any, got: Any) -> bool:
    """Expected-value match: strings trimmed and case-folded, numbers by value, lists in order."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float):
        return isinstance(got, int | float) and float(got) == float(expected)
    if isinstance(expected, str):
        return isinstance(got, str) and got.strip().casefold() == expected.strip().casefold()
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(same_value(e, g) for e, g in zip(expected, got, strict=True))
        )
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and same_value(v, got[k]) for k, v in expected.items()
        )
    return bool(expected == got)


def score_json(item: Mapping[str, Any], message: Mapping[str, Any]) -> Score:
    """The content parses as JSON, validates against the schema and holds the expected values."""
    if message.get("refusal"):
        return Score(False, _excerpt(str(message["refusal"])), "the model refused")
    content = message.get("content")
    if not isinstance(content, str):
        return Score(False, "", "no content")
    try:
        value = json.loads(content)
    except json.JSONDecodeError as exc:
        return Score(False, _excerpt(content), f"not JSON: {exc.msg}")
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(item["schema"]).iter_errors(value)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return Score(False, _excerpt(content), f"invalid at {where}: {error.message}")
    wrong = [k for k, v in item["expect"].items() if not same_value(v, value.get(k))]
    if wrong:
        return Score(False, _excerpt(content), f"wrong value for {', '.join(wrong)}")
    return Score(True, _excerpt(content))


def _function(call: object) -> Mapping[str, Any]:
    """A tool call's `function` object; {} when the target sent something else there (a
    malformed call scores as a wrong item instead of breaking the whole set's scoring)."""
    function = call.get("function") if isinstance(call, dict) else None
    return function if isinstance(function, dict) else {}


def score_tool(
    item: Mapping[str, Any], message: Mapping[str, Any], schemas: Mapping[str, Any]
) -> Score:
    """The expected function is called with valid arguments, or nothing when none fits."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        return Score(False, _excerpt(repr(calls)), "tool_calls is not a list")
    names = [_function(c).get("name") for c in calls]
    got = ", ".join(str(n) for n in names) or NO_TOOL
    expected = item["expect"]
    if expected == NO_TOOL:
        return Score(not calls, got, "" if not calls else f"called {got}, expected no call")
    if not calls:
        return Score(False, got, f"no call, expected {expected}")
    if any(n != expected for n in names):
        return Score(False, got, f"called {got}, expected {expected}")
    for call in calls:
        raw = _function(call).get("arguments")
        try:
            args = json.loads(raw) if isinstance(raw, str) else None
        except json.JSONDecodeError:
            args = None
        if not isinstance(args, dict):
            return Score(False, got, f"arguments are not a JSON object: {_excerpt(str(raw))}")
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schemas[expected]).iter_errors(args)
        )
        if error is not None:
            return Score(False, got, f"arguments invalid: {error.message}")
    return Score(True, got)


_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_BULLET = re.compile(r"^\s*[-*•] ")


def constraint_holds(kind: str, value: Any, text: str) -> bool:
    """Whether one instruction constraint holds for the stripped reply `text`."""
    words = [w.casefold() for w in _WORD.findall(text)]
    target = value.casefold() if isinstance(value, str) else value
    tests: dict[str, Callable[[], bool]] = {
        "word_count": lambda: len(words) == value,
        "max_words": lambda: len(words) <= value,
        "max_chars": lambda: len(text) <= value,
        "bullets": lambda: sum(bool(_BULLET.match(ln)) for ln in text.splitlines()) == value,
        "lines": lambda: sum(bool(ln.strip()) for ln in text.splitlines()) == value,
        "starts_with": lambda: bool(words) and words[0] == target,
        "ends_with": lambda: bool(words) and words[-1] == target,
        "contains": lambda: target in words,
        "excludes": lambda: target not in words,
        "uppercase": lambda: any(c.isalpha() for c in text) and not any(c.islower() for c in text),
        "lowercase": lambda: any(c.isalpha() for c in text) and not any(c.isupper() for c in text),
        "no_commas": lambda: "," not in text,
    }
    return tests[kind]()


def score_instructions(item: Mapping[str, Any], content: str) -> Score:
    """Every constraint of the item holds."""
    text = content.strip()
    broken = [
        f"{kind}={value}"
        for rule in item["constraints"]
        for kind, value in rule.items()
        if not constraint_holds(kind, value, text)
    ]
    return Score(not broken, _excerpt(text), "failed " + ", ".join(broken) if broken else "")


def score(aset: AccuracySet, item: Mapping[str, Any], message: Mapping[str, Any]) -> Score:
    """Score one assistant message against one item of a set."""
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    if aset.kind == "json_schema":
        return score_json(item, message)
    if aset.kind == "tool_choice":
        return score_tool(item, message, tool_schemas(aset.extra))
    if not text:
        return Score(False, "", "no content")
    if aset.kind == "integer":
        return score_integer(item, text)
    if aset.kind == "label":
        return score_label(item, text, list(aset.extra["labels"]))
    return score_instructions(item, text)
