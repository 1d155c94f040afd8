"""Anthropic Messages mutants: each Anthropic bug of catalog.yaml against the reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from anthropic_faults import BearerOnly, Event, drop_type, on_events
from broken_servers import Fault
from mutant_kit import Mutant, header, refuse, table

FAMILY = "anthropic"
NO_COUNT_TOKENS = "the reference has no /v1/messages/count_tokens endpoint to mutate"
Evs = list[Event]


def _kind(d: dict[str, Any]) -> str:
    return str(d.get("type", ""))


def _block_type(d: dict[str, Any]) -> str:
    block = d.get("content_block")
    return str(block.get("type", "")) if isinstance(block, dict) else ""


def _delta_type(d: dict[str, Any]) -> str:
    delta = d.get("delta")
    return str(delta.get("type", "")) if isinstance(delta, dict) else ""


def _block_types(evs: Evs) -> dict[int, str]:
    return {d["index"]: _block_type(d) for _, d in evs if _kind(d) == "content_block_start"}


def _each(fn: Callable[[Any], Any]) -> Callable[[list[str]], list[str]]:
    """A stream fault applying a body rewrite to every event's data."""
    return on_events(lambda evs: [(n, fn(d)) for n, d in evs])


def _no_tool_start(evs: Evs) -> Evs:
    return [(n, d) for n, d in evs if _block_type(d) != "tool_use"]


def _index_collision(evs: Evs) -> Evs:
    return [(n, {**d, "index": d["index"] - 1} if d.get("index", 0) >= 1 else d) for n, d in evs]


def _tool_input_string(body: Any) -> Any:
    for block in body.get("content", []) if isinstance(body, dict) else []:
        if block.get("type") == "tool_use":
            block["input"] = json.dumps(block["input"])
    return body


def _midstream_bare_error(evs: Evs) -> Evs:
    first = next(i for i, (_, d) in enumerate(evs) if _kind(d) == "content_block_delta")
    error = {"error": {"type": "stream_error", "message": "upstream failed"}}
    return [*evs[: first + 1], (None, error)]


def _start_without_signature(evs: Evs) -> Evs:
    for _, d in evs:
        if _block_type(d) == "thinking":
            d["content_block"].pop("signature", None)
    return evs


def _tool_ids(prefix: str) -> Callable[[Any], Any]:
    def rewrite(value: Any) -> Any:
        blocks = value.get("content", []) if isinstance(value, dict) else []
        block = value.get("content_block") if isinstance(value, dict) else None
        for b in [*blocks, *([block] if isinstance(block, dict) else [])]:
            if b.get("type") == "tool_use":
                b["id"] = prefix + str(b["id"]).removeprefix("toolu_")
        return value

    return rewrite


def _drop_deltas(kind: str) -> Callable[[list[str]], list[str]]:
    return on_events(lambda evs: [(n, d) for n, d in evs if _delta_type(d) != kind])


def _openai_error(param: str, status_code: bool) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if not (isinstance(body, dict) and body.get("type") == "error"):
            return body
        kind = body["error"]["type"]
        if kind == "authentication_error" and not status_code:
            code: Any = "invalid_api_key"
            kind = "invalid_request_error"
        else:
            code = {"invalid_request_error": "400", "not_found_error": "404"}.get(kind, "401")
            kind = "None" if status_code else kind
        message = body["error"]["message"]
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}

    return rewrite


