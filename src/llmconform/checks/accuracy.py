"""Accuracy checks (the opt-in `accuracy` profile): the only place model quality is measured.

Each set has its check `accuracy.<set>`, reporting on the set's own requirement. The check scores
every item's reply with the normalisation the set states, then decides the success rate against
the threshold with a 95 % Wilson interval: PASS when the lower bound clears it, FAIL when the
upper bound is below it, otherwise INCONCLUSIVE (never a pass), saying how many more items at the
observed rate would decide.

An HTTP error answer counts as a wrong item (and is reported). An item with no response at all
(transport error) is *missing*: to pass, the set must pass with missing items counted wrong, and
to fail, it must fail with them counted right, so missing items can only leave a set undecided.
`settings["accuracy"]["thresholds"][set]` (run level) overrides a set's threshold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# jsonschema ships no type hints (see schema_validation).
import jsonschema  # type: ignore[import-untyped, unused-ignore]

from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check
from llmconform.engine.accuracy import (
    CHECK_PREFIX,
    NO_TOOL,
    AccuracySet,
    item_request,
    load_set,
    request_key,
    tool_schemas,
)
from llmconform.metrics.stats import Interval, decide, items_to_decide, wilson

SET_REQUIREMENTS = {
    "arithmetic": "ACC-ARITH-001",
    "sentiment": "ACC-SENT-001",
    "json_schema": "ACC-JSON-001",
    "tools": "ACC-TOOL-001",
    "instructions": "ACC-INSTR-001",
}
MAX_LISTED = 20  # wrong items listed in the metrics as evidence
EXCERPT = 120


# -- scoring one reply (pure) -------------------------------------------------------------------
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


def score_tool(
    item: Mapping[str, Any], message: Mapping[str, Any], schemas: Mapping[str, Any]
) -> Score:
    """The expected function is called with valid arguments, or nothing when none fits."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        return Score(False, _excerpt(repr(calls)), "tool_calls is not a list")
    names = [c.get("function", {}).get("name") if isinstance(c, dict) else None for c in calls]
    got = ", ".join(str(n) for n in names) or NO_TOOL
    expected = item["expect"]
    if expected == NO_TOOL:
        return Score(not calls, got, "" if not calls else f"called {got}, expected no call")
    if not calls:
        return Score(False, got, f"no call, expected {expected}")
    if any(n != expected for n in names):
        return Score(False, got, f"called {got}, expected {expected}")
    for call in calls:
        raw = call["function"].get("arguments")
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


# -- the checks ---------------------------------------------------------------------------------
def decide_with_missing(
    successes: int, answered: int, missing: int, threshold: float
) -> tuple[str, Interval]:
    """The decision (pass/fail/inconclusive) and the interval over the answered items."""
    total = answered + missing
    if decide(wilson(successes, total), threshold) == "pass":
        return "pass", wilson(successes, answered)
    if decide(wilson(successes + missing, total), threshold) == "fail":
        return "fail", wilson(successes, answered)
    return "inconclusive", wilson(successes, answered)


def class_metrics(labels: list[str], pairs: list[tuple[str, str | None]]) -> dict[str, Any]:
    """Per-class precision, recall, F1 and support, and their macro F1, over (expected, predicted).

    An unparsed reply (predicted None) counts against the expected class's recall only. A class
    never predicted has precision 0 (not undefined), so macro F1 does not flatter a model that
    avoids a class.
    """
    classes: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for e, p in pairs if e == lab and p == lab)
        predicted = sum(1 for _, p in pairs if p == lab)
        support = sum(1 for e, _ in pairs if e == lab)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    macro = sum(c["f1"] for c in classes.values()) / len(classes) if classes else 0.0
    confusion = {
        e: {p or "unparsed": sum(1 for x, y in pairs if x == e and y == p) for p in [*labels, None]}
        for e in labels
    }
    return {"classes": classes, "macro_f1": macro, "confusion": confusion}


def threshold_for(aset: AccuracySet, settings: Mapping[str, Any]) -> tuple[float, str]:
    """The threshold in force and where it comes from ("set" or "settings")."""
    override = (settings.get("accuracy") or {}).get("thresholds", {}).get(aset.name)
    if override is None:
        return aset.threshold, "set"
    if isinstance(override, bool) or not isinstance(override, int | float):
        raise ValueError(f"settings accuracy.thresholds.{aset.name} must be a number")
    if not 0 < override <= 1:
        raise ValueError(f"settings accuracy.thresholds.{aset.name} must be in (0, 1]")
    return float(override), "settings"


