"""Accuracy cases expanded into one request per fixture item (pure); the sets themselves are
data (`catalog.accuracy_sets`) and scoring is check logic (`checks.accuracy_scoring`)."""

from __future__ import annotations

from llmconform.catalog.accuracy_sets import item_request, load_set, set_of
from llmconform.catalog.steps import PlanError, Variables, build_request
from llmconform.engine.expand import ExpandOptions, expander, sample_id
from llmconform.model import Case, CaseWork


@expander("accuracy")
def expand_accuracy(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    """One work item per fixture item, `<case>#<k>` in item order."""
    aset = load_set(set_of(case))
    if len(case.steps) != 1 or not isinstance(case.steps[0], dict):
        raise PlanError(f"{case.id}: an accuracy case has exactly one step (the request template)")
    step = case.steps[0]
    base = step.get("json") or {}
    work: list[CaseWork] = []
    for k, item in enumerate(aset.items):
        body = item_request(aset, item, base)
        where = f"{case.id} item {item['id']}"
        request = build_request({**step, "json": body}, variables.as_dict(), where, case.api)
        work.append(CaseWork(sample_id(case.id, k), (request,)))
    return work