def _only_auth_errors(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if isinstance(body, dict) and body.get("error", {}).get("type") == "authentication_error":
            return fn(body)
        return body

    return rewrite


def _only_400(body: Any) -> Any:
    if isinstance(body, dict) and body.get("error", {}).get("type") == "invalid_request_error":
        message = repr(body["error"]["message"])
        return {"error": {"message": message, "type": "Bad Request", "param": "body", "code": 400}}
    return body


def _camel_error_type(body: Any) -> Any:
    names = {
        "invalid_request_error": "BadRequestError",
        "not_found_error": "NotFoundError",
        "authentication_error": "AuthenticationError",
    }
    if isinstance(body, dict) and body.get("type") == "error":
        body["error"]["type"] = names.get(body["error"]["type"], "InternalServerError")
    return body


def _drop_thinking_blocks(evs: Evs) -> Evs:
    thinking = {i for i, t in _block_types(evs).items() if t == "thinking"}
    out = []
    for n, d in evs:
        if d.get("index") in thinking:
            continue
        if "index" in d:
            d = {**d, "index": d["index"] - sum(1 for i in thinking if i < d["index"])}
        out.append((n, d))
    return out


def _body_without_thinking(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("content"), list):
        body["content"] = [b for b in body["content"] if b.get("type") != "thinking"]
    return body


def _body_thinking_unsigned(body: Any) -> Any:
    for block in body.get("content", []) if isinstance(body, dict) else []:
        if block.get("type") == "thinking":
            block.pop("signature", None)
    return body


def _duplicate_block_start(evs: Evs) -> Evs:
    starts = {d["index"]: (n, d) for n, d in evs if _kind(d) == "content_block_start"}
    out: Evs = []
    for n, d in evs:
        if _kind(d) == "content_block_delta":
            out.append(starts[d["index"]])
        out.append((n, d))
    return out


def _start_usage(fn: Callable[[dict[str, Any], dict[str, Any]], None]) -> Callable[[Evs], Evs]:
    def rewrite(evs: Evs) -> Evs:
        start = next(d for _, d in evs if _kind(d) == "message_start")
        end = next((d for _, d in evs if _kind(d) == "message_delta"), {})
        fn(start["message"]["usage"], end.setdefault("usage", {}))
        return evs

    return rewrite


def _zero_input(start: dict[str, Any], end: dict[str, Any]) -> None:
    start["input_tokens"] = 0


def _move_input(start: dict[str, Any], end: dict[str, Any]) -> None:
    end["input_tokens"] = start["input_tokens"]
    start["input_tokens"] = 0


def _zero_all(start: dict[str, Any], end: dict[str, Any]) -> None:
    for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        start[key] = 0


def _end_turn_with_tools(value: Any) -> Any:
    if isinstance(value, dict):
        for holder in (value, value.get("delta")):
            if isinstance(holder, dict) and holder.get("stop_reason") == "tool_use":
                holder["stop_reason"] = "end_turn"
    return value


def _stop_as_end_turn(value: Any) -> Any:
    if isinstance(value, dict):
        for holder in (value, value.get("delta")):
            if isinstance(holder, dict) and holder.get("stop_reason") == "stop_sequence":
                holder["stop_reason"], holder["stop_sequence"] = "end_turn", None
    return value


def _text_then_same_index(evs: Evs) -> Evs:
    # The first block's stop is skipped and the next block reuses its index.
    first_stop = next(i for i, (_, d) in enumerate(evs) if _kind(d) == "content_block_stop")
    out = [e for i, e in enumerate(evs) if i != first_stop]
    return _index_collision(out)


_UNASKED = {"type": "thinking", "thinking": "Let me think.", "signature": "c2ln"}


def _unasked_thinking_body(body: Any) -> Any:
    # As if thinking were on by default: a thinking block before the answer.
    if isinstance(body, dict) and body.get("type") == "message":
        body["content"] = [dict(_UNASKED), *body["content"]]
    return body


def _unasked_thinking_events(evs: Evs) -> Evs:
    shifted = [(n, {**d, "index": d["index"] + 1} if "index" in d else d) for n, d in evs]
    start = next(i for i, (_, d) in enumerate(shifted) if _kind(d) == "message_start")
    block = [
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {**_UNASKED, "thinking": "", "signature": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "Let me think."},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "c2ln"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    return [*shifted[: start + 1], *block, *shifted[start + 1 :]]


def _tool_ordinal_index(evs: Evs) -> Evs:
    tools = sorted(i for i, t in _block_types(evs).items() if t == "tool_use")
    ordinal = {index: n for n, index in enumerate(tools)}
    return [
        (n, {**d, "index": ordinal[d["index"]]} if d.get("index") in ordinal else d) for n, d in evs
    ]


def _fragmented_tool_blocks(evs: Evs) -> Evs:
    out: Evs = []
    index = 0
    tool = None
    for n, d in evs:
        if _block_type(d) == "tool_use":
            tool = d["content_block"]
            continue
        if _delta_type(d) == "input_json_delta" and tool is not None:
            start = {**tool, "name": "", "input": {}}
            out += [
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": start},
                ),
                (n, {**d, "index": index}),
                ("content_block_stop", {"type": "content_block_stop", "index": index}),
            ]
            index += 1
            continue
        if _kind(d) == "content_block_stop" and tool is not None:
            tool = None
            continue
        if "index" in d:
            d = {**d, "index": index}
            index += _kind(d) == "content_block_stop"
        out.append((n, d))
    return out


def _thinking_repeated(evs: Evs) -> Evs:
    out: Evs = []
    text = ""
    for n, d in evs:
        if _delta_type(d) == "thinking_delta":
            text += d["delta"]["thinking"]
        if _delta_type(d) == "signature_delta":
            out.append((n, {**d, "delta": {"type": "thinking_delta", "thinking": text}}))
            continue
        out.append((n, d))
    return out


def _truncate_after(deltas: int) -> Callable[[list[str]], list[str]]:
    def rewrite(texts: list[str]) -> list[str]:
        seen = 0
        for i, text in enumerate(texts):
            seen += "content_block_delta" in text.split("\n", 1)[0]
            if seen == deltas:
                return texts[: i + 1]
        return texts

    return rewrite


def _no_message_delta_on_tools(evs: Evs) -> Evs:
    tools = "tool_use" in _block_types(evs).values()
    return [(n, d) for n, d in evs if not (tools and _kind(d) == "message_delta")]


def _drop_delta_stop_sequence(evs: Evs) -> Evs:
    for _, d in evs:
        if _kind(d) == "message_delta":
            d["delta"].pop("stop_sequence", None)
    return evs


def _drop_first_fragment(evs: Evs) -> Evs:
    # The first non-empty one: the reference opens with an empty fragment, as Anthropic does.
    first = next(
        (
            i
            for i, (_, d) in enumerate(evs)
            if _delta_type(d) == "input_json_delta" and d["delta"]["partial_json"]
        ),
        -1,
    )
    return [e for i, e in enumerate(evs) if i != first]


def _has_block(kind: str, role: str | None = None, source: str | None = None) -> Any:
    def when(scope: Any, body: Any) -> bool:
        for message in body.get("messages", []) if isinstance(body, dict) else []:
            content = message.get("content") if isinstance(message, dict) else None
            for block in content if isinstance(content, list) else []:
                if not isinstance(block, dict) or block.get("type") != kind:
                    continue
                if role in (None, message.get("role")) and (
                    source is None or (block.get("source") or {}).get("type") == source
                ):
                    return True
        return False

    return when


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


def _tool_choice_auto_any(scope: Any, body: Any) -> bool:
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    return isinstance(choice, dict) and choice.get("type") in ("auto", "any")


def _models_without_bearer(scope: Any, body: Any) -> bool:
    return scope["path"].endswith("/models") and header(scope, "authorization") is None


def _context_management(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and "context_management" in body


_AUTH_401 = {"type": "error", "error": {"type": "authentication_error", "message": "no key"}}
_DETAIL_404 = {"detail": "Not Found"}
STREAM = "anthropic.stream"
GAP_SHOULD = "the named requirement is a SHOULD: flagged as a warning only"
GAP_MULTI = "no case streams more than one content block (text then tool_use)"
GAP_MODELS = "the Anthropic cases never call GET /v1/models"
THINKING = "ANT-THINK-001"  # a thinking block carries its signature (signature_delta in streams)

MUTANTS = table(
    [
        Mutant(
            "ant-9router-tool-use-no-content-block-start",
            ("ANT-STREAM-006",),
            Fault("m", events=on_events(_no_tool_start)),
        ),
        Mutant(
            "ant-aisix-openai-error-envelope",
            ("ANT-ERR-004",),
            Fault("m", body=_only_auth_errors(_openai_error("null", False))),
            gap=GAP_SHOULD,
        ),
        Mutant(
            "ant-antigravity-midstream-error-missing-type",
            ("ANT-STREAM-003", "ANT-STREAM-004"),
            Fault("m", events=on_events(_midstream_bare_error)),
        ),
        Mutant(
            "ant-bedrock-connector-x-api-key-ignored",
            ("ANT-HTTP-001", "ANT-STREAM-001"),
            app=lambda key: BearerOnly(key or ""),
        ),
        Mutant("ant-ccr-count-tokens-not-passthrough", skip=NO_COUNT_TOKENS),
        Mutant(
            "ant-claudecodeproxy-tool-input-string",
            ("ANT-TOOL-002", "ANT-001"),
            Fault("m", body=_tool_input_string),
        ),
        Mutant(
            "ant-cliproxyapi-content-block-index-collision",
            ("ANT-STREAM-006",),
            Fault("m", events=on_events(_index_collision)),
        ),
        Mutant("ant-cliproxyapi-count-tokens-ignores-system-tools", skip=NO_COUNT_TOKENS),
        Mutant(
            "ant-cliproxyapi-message-stop-without-message",
            ("ANT-STREAM-005",),
            Fault("m", events=drop_type("message_start")),
        ),
        Mutant(
            "ant-deepseek-rejects-tool-choice-auto-any",
            ("ANT-TOOL-001",),
            app=refuse(_tool_choice_auto_any, 400, _error("tool_choice not supported")),
        ),
        Mutant(
            "ant-deepseek-thinking-block-start-no-signature",
            ("ANT-STREAM-004",),
            Fault("m", events=on_events(_start_without_signature)),
        ),
        Mutant(
            "ant-dynamo-tool-use-id-openai-format",
            ("ANT-TOOL-002",),
            Fault("m", body=_tool_ids("call_"), events=_each(_tool_ids("call_"))),
            gap="no requirement on the toolu_ form of tool_use ids",
        ),
        Mutant(
            "ant-gateway-sse-missing-event-lines",
            ("ANT-STREAM-003",),
            Fault("m", events=on_events(lambda evs: [(None, d) for _, d in evs])),
        ),
        Mutant(
            "ant-hebo-gateway-stream-signature-lost",
            (THINKING,),
            Fault("m", events=_drop_deltas("signature_delta")),
        ),
        Mutant(
            "ant-litellm-cache-tokens-zero-in-stream",
            skip="the reference reports no cache tokens, so zeroing them changes nothing",
        ),
        Mutant("ant-litellm-count-tokens-404", skip=NO_COUNT_TOKENS),
        Mutant(
            "ant-litellm-drops-input-json-delta",
            ("ANT-STREAM-009", "ANT-TOOL-003"),
            Fault("m", events=_drop_deltas("input_json_delta")),
            gap=GAP_SHOULD,
        ),
        Mutant(
            "ant-litellm-fallback-thinking-empty-signature",
            (THINKING,),
            Fault("m", events=_drop_deltas("signature_delta")),
        ),
        Mutant(
            "ant-litellm-openai-error-envelope",
            ("ANT-ERR-004",),
            Fault("m", body=_openai_error("None", True)),
            gap=GAP_SHOULD,
        ),
        Mutant(
            "ant-litellm-reasoning-only-chunks-no-thinking-block",
            ("ANT-THINK-002",),
            Fault("m", events=on_events(_drop_thinking_blocks)),
        ),
        Mutant(
            "ant-litellm-responses-bridge-failed-as-end-turn",
            skip="the reference never fails after a stream has started",
        ),
        Mutant(
            "ant-llamacpp-duplicate-content-block-start",
            ("ANT-STREAM-006",),
            Fault("m", events=on_events(_duplicate_block_start)),
        ),
        Mutant(
            "ant-llamacpp-thinking-blocks-dropped",
            ("ANT-THINK-002",),
            Fault("m", body=_body_without_thinking, events=on_events(_drop_thinking_blocks)),
        ),
        Mutant(
            "ant-llamacpp-thinking-no-signature",
            ("ANT-001", THINKING),
            Fault("m", body=_body_thinking_unsigned, events=_drop_deltas("signature_delta")),
        ),
        Mutant(
            "ant-lmdeploy-thinking-no-signature",
            ("ANT-001",),
            Fault("m", body=_body_thinking_unsigned),
        ),
        Mutant(
            "ant-mlxnode-message-start-zero-input-tokens",
            ("ANT-STREAM-012",),
            Fault("m", events=on_events(_start_usage(_zero_input))),
        ),
        Mutant(
            "ant-mtplx-image-block-stringified",
            skip="whether an answer used the image takes a real model to judge",
        ),
        Mutant(
            "ant-newapi-models-x-api-key-401",
            ("ANT-MODELS-001",),
            app=refuse(_models_without_bearer, 401, _AUTH_401),
            gap=GAP_MODELS,
        ),
        Mutant(
            "ant-ohmypi-end-turn-with-tool-use",
            ("ANT-TOOL-004",),
            Fault("m", body=_end_turn_with_tools, events=_each(_end_turn_with_tools)),
        ),
        Mutant(
            "ant-ollama-silent-stream-during-tool-args",
            skip="pings are optional; the bug is a >30 s silence of a long generation",
        ),
        Mutant(
            "ant-ollama-text-then-thinking-same-index",
            ("ANT-STREAM-006",),
            Fault("m", events=on_events(_text_then_same_index)),
        ),
        Mutant(
            "ant-ollama-thinking-on-when-absent",
            ("ANT-THINK-003",),
            Fault("m", body=_unasked_thinking_body, events=on_events(_unasked_thinking_events)),
        ),
        Mutant(
            "ant-ollama-tool-use-wrong-index",
            ("ANT-STREAM-006",),
            Fault("m", events=on_events(_tool_ordinal_index)),
            gap=GAP_MULTI,
        ),
        Mutant(
            "ant-omniroute-tool-use-fragmented-blocks",
            ("ANT-STREAM-009", "ANT-TOOL-002"),
            Fault("m", events=on_events(_fragmented_tool_blocks)),
        ),
        Mutant(
            "ant-openwebui-get-x-api-key-auth-failure",
            ("ANT-MODELS-001",),
            app=refuse(_models_without_bearer, 401, _AUTH_401),
            gap=GAP_MODELS,
        ),
        Mutant(
            "ant-openwebui-thinking-signature-and-duplicate-text",
            (THINKING,),
            Fault("m", events=on_events(_thinking_repeated)),
        ),
        Mutant(
            "ant-rapidmlx-stop-sequences-ignored",
            ("ANT-STOP-001",),
            Fault("m", request=lambda r: {k: v for k, v in r.items() if k != "stop_sequences"}),
        ),
        Mutant("ant-relay-count-tokens-openai-error-shape", skip=NO_COUNT_TOKENS),
        Mutant(
            "ant-semantic-router-rejects-context-management",
            ("ANT-REQ-001",),
            app=refuse(_context_management, 400, _error("context_management: unknown")),
            gap="no case sends context_management",
        ),
        Mutant(
            "ant-sglang-message-start-zero-input-tokens",
            ("ANT-STREAM-012",),
            Fault("m", events=on_events(_start_usage(_move_input))),
        ),
        Mutant(
            "ant-talon-midstream-silent-truncation",
            ("ANT-STREAM-011",),
            Fault("m", events=_truncate_after(2)),
        ),
        Mutant(
            "ant-veloera-tool-use-missing-stop-reason",
            ("ANT-STREAM-010",),
            Fault("m", events=on_events(_no_message_delta_on_tools)),
        ),
        Mutant(
            "ant-vllm-base64-image-rejected",
            ("ANT-REQ-002",),
            app=refuse(_has_block("image", source="base64"), 400, _error("base64 images")),
            gap="no case sends a base64 image block",
        ),
        Mutant(
            "ant-vllm-error-type-exception-class-name",
            ("ANT-ERR-004",),
            Fault("m", body=_camel_error_type),
            gap=GAP_SHOULD,
        ),
        Mutant(
            "ant-vllm-message-delta-omits-stop-sequence",
            ("ANT-STREAM-004", "ANT-STOP-002"),
            Fault("m", events=on_events(_drop_delta_stop_sequence)),
        ),
        Mutant(
            "ant-vllm-partial-json-missing-prefix",
            ("ANT-STREAM-009",),
            Fault("m", events=on_events(_drop_first_fragment)),
        ),
        Mutant(
            "ant-vllm-rejects-thinking-block-in-history",
            ("ANT-REQ-003",),
            app=refuse(_has_block("thinking", role="assistant"), 400, _error("thinking")),
            gap="no case sends a thinking block back in an assistant turn",
        ),
        Mutant(
            "ant-vllm-stop-sequence-reported-as-end-turn",
            ("ANT-STOP-002",),
            Fault("m", body=_stop_as_end_turn, events=_each(_stop_as_end_turn)),
            gap="end_turn is also what a model that stops before the sequence returns",
        ),
        Mutant(
            "ant-vllm-validation-error-openai-envelope",
            ("ANT-ERR-004",),
            Fault("m", body=_only_400),
            gap=GAP_SHOULD,
        ),
        Mutant(
            "ant-zai-glm-message-start-zero-usage",
            ("ANT-STREAM-012",),
            Fault("m", events=on_events(_start_usage(_zero_all))),
        ),
    ]
)