def message_of(body: Any) -> Mapping[str, Any]:
    """The assistant message of a chat completion body (Unverifiable when it has none)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(message, dict):
        raise Unverifiable("the body has no choices[0].message")
    return message


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _summary(name: str, ok: int, answered: int, interval: Interval, threshold: float) -> str:
    return (
        f"{name}: {ok} of {answered} right ({_pct(interval.rate)}; 95 % Wilson interval "
        f"{_pct(interval.low)} to {_pct(interval.high)}), threshold {_pct(threshold)}"
    )


def score_case(ctx: CheckContext, name: str, requirement: str) -> Iterator[Issue]:
    """Score every item of set `name` among the case's exchanges and decide the threshold."""
    aset = load_set(name)
    threshold, source = threshold_for(aset, ctx.settings)
    index = {request_key(item_request(aset, item, {})): k for k, item in enumerate(aset.items)}
    scores: dict[int, Score] = {}
    http_errors: list[str] = []
    for ex in ctx.exchanges:
        k = index.get(request_key(ex.request_json))
        if k is None or ex.status is None:  # not an item of this set, or no response: missing
            continue
        item_id = aset.items[k]["id"]
        if ex.status != 200:
            http_errors.append(f"{item_id}: HTTP {ex.status}")
            scores[k] = Score(False, "", f"HTTP {ex.status}")
            continue
        try:
            scores[k] = score(aset, aset.items[k], message_of(ex.json))
        except Unverifiable as exc:
            scores[k] = Score(False, "", f"malformed response: {exc}")
    ok = sum(s.ok for s in scores.values())
    answered, missing = len(scores), len(aset.items) - len(scores)
    decision, interval = decide_with_missing(ok, answered, missing, threshold)
    more = items_to_decide(ok, answered, threshold) if decision == "inconclusive" else 0
    metrics: dict[str, Any] = {
        "set": name,
        "kind": aset.kind,
        "description": aset.description,
        "set_sha256": aset.sha256,
        "normalisation": list(aset.normalisation),
        "threshold": threshold,
        "threshold_source": source,
        "items": len(aset.items),
        "answered": answered,
        "missing": missing,
        "http_errors": len(http_errors),
        "successes": ok,
        "rate": interval.rate,
        "wilson95": [interval.low, interval.high],
        "decision": decision,
        "items_to_decide": more,
        "wrong": [
            {"item": aset.items[k]["id"], "why": s.why, "got": s.got}
            for k, s in sorted(scores.items())
            if not s.ok
        ][:MAX_LISTED],
    }
    if aset.kind == "label":
        pairs = [(aset.items[k]["label"], s.predicted) for k, s in sorted(scores.items())]
        metrics |= class_metrics(list(aset.extra["labels"]), pairs)
    ctx.metrics["accuracy"] = metrics

    summary = _summary(name, ok, answered, interval, threshold)
    if http_errors:
        shown = "; ".join(http_errors[:5]) + ("; …" if len(http_errors) > 5 else "")
        yield Issue(
            requirement,
            f"{len(http_errors)} items got an HTTP error answer, counted as wrong: {shown}",
            kind=IssueKind.INFO,
        )
    if missing:
        yield Issue(
            requirement,
            f"{missing} of {len(aset.items)} items got no response (missing): they count as "
            "wrong for a pass and as right for a fail, so they can only leave the set undecided",
            kind=IssueKind.INFO,
        )
    if decision == "pass":
        yield Issue(requirement, f"{summary}: pass", kind=IssueKind.INFO)
    elif decision == "fail":
        yield Issue(requirement, f"{summary}: the whole interval is below the threshold")
    else:
        if not answered:
            hint = "no item was answered"
        elif more is None:
            hint = "no number of items at this rate would decide (the rate is at the threshold)"
        elif more == 0:
            hint = "the answered items alone would decide, but the missing ones leave it open"
        else:
            hint = f"about {more} more items at this rate would decide"
        yield Issue(
            requirement,
            f"{summary}: undecided, the interval contains the threshold; {hint}"
            + (f" ({missing} items missing)" if missing else ""),
            kind=IssueKind.INCONCLUSIVE,
        )


def _register(name: str, requirement: str) -> None:
    def run(ctx: CheckContext) -> Iterator[Issue]:
        return score_case(ctx, name, requirement)

    run.__doc__ = f"The {name} accuracy set meets its threshold (95 % Wilson decision)."
    check(f"{CHECK_PREFIX}{name}", requirement)(run)


for _name, _requirement in SET_REQUIREMENTS.items():
    _register(_name, _requirement)
