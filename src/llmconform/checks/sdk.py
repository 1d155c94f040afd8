"""SDK compatibility checks: did the official SDK's call work, and does its result hold what
the feature promises? (the `sdk-compatibility` profile)

They read the synthetic last exchange an SDK case ends with (see `transport/sdk_runner`): a JSON
outcome saying the call returned (with a summary of the returned object), raised (with the
exception), or could not run because the SDK is not installed (the case is then skipped).
Every rule holds for any model output: shapes and types, never wording.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import CheckFn, Issue, IssueKind, check

# The contract with the SDK driver (transport/sdk_runner): the outcome record's method, and
# the one tool every SDK feature declares.
OUTCOME_METHOD = "SDK"
TOOL = "get_weather"

Problem = tuple[Any, ...]  # (path, message) or (path, message, IssueKind)
Judge = Callable[[dict[str, Any]], Iterable[Problem]]


def _outcome(ctx: CheckContext) -> tuple[Exchange, dict[str, Any]]:
    for ex in reversed(ctx.exchanges):
        if ex.capture.request.method == OUTCOME_METHOD:
            value = ex.json
            if not isinstance(value, dict):
                raise Unverifiable("the SDK outcome record is not a JSON object")
            return ex, value
    raise Unverifiable("the case has no SDK outcome (was it run through the SDK driver?)")


def _result(ctx: CheckContext, req: str) -> tuple[Any, list[Issue]]:
    """The summary of what the SDK returned, or the issues saying why there is none."""
    ex, outcome = _outcome(ctx)
    status, call = outcome.get("status"), f"{outcome.get('sdk')} SDK's `{outcome.get('call')}`"
    if status == "absent":
        reason = str(outcome.get("reason") or "the SDK is not installed")
        return None, [Issue(req, reason, exchange=ex.index, kind=IssueKind.INCONCLUSIVE)]
    if status == "raised":
        error = outcome.get("error") or {}
        message = f"the {call} raised {error.get('message') or error.get('type')}"
        return None, [Issue(req, message, "error", ex.index)]
    if status != "ok":
        raise Unverifiable(f"unknown SDK outcome status {status!r}")
    return outcome.get("result"), []


def _sdk_check(req: str, judge: Judge) -> CheckFn:
    """A check body: the SDK call must have worked, then `judge(result)` yields problems."""

    def run(ctx: CheckContext) -> Iterator[Issue]:
        result, issues = _result(ctx, req)
        if issues:
            yield from issues
            return
        if not isinstance(result, dict):
            raise Unverifiable("the SDK outcome holds no result summary")
        index = len(ctx.exchanges) - 1
        for path, message, *kind in judge(result):
            yield Issue(req, message, path, index, *kind)

    return run


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _completion(r: dict[str, Any], where: str, *, calls: bool = False) -> Iterator[Problem]:
    """A ChatCompletion a user can read: a choice, its text (or calls), a finish reason."""
    n = r.get("choices")
    if not n:
        said = "has no `choices`" if n is None else "has an empty `choices` list"
        yield f"{where}.choices", f"the {where} {said}: `.choices[0]` raises"
        return
    if not calls and not isinstance(r.get("content"), str) and not r.get("tool_calls"):
        got = type(r.get("content")).__name__
        yield f"{where}.content", f"the {where}'s message content is {got}, not text"
    if not _text(r.get("finish_reason")):
        yield f"{where}.finish_reason", f"the {where}'s choice has no finish_reason"


def _tool_calls(r: dict[str, Any], where: str, *, parsed: bool = False) -> Iterator[Problem]:
    """Forced tool calls a client can dispatch and answer."""
    calls = r.get("tool_calls") or []
    if not calls:
        yield f"{where}.tool_calls", f'the {where} has no tool call despite tool_choice "required"'
    for i, call in enumerate(calls):
        at = f"{where}.tool_calls[{i}]"
        if not _text(call.get("id")):
            yield f"{at}.id", "the tool call has no id to answer it with"
        if call.get("name") != TOOL:
            yield f"{at}.name", f"the tool call names {call.get('name')!r}, not {TOOL!r}"
        args = call.get("arguments")
        try:
            ok = isinstance(args, str) and isinstance(json.loads(args), dict)
        except ValueError:
            ok = False
        if not ok:
            yield f"{at}.arguments", f"arguments are not a JSON object string: {args!r:.80}"
        if parsed and not isinstance(call.get("parsed_arguments"), dict):
            yield f"{at}.parsed_arguments", "the SDK could not parse the strict tool's arguments"


def _chat_create(r: dict[str, Any]) -> Iterable[Problem]:
    return _completion(r, "completion")


def _chat_stream(r: dict[str, Any]) -> Iterator[Problem]:
    if not r.get("chunks"):
        yield "chunks", "iterating the stream yielded no chunk"
    if not _text(r.get("finish_reason")):
        yield (
            "finish_reason",
            "no chunk carried a finish_reason: the client cannot tell why it ended",
        )


def _stream_helper(r: dict[str, Any]) -> Iterable[Problem]:
    return _completion(r, "final completion")


def _tools_round_trip(r: dict[str, Any]) -> Iterator[Problem]:
    first = r.get("first") or {}
    yield from _completion(first, "first completion", calls=True)
    yield from _tool_calls(first, "first completion")
    if first.get("tool_calls"):
        yield from _completion(r.get("second") or {}, "answer to the tool result")


def _tools_stream(r: dict[str, Any]) -> Iterator[Problem]:
    yield from _completion(r, "final completion", calls=True)
    if r.get("sdk_raised_length"):  # arguments cut at the limit: nothing more to judge
        yield (
            "finish_reason",
            "the call reached the token limit (finish_reason 'length'); the SDK raises "
            "LengthFinishReasonError on that by design, so its arguments were not judged",
            IssueKind.INCONCLUSIVE,
        )
        return
    yield from _tool_calls(r, "final completion", parsed=True)


def _parse(r: dict[str, Any]) -> Iterator[Problem]:
    parsed = r.get("parsed")
    if r.get("sdk_raised_length"):
        yield (
            "finish_reason",
            "the answer reached the token limit (finish_reason 'length') and the SDK raises "
            "LengthFinishReasonError on that by design, so nothing was parsed",
            IssueKind.INCONCLUSIVE,
        )
        return
    if parsed is None and _text(r.get("refusal")):
        yield "refusal", "the model refused, so nothing was parsed", IssueKind.INCONCLUSIVE
        return
    if not isinstance(parsed, dict):
        yield "parsed", "message.parsed is None: the SDK parsed no structured output"
        return
    for key in ("city", "country"):
        if not isinstance(parsed.get(key), str):
            yield f"parsed.{key}", f"the parsed model has no string {key!r}"


def _embeddings(r: dict[str, Any]) -> Iterator[Problem]:
    vectors = r.get("vectors") or []
    if len(vectors) != r.get("inputs"):
        yield "data", f"{len(vectors)} embeddings for {r.get('inputs')} inputs"
    for i, v in enumerate(vectors):
        if not v.get("numeric") or not v.get("length"):
            yield (
                f"data[{i}].embedding",
                f"the embedding is a {v.get('type')}, not a list of floats",
            )
    if len({v.get("length") for v in vectors}) > 1:
        yield "data", "the embeddings have different lengths"
    if sorted(v.get("index") for v in vectors if isinstance(v.get("index"), int)) != list(
        range(len(vectors))
    ):
        yield "data[].index", "the embeddings' indices are not 0..n-1"


def _models(r: dict[str, Any]) -> Iterator[Problem]:
    if not r.get("count"):
        yield "data", "iterating client.models.list() yielded no model"
    if not all(_text(i) for i in r.get("ids") or []):
        yield "data[].id", "a listed model has no id"
    if r.get("retrieved") != r.get("asked"):
        yield "id", f"retrieve({r.get('asked')!r}) returned id {r.get('retrieved')!r}"


def _response(r: dict[str, Any]) -> Iterator[Problem]:
    if not _text(r.get("id")):
        yield "id", "the response has no id"
    if r.get("status") not in ("completed", "incomplete"):
        yield "status", f"the final response's status is {r.get('status')!r}"
    if not isinstance(r.get("output_types"), list):
        yield "output", "the response has no output list"
    if not isinstance(r.get("output_text"), str):
        yield "output_text", "response.output_text is not text"


def _message(r: dict[str, Any], where: str) -> Iterator[Problem]:
    if not isinstance(r.get("content_types"), list):
        yield f"{where}.content", f"the {where} has no content list"
    if not _text(r.get("stop_reason")):
        yield f"{where}.stop_reason", f"the {where} has no stop_reason"
    tokens = r.get("output_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool):
        yield f"{where}.usage", f"the {where} has no usage.output_tokens"


def _anthropic_create(r: dict[str, Any]) -> Iterable[Problem]:
    return _message(r, "message")


def _anthropic_stream(r: dict[str, Any]) -> Iterator[Problem]:
    yield from _message(r, "final message")
    if r.get("streamed_text") != r.get("text"):
        yield "text_stream", "the text_stream differs from the final message's text"


def _anthropic_tools(r: dict[str, Any]) -> Iterator[Problem]:
    first = r.get("first") or {}
    yield from _message(first, "first message")
    uses = first.get("tool_uses") or []
    if not uses:
        yield "first.content", 'no tool_use block despite tool_choice {"type": "any"}'
    for i, use in enumerate(uses):
        if not _text(use.get("id")) or use.get("name") != TOOL:
            yield f"first.content[{i}]", f"the tool_use block is not a call of {TOOL!r} with an id"
        if not isinstance(use.get("input"), dict):
            yield f"first.content[{i}].input", "the tool_use input is not an object"
    if uses:
        yield from _message(r.get("second") or {}, "answer to the tool_result")


def _response_stream(r: dict[str, Any]) -> Iterator[Problem]:
    yield from _response(r)
    if r.get("streamed_text") != r.get("output_text"):
        yield "output_text", "the text streamed in deltas differs from the final output_text"


_CHECKS = {
    "sdk.openai.chat": ("SDK-OPENAI-001", _chat_create),
    "sdk.openai.stream": ("SDK-OPENAI-002", _chat_stream),
    "sdk.openai.stream_helper": ("SDK-OPENAI-003", _stream_helper),
    "sdk.openai.tools": ("SDK-OPENAI-004", _tools_round_trip),
    "sdk.openai.tools_stream": ("SDK-OPENAI-005", _tools_stream),
    "sdk.openai.parse": ("SDK-OPENAI-006", _parse),
    "sdk.openai.embeddings_float": ("SDK-OPENAI-007", _embeddings),
    "sdk.openai.embeddings_default": ("SDK-OPENAI-008", _embeddings),
    "sdk.openai.models": ("SDK-OPENAI-009", _models),
    "sdk.openai.responses": ("SDK-OPENAI-010", _response),
    "sdk.openai.responses_stream": ("SDK-OPENAI-011", _response_stream),
    "sdk.anthropic.create": ("SDK-ANTHROPIC-001", _anthropic_create),
    "sdk.anthropic.stream": ("SDK-ANTHROPIC-002", _anthropic_stream),
    "sdk.anthropic.tools": ("SDK-ANTHROPIC-003", _anthropic_tools),
}


def _define(name: str, req: str, judge: Judge) -> CheckFn:
    fn = _sdk_check(req, judge)
    fn.__doc__ = f"The official SDK's call works and its result is usable ({req})."
    return check(name, req)(fn)


# One check per SDK feature, collected by the registry from this list.
DEFINITIONS = tuple(_define(name, req, judge) for name, (req, judge) in _CHECKS.items())
