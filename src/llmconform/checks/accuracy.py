"""Accuracy checks (the opt-in `accuracy` profile): the only place model quality is measured.

Each set has its check `accuracy.<set>`, reporting on the set's own requirement. The check scores
every item's reply with the normalisation the set states (`accuracy_scoring`), then decides the
success rate against the threshold with a 95 % Wilson interval: PASS when the lower bound clears
it, FAIL when the upper bound is below it, otherwise INCONCLUSIVE (never a pass), saying how many
more items at the observed rate would decide.

An HTTP error answer counts as a wrong item (and is reported). An item with no response at all
(transport error) is *missing*: to pass, the set must pass with missing items counted wrong, and
to fail, it must fail with them counted right, so missing items can only leave a set undecided.
`settings["accuracy"]["thresholds"][set]` (run level) overrides a set's threshold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from llmconform.catalog.accuracy_sets import (
    CHECK_PREFIX,
    AccuracySet,
    item_request,
    load_set,
    request_key,
)
from llmconform.checks.accuracy_scoring import Score, score
from llmconform.checks.context import CheckContext, Unverifiable
from llmconform.checks.registry import CheckFn, Issue, IssueKind, check
from llmconform.metrics.stats import Interval, decide, items_to_decide, wilson

SET_REQUIREMENTS = {
    "arithmetic": "ACC-ARITH-001",
    "sentiment": "ACC-SENT-001",
    "json_schema": "ACC-JSON-001",
    "tools": "ACC-TOOL-001",
    "instructions": "ACC-INSTR-001",
}
MAX_LISTED = 20  # wrong items listed in the metrics as evidence


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


def _define(name: str, requirement: str) -> CheckFn:
    def run(ctx: CheckContext) -> Iterator[Issue]:
        return score_case(ctx, name, requirement)

    run.__doc__ = f"The {name} accuracy set meets its threshold (95 % Wilson decision)."
    return check(f"{CHECK_PREFIX}{name}", requirement)(run)


# One check per set, collected by the registry from this list.
DEFINITIONS = tuple(_define(name, req) for name, req in SET_REQUIREMENTS.items())
