"""Open Responses mutants: each Responses bug of catalog.yaml against the reference."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

from broken_servers import Fault
from mutant_kit import Mutant, refuse, table
from responses_faults import (
    TERMINAL,
    Event,
    _incomplete_as_completed,
    _incomplete_as_completed_events,
    kind,
    on_events,
)

FAMILY = "responses"
Evs = list[Event]
NO_REASONING = "the reference produces no reasoning items to mutate"
NO_FAILURE = "the reference never fails after a stream has started"
_ids = itertools.count()


def _drop(pred: Callable[[Any], bool]) -> Callable[[list[str]], list[str]]:
    return on_events(lambda evs: [(n, d) for n, d in evs if not pred(d)])


def _kinds(*names: str) -> Callable[[Any], bool]:
    return lambda d: kind(d) in names


def _item_type(d: Any) -> str:
    item = d.get("item") if isinstance(d, dict) else None
    return str(item.get("type", "")) if isinstance(item, dict) else ""


def _terminal(fn: Callable[[dict[str, Any]], None]) -> Callable[[list[str]], list[str]]:
    def rewrite(evs: Evs) -> Evs:
        for _, d in evs:
            if kind(d) in TERMINAL:
                fn(d["response"])
        return evs

    return on_events(rewrite)


def _both(fn: Callable[[dict[str, Any]], None]) -> Fault:
    """Apply `fn` to the non-streamed Response and to the terminal event's response."""

    def body(value: Any) -> Any:
        if isinstance(value, dict) and value.get("object") == "response":
            fn(value)
        return value

    return Fault("m", body=body, events=_terminal(fn))


def _usage_pop(*keys: str) -> Callable[[dict[str, Any]], None]:
    def rewrite(response: dict[str, Any]) -> None:
        for key in keys:
            if isinstance(response.get("usage"), dict):
                response["usage"].pop(key, None)

    return rewrite


def _usage_null(key: str) -> Callable[[dict[str, Any]], None]:
    def rewrite(response: dict[str, Any]) -> None:
        if isinstance(response.get("usage"), dict):
            response["usage"][key] = None

    return rewrite


def _each(fn: Callable[[dict[str, Any]], None]) -> Callable[[list[str]], list[str]]:
    def rewrite(evs: Evs) -> Evs:
        for _, d in evs:
            if isinstance(d, dict):
                fn(d)
        return evs

    return on_events(rewrite)


def _repeat_sequence(evs: Evs) -> Evs:
    # One value repeated mid-stream (an event re-sent with its predecessor's number).
    out = [(n, dict(d)) if isinstance(d, dict) else (n, d) for n, d in evs]
    numbered = [d for _, d in out if isinstance(d, dict) and "sequence_number" in d]
    middle = len(numbered) // 2
    numbered[middle]["sequence_number"] = numbered[middle - 1]["sequence_number"]
    return out


def _pop_keys(*keys: str, unless: Callable[[dict[str, Any]], bool] = lambda d: False) -> Any:
    def fn(d: dict[str, Any]) -> None:
        if not unless(d):
            for key in keys:
                d.pop(key, None)

    return fn


def _fresh_item_ids(d: dict[str, Any]) -> None:
    if kind(d).endswith(".delta") and "item_id" in d:
        d["item_id"] = f"rs_{next(_ids)}"


def _shared_output_index(d: dict[str, Any]) -> None:
    if "output_index" in d:
        d["output_index"] = 0


def _completed_generic(response: dict[str, Any]) -> None:
    response["output"] = [
        {
            "type": "message",
            "id": "msg_x",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "", "annotations": []}],
        }
    ]


def _strip_identity(response: dict[str, Any]) -> None:
    for key in ("id", "object", "model"):
        response.pop(key, None)


def _item_status(d: dict[str, Any]) -> None:
    if isinstance(d.get("item"), dict):
        d["item"].pop("status", None)
    for item in (d.get("response") or {}).get("output", []):
        item.pop("status", None)


def _body_item_status(response: dict[str, Any]) -> None:
    for item in response.get("output", []):
        item.pop("status", None)


