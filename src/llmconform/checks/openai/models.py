"""`/models` checks: the list, and retrieving one model."""

from __future__ import annotations

from collections.abc import Iterator

from llmconform.checks.common import schema_issues
from llmconform.checks.context import CheckContext
from llmconform.checks.openai.chat import in_milliseconds
from llmconform.checks.registry import Issue, check

# `created` in milliseconds is reported under chat's CHAT-002 ("`created` is a Unix timestamp
# in seconds"), so a model object is held to the same rule, at the same level, as a completion.
# Only the unit is judged: a model's creation date is long past (or 0 when unknown), so chat's
# "about now" rule (CHAT-003) does not apply.


@check("models.list", "MODELS-001", "CHAT-002")
def model_list(ctx: CheckContext) -> Iterator[Issue]:
    """`GET /models` answers 200 with a `list` of `model` objects, `created` in Unix seconds."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "MODELS-001", f"GET /models answered {ex.status}, expected 200", exchange=ex.index
        )
    yield from schema_issues(ex.json, "openai/model.list", "MODELS-001", ex.index)
    data = ex.json.get("data") if isinstance(ex.json, dict) else None
    models = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
    in_ms = [i for i, m in enumerate(models) if in_milliseconds(m.get("created"))]
    if in_ms:
        # One issue for the whole list: a server that gets the unit wrong gets it wrong for all.
        first = in_ms[0]
        yield Issue(
            "CHAT-002",
            f"created={models[first]['created']} looks like milliseconds, not Unix seconds "
            f"({len(in_ms)} of {len(models)} models)",
            f"$.data[{first}].created",
            ex.index,
        )


@check("models.lists_model", "MODELS-002")
def lists_model(ctx: CheckContext) -> Iterator[Issue]:
    """The model under test appears in `GET /models`."""
    ex = ctx.primary
    data = ex.json.get("data") if isinstance(ex.json, dict) else None
    ids = [m.get("id") for m in data if isinstance(m, dict)] if isinstance(data, list) else []
    if ctx.model and ctx.model not in ids:
        yield Issue(
            "MODELS-002",
            f"model {ctx.model!r} is not among the {len(ids)} listed model(s)",
            "$.data",
            ex.index,
        )


@check("models.retrieve", "MODELS-003", "CHAT-002")
def retrieve(ctx: CheckContext) -> Iterator[Issue]:
    """`GET /models/{id}` answers 200 with that model object, `created` in Unix seconds."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "MODELS-003",
            f"GET /models/{{id}} answered {ex.status}, expected 200",
            exchange=ex.index,
        )
        return
    yield from schema_issues(ex.json, "openai/model", "MODELS-003", ex.index)
    if isinstance(ex.json, dict) and ex.json.get("id") != ctx.model:
        yield Issue(
            "MODELS-003",
            f"retrieved model has id {ex.json.get('id')!r}, asked for {ctx.model!r}",
            "$.id",
            ex.index,
        )
    created = ex.json.get("created") if isinstance(ex.json, dict) else None
    if in_milliseconds(created):
        yield Issue(
            "CHAT-002",
            f"created={created} looks like milliseconds, not Unix seconds",
            "$.created",
            ex.index,
        )