def _each_body(fn: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if isinstance(body, dict) and body.get("object") == "response":
            fn(body)
        return body

    return rewrite


def _no_function_calls(evs: Evs) -> Evs:
    calls = {d["item"]["id"] for _, d in evs if _item_type(d) == "function_call"}
    out = []
    for n, d in evs:
        if _item_type(d) == "function_call" or (isinstance(d, dict) and d.get("item_id") in calls):
            continue
        if kind(d) in TERMINAL:
            output = d["response"]["output"]
            d["response"]["output"] = [i for i in output if i.get("type") != "function_call"]
        out.append((n, d))
    return out


def _running_content_index(evs: Evs) -> Evs:
    # content_index counts parts across the whole response instead of per item.
    offset, last_item, seen = 0, None, 0
    for _, d in evs:
        if isinstance(d, dict) and "content_index" in d:
            if d.get("item_id") != last_item and last_item is not None:
                offset = seen
            last_item = d.get("item_id")
            d["content_index"] += offset
            seen = max(seen, d["content_index"] + 1)
    return evs


def _call_as_text(evs: Evs) -> Evs:
    out: Evs = []
    for n, d in evs:
        if _item_type(d) == "function_call":
            item = d["item"]
            text = item.get("arguments", "") if kind(d) == "response.output_item.done" else ""
            content: list[dict[str, Any]] = (
                [{"type": "output_text", "text": text, "annotations": []}] if text else []
            )
            d = {
                **d,
                "item": {
                    "type": "message",
                    "id": item["id"],
                    "role": "assistant",
                    "status": item.get("status", "completed"),
                    "content": content,
                },
            }
        elif kind(d) == "response.function_call_arguments.delta":
            n, d = (
                "response.output_text.delta",
                {**d, "type": "response.output_text.delta", "content_index": 0, "logprobs": []},
            )
            d.pop("obfuscation", None)
        elif kind(d) == "response.function_call_arguments.done":
            n = "response.output_text.done"
            d = {
                "type": n,
                "sequence_number": d["sequence_number"],
                "item_id": d["item_id"],
                "output_index": d["output_index"],
                "content_index": 0,
                "text": d["arguments"],
                "logprobs": [],
            }
        elif kind(d) in TERMINAL:
            d["response"]["output"] = [
                {
                    "type": "message",
                    "id": i["id"],
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": i["arguments"], "annotations": []}],
                }
                if i.get("type") == "function_call"
                else i
                for i in d["response"]["output"]
            ]
        out.append((n, d))
    return out


def _no_incomplete_details(response: dict[str, Any]) -> None:
    response["incomplete_details"] = None


def _error(message: str, status: int = 400) -> dict[str, Any]:
    code = "previous_response_not_found" if status == 404 else None
    kind_ = "invalid_request_error"
    return {"error": {"message": message, "type": kind_, "param": None, "code": code}}


def _body_has(pred: Callable[[dict[str, Any]], bool]) -> Any:
    return lambda scope, body: isinstance(body, dict) and pred(body)


def _stored_lookup(scope: Any, body: Any) -> bool:
    if scope["method"] == "GET" and scope["path"].startswith("/v1/responses/"):
        return True
    return isinstance(body, dict) and body.get("previous_response_id") is not None


def _developer(body: dict[str, Any]) -> bool:
    items = body.get("input")
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("role") == "developer" for i in items
    )


def _empty_parameters(body: dict[str, Any]) -> bool:
    return any(t.get("parameters") == {} for t in body.get("tools") or [] if isinstance(t, dict))


def _multi_item(body: dict[str, Any]) -> bool:
    return isinstance(body.get("input"), list) and len(body["input"]) > 1


def _done_without_values(d: dict[str, Any]) -> None:
    if kind(d) == "response.output_text.done":
        d.pop("text", None)
    if kind(d) == "response.function_call_arguments.done":
        d.pop("arguments", None)


def _pop_text_format(request: Any) -> Any:
    if isinstance(request, dict) and isinstance(request.get("text"), dict):
        request["text"].pop("format", None)
    return request


def _first_event(d: dict[str, Any]) -> bool:
    return kind(d) == "response.created"


class StreamedNotStored:
    """The reference, except that responses it streamed are never stored: chaining on one
    (or fetching it) is a 404, as if store had been ignored for streams."""

    def __init__(self, api_key: str | None) -> None:
        self.streamed: set[str] = set()
        self.inner = refuse(self._lookup, 404, _error("Previous response not found.", 404))(api_key)

    def _lookup(self, scope: Any, body: Any) -> bool:
        if scope["method"] == "GET":
            return scope["path"].rsplit("/", 1)[-1] in self.streamed
        return isinstance(body, dict) and body.get("previous_response_id") in self.streamed

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def out(message: Any) -> None:
            for line in message.get("body", b"").decode("utf-8", "replace").split("\n"):
                if line.startswith("data: {") and '"response.created"' in line:
                    self.streamed.add(json.loads(line[len("data: ") :])["response"]["id"])
            await send(message)

        await self.inner(scope, receive, out)


GAP_FORMAT = "no Responses case sends text.format"
MUTANTS = table(
    [
        Mutant(
            "resp-9router-no-terminal-event",
            ("RESP-STREAM-007",),
            Fault("m", events=_drop(_kinds("response.completed"))),
        ),
        Mutant(
            "resp-chatgpt-completed-empty-output",
            ("RESP-STREAM-014",),
            Fault("m", events=_terminal(lambda r: r.update(output=[]))),
        ),
        Mutant(
            "resp-cliproxyapi-input-string-rejected",
            ("RESP-HTTP-001",),
            app=refuse(
                _body_has(lambda b: isinstance(b.get("input"), str)),
                400,
                {"detail": "Input must be a list"},
            ),
        ),
        Mutant(
            "resp-cliproxyapi-missing-output-tokens-details",
            ("RESP-USAGE-003",),
            _both(_usage_null("output_tokens_details")),
        ),
        Mutant(
            "resp-cliproxyapi-rejects-metadata",
            ("RESP-HTTP-001",),
            app=refuse(_body_has(lambda b: "metadata" in b), 400, _error("metadata")),
            gap="no Responses case sends metadata",
        ),
        Mutant(
            "resp-cloudpods-done-events-missing",
            ("RESP-STREAM-010", "RESP-STREAM-011", "RESP-STREAM-012"),
            Fault("m", events=_drop(lambda d: kind(d).endswith(".done"))),
        ),
        Mutant(
            "resp-digitalocean-store-true-not-retrievable",
            ("RESP-PREV-001",),
            app=refuse(_stored_lookup, 404, _error("Response not found.", 404)),
        ),
        Mutant(
            "resp-exo-usage-details-missing",
            ("RESP-USAGE-003",),
            Fault(
                "m", events=_terminal(_usage_pop("input_tokens_details", "output_tokens_details"))
            ),
        ),
        Mutant(
            "resp-gomodel-sequence-gap-after-edit",
            ("RESP-STREAM-009",),
            Fault("m", events=on_events(_repeat_sequence)),
        ),
        Mutant(
            "resp-halogen-text-format-ignored",
            ("RESP-FMT-001",),
            Fault("m", request=_pop_text_format),
            gap=GAP_FORMAT,
        ),
        Mutant(
            "resp-lemonade-missing-output-and-content-index",
            ("RESP-STREAM-002",),
            Fault("m", events=_each(_pop_keys("output_index", "content_index"))),
        ),
        Mutant("resp-litellm-error-event-sequence-number-reset", skip=NO_FAILURE),
        Mutant(
            "resp-litellm-missing-sequence-number",
            ("RESP-STREAM-002", "RESP-STREAM-009"),
            Fault("m", events=_each(_pop_keys("sequence_number", unless=_first_event))),
        ),
        Mutant(
            "resp-litellm-omits-output-item-events",
            ("RESP-STREAM-010",),
            Fault(
                "m", events=_drop(_kinds("response.output_item.added", "response.output_item.done"))
            ),
        ),
        Mutant(
            "resp-litellm-output-index-shared-across-items",
            ("RESP-STREAM-010",),
            Fault("m", events=_each(_shared_output_index)),
            gap="no Responses case streams more than one output item",
        ),
        Mutant(
            "resp-litellm-reasoning-item-id-changes-per-delta",
            ("RESP-STREAM-010",),
            Fault("m", events=_each(_fresh_item_ids)),
        ),
        Mutant("resp-litellmrs-reasoning-missing-from-completed", skip=NO_REASONING),
        Mutant("resp-litellmrs-stream-drops-reasoning", skip=NO_REASONING),
        Mutant(
            "resp-llamastack-missing-output-text-done",
            ("RESP-STREAM-011", "RESP-STREAM-012"),
            Fault("m", events=_drop(_kinds("response.output_text.done"))),
        ),
        Mutant(
            "resp-llmrosetta-completed-missing-id-model",
            ("RESP-STREAM-002", "RESP-STREAM-014"),
            Fault("m", events=_terminal(_strip_identity)),
        ),
        Mutant("resp-llmrosetta-reasoning-no-lifecycle", skip=NO_REASONING),
        Mutant(
            "resp-lmstudio-empty-parameters-rejected",
            ("RESP-HTTP-001",),
            app=refuse(_body_has(_empty_parameters), 400, _error("tools.0")),
            gap="no Responses case declares a function tool with empty parameters",
        ),
        Mutant(
            "resp-lmstudio-multi-item-input-400",
            ("RESP-HTTP-001",),
            app=refuse(_body_has(_multi_item), 400, _error("input")),
        ),
        Mutant(
            "resp-lmstudio-streamed-response-not-chainable",
            ("RESP-PREV-001",),
            app=StreamedNotStored,
            gap="no case chains a request on a streamed response",
        ),
        Mutant(
            "resp-lmstudio-text-format-not-honoured",
            ("RESP-FMT-001",),
            Fault("m", request=_pop_text_format),
            gap=GAP_FORMAT,
        ),
        Mutant(
            "resp-manifest-tool-calls-dropped-in-stream",
            ("RESP-TOOL-001",),
            Fault("m", events=on_events(_no_function_calls)),
        ),
        Mutant(
            "resp-mistralrs-background-stream-fails",
            skip="the reference does not run background responses",
        ),
        Mutant(
            "resp-mlxvlm-previous-response-id-ignored",
            skip="whether the earlier turns were used takes a model to judge",
        ),
        Mutant(
            "resp-newapi-done-events-missing-final-values",
            ("RESP-STREAM-002", "RESP-STREAM-012", "RESP-STREAM-013"),
            Fault("m", events=_each(_done_without_values)),
        ),
        Mutant("resp-ogx-reasoning-item-omitted", skip=NO_REASONING),
        Mutant(
            "resp-ogx-usage-details-optional",
            ("RESP-USAGE-003",),
            _both(_usage_pop("input_tokens_details", "output_tokens_details")),
        ),
        Mutant(
            "resp-omlx-missing-input-tokens-details",
            ("RESP-USAGE-003",),
            _both(_usage_pop("input_tokens_details")),
        ),
        Mutant(
            "resp-omlx-truncation-reported-completed",
            ("RESP-LEN-001",),
            Fault(
                "m",
                body=_incomplete_as_completed,
                events=on_events(_incomplete_as_completed_events),
            ),
        ),
        Mutant("resp-omniroute-error-frame-no-sequence-number", skip=NO_FAILURE),
        Mutant(
            "resp-omniroute-in-progress-missing-output-and-item-status",
            ("RESP-001", "RESP-STREAM-002"),
            Fault(
                "m",
                body=_each_body(_body_item_status),
                events=_each(_item_status),
            ),
        ),
        Mutant(
            "resp-openrouter-missing-response-completed",
            ("RESP-STREAM-007",),
            Fault("m", events=_drop(_kinds("response.completed"))),
        ),
        Mutant("resp-praxis-error-event-nested-object", skip=NO_FAILURE),
        Mutant(
            "resp-rapidmlx-developer-role-crash",
            ("RESP-HTTP-001",),
            app=refuse(
                _body_has(_developer),
                500,
                {"error": {"message": "role", "type": "server_error", "param": None, "code": None}},
            ),
        ),
        Mutant(
            "resp-sglang-router-completed-output-generic-message",
            ("RESP-STREAM-014",),
            Fault("m", events=_terminal(_completed_generic)),
        ),
        Mutant(
            "resp-sglang-router-function-call-no-output-item-done",
            ("RESP-STREAM-010",),
            Fault(
                "m",
                events=_drop(
                    lambda d: (
                        kind(d) == "response.output_item.done" and _item_type(d) == "function_call"
                    )
                ),
            ),
        ),
        Mutant("resp-sub2api-error-data-only-chat-shape", skip=NO_FAILURE),
        Mutant(
            "resp-sub2api-missing-content-part-added",
            ("RESP-STREAM-011",),
            Fault(
                "m",
                events=_drop(_kinds("response.content_part.added", "response.content_part.done")),
            ),
        ),
        Mutant(
            "resp-sub2api-sequence-number-omitempty",
            ("RESP-STREAM-002",),
            Fault(
                "m",
                events=_each(
                    _pop_keys("sequence_number", unless=lambda d: d.get("sequence_number") != 0)
                ),
            ),
        ),
        Mutant(
            "resp-vllm-content-index-not-reset-per-item",
            ("RESP-STREAM-011",),
            Fault("m", events=on_events(_running_content_index)),
            gap="no Responses case streams two items with content parts",
        ),
        Mutant("resp-vllm-json-schema-not-enforced-with-reasoning", skip=NO_REASONING),
        Mutant("resp-vllm-no-incomplete-details", ("RESP-LEN-001",), _both(_no_incomplete_details)),
        Mutant("resp-vllm-reasoning-content-index-per-delta", skip=NO_REASONING),
        Mutant("resp-vllm-reasoning-tokens-zero-no-reasoning-item", skip=NO_REASONING),
        Mutant(
            "resp-vllm-tool-call-as-output-text",
            ("RESP-TOOL-001",),
            Fault("m", events=on_events(_call_as_text)),
        ),
    ]
)
