"""OpenAI mutants (chat, completions, embeddings, models): each bug of catalog.yaml against
the reference. A stream fault works on the raw event texts (`data: {...}` and the [DONE])."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

from broken_servers import DONE, Fault
from mutant_kit import Mutant, header, refuse, table

FAMILY = "openai"
Rewrite = Callable[[Any], Any]
Edit = Callable[[dict[str, Any]], object]  # an in-place edit; its value is ignored
Texts = Callable[[list[str]], list[str]]
_n = itertools.count()

# Keywords that keep a mutant's run to the cases about its area (speed).
STREAM = "stream"
CHAT = "chat or params or stream.basic"
TOOLS = "tools"
ERRORS = "error or auth"
CMPL = "completions"
EMB = "embeddings"
MODELS = "models"
LOGPROBS = "logprobs"
JSON = "structured"
GAP_SHOULD = "the named requirement is a SHOULD: flagged as a warning only"
CORS_GAP = "no case sends a CORS preflight (OPTIONS)"
NO_CONTEXT_WINDOW = "the reference has no context window to overflow on a stream"


def chunks(fn: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Texts:
    """A whole-stream fault over the JSON chunks (the [DONE] and comments kept last/first)."""

    def rewrite(texts: list[str]) -> list[str]:
        data = [json.loads(t[len("data: ") :]) for t in texts if t.startswith("data: {")]
        tail = [t for t in texts if t == DONE]
        return [f"data: {json.dumps(d)}\n\n" for d in fn(data)] + tail

    return rewrite


def each(fn: Edit) -> Rewrite:
    """A per-object rewrite (body or chunk) from an in-place edit."""

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            fn(value)
        return value

    return rewrite


def choices(fn: Edit) -> Rewrite:
    """Apply `fn` to every choice of a body or chunk."""
    return each(lambda v: [fn(c) for c in v.get("choices") or [] if isinstance(c, dict)])


def deltas(fn: Edit) -> Rewrite:
    return choices(lambda c: fn(c["delta"]) if isinstance(c.get("delta"), dict) else None)


def tool_fragments(fn: Edit) -> Rewrite:
    return deltas(lambda d: [fn(t) for t in d.get("tool_calls") or []])


def calls(fn: Edit) -> Rewrite:
    return choices(lambda c: [fn(t) for t in (c.get("message") or {}).get("tool_calls") or []])


def request(fn: Edit) -> Rewrite:
    return each(fn)


def _pop(*keys: str) -> Edit:
    return lambda d: [d.pop(k, None) for k in keys] and None


def _set(key: str, value: Any) -> Edit:
    return lambda d: d.__setitem__(key, value) if key in d else None


def _finish(old: str, new: str | None) -> Rewrite:
    def fn(c: dict[str, Any]) -> None:
        if c.get("finish_reason") == old:
            c["finish_reason"] = new

    return choices(fn)


def _finish_if_tools(new: str | None) -> Rewrite:
    return _finish("tool_calls", new)


def _without_done(texts: list[str]) -> list[str]:
    return [t for t in texts if t != DONE]


def _no_role(d: dict[str, Any]) -> None:
    d.pop("role", None)


def _usage_always(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if any(d.get("usage") for d in data) or not data:
        return data
    usage = {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
    return [*data, {**data[-1], "choices": [], "usage": usage}]


def _usage_chunk(fn: Edit) -> Rewrite:
    return each(lambda d: fn(d) if d.get("usage") and not d.get("choices") else None)


def _filter_chunks(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not data:
        return data
    extra = {
        **data[0],
        "choices": [{"index": 0, "finish_reason": None, "content_filter_results": {}}],
    }
    return [data[0], extra, *data[1:]]


def _bare_model_list(body: Any) -> Any:
    # The model list's `data` array sent bare, without the {"object": "list"} wrapper
    # (an embeddings list, which carries usage, is left alone).
    if isinstance(body, dict) and body.get("object") == "list" and "usage" not in body:
        return body["data"]
    return body


def _flat_error(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return body


def _type_late(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[int] = set()
    for d in data:
        for c in d.get("choices") or []:
            for t in (c.get("delta") or {}).get("tool_calls") or []:
                if t.get("index") not in seen:
                    seen.add(t.get("index"))
                    t.pop("type", None)
                else:
                    t["type"] = "function"
    return data


def _stall_after(n: int) -> Texts:
    return lambda texts: texts[:n]


def _index_zero(t: dict[str, Any]) -> None:
    t["index"] = 0


def _stop_is_list(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("stop"), list)


def _stop_is_str(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("stop"), str)


def _has(*keys: str) -> Any:
    return lambda scope, body: isinstance(body, dict) and any(k in body for k in keys)


def _err(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _error_response(
    match: Callable[[int, dict[str, Any]], bool],
    status: int,
    body: Callable[[dict[str, Any]], Any] | None = None,
) -> Any:
    """A whole-response rewrite: an error answer matching `match` gets `status` (and body)."""

    def rewrite(stream: bool, code: int, ctype: str, raw: bytes) -> tuple[int, str, bytes]:
        try:
            value = json.loads(raw)
        except ValueError:
            return code, ctype, raw
        if code >= 400 and isinstance(value, dict) and match(code, value.get("error") or {}):
            new = body(value) if body else value
            text = new if isinstance(new, bytes) else json.dumps(new).encode()
            return status, ("text/plain" if isinstance(new, bytes) else ctype), text
        return code, ctype, raw

    return rewrite


def _context(code: int, error: dict[str, Any]) -> bool:
    return (
        "context" in str(error.get("message", "")).lower()
        or error.get("code") == "context_length_exceeded"
    )


def _unknown_model(code: int, error: dict[str, Any]) -> bool:
    return code == 404 and "model" in str(error.get("message", "")).lower()


def _validation(code: int, error: dict[str, Any]) -> bool:
    return code == 400


def _any_error(code: int, error: dict[str, Any]) -> bool:
    return True


def _ctx_500(value: dict[str, Any]) -> Any:
    return _err(value["error"]["message"], "server_error")


def _raw_markup(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    has_tools = any(
        (c.get("delta") or {}).get("tool_calls") for d in data for c in d.get("choices") or []
    )
    if not has_tools:
        return data
    markup = {
        **data[0],
        "choices": [
            {"index": 0, "finish_reason": None, "delta": {"content": '<tool_call>{"name":'}}
        ],
    }
    return [data[0], markup, *data[1:]]


def _chat_as_text_completion(body: Any) -> Any:
    if isinstance(body, dict) and body.get("object") == "chat.completion":
        body["object"] = "text_completion"
        for c in body["choices"]:
            c["text"] = (c.pop("message") or {}).get("content") or ""
    return body


def _stale_prefix(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(data) < 2:
        return data
    stale = {
        **data[1],
        "choices": [
            {"index": 0, "finish_reason": None, "delta": {"content": "(the previous answer) "}}
        ],
    }
    return [data[0], stale, *data[1:]]


def _ctx_inband(stream: bool, code: int, ctype: str, raw: bytes) -> tuple[int, str, bytes]:
    if stream and code >= 400:
        return 200, "text/event-stream", b"data: " + raw + b"\n\n" + DONE.encode()
    return code, ctype, raw


def _usage_every(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    usage = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    return [{**d, "usage": d.get("usage") or usage} for d in data]


def _drop_role_only(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def role_only(d: dict[str, Any]) -> bool:
        cs = d.get("choices") or []
        return bool(cs) and all(
            set(c.get("delta") or {}) <= {"role", "content"}
            and not (c.get("delta") or {}).get("content")
            and c.get("finish_reason") is None
            for c in cs
        )

    return [d for d in data if not role_only(d)]


def _fresh_tool_id(t: dict[str, Any]) -> None:
    t["id"] = f"call_{next(_n)}"


def _fresh_chunk_id(d: dict[str, Any]) -> None:
    d["id"] = f"chatcmpl-{next(_n)}"


def _tools_as_content(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for d in data:
        for c in d.get("choices") or []:
            delta = c.get("delta") or {}
            fragments = delta.pop("tool_calls", None)
            if fragments:
                delta["content"] = "".join(
                    (t.get("function") or {}).get("arguments") or "" for t in fragments
                )
            if c.get("finish_reason") == "tool_calls":
                c["finish_reason"] = "stop"
    return data


def _tool_choice_auto(d: dict[str, Any]) -> None:
    if "tool_choice" in d:
        d["tool_choice"] = "auto"


def _named_to_auto(d: dict[str, Any]) -> None:
    if isinstance(d.get("tool_choice"), dict):
        d["tool_choice"] = "auto"


def _pop_schema(d: dict[str, Any]) -> None:
    fmt = d.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        d["response_format"] = {"type": "text"}


def _args_object(t: dict[str, Any]) -> None:
    t["function"]["arguments"] = json.loads(t["function"]["arguments"])


def _legacy_logprobs(c: dict[str, Any]) -> None:
    content = (c.get("logprobs") or {}).get("content")
    if content:
        c["logprobs"] = {
            "tokens": [e["token"] for e in content],
            "token_logprobs": [e["logprob"] for e in content],
            "top_logprobs": [
                {a["token"]: a["logprob"] for a in e["top_logprobs"]} for e in content
            ],
            "text_offset": list(range(len(content))),
        }


def _rename_message(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"]["detail"] = body["error"].pop("message")
    return body


def _detail(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return {"detail": body["error"]["message"]}
    return body


def _code_status(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"]["code"] = 400
    return body


def _second_call_abort(texts: list[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        if '"index": 1' in t and '"tool_calls"' in t:
            return out
        out.append(t)
    return out


def _role_blank_after_first(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for d in data[1:]:
        for c in d.get("choices") or []:
            if isinstance(c.get("delta"), dict):
                c["delta"]["role"] = ""
    return data


def _created_ms(d: dict[str, Any]) -> None:
    if isinstance(d.get("created"), int):
        d["created"] = d["created"] * 1000


def _created_float(d: dict[str, Any]) -> None:
    if isinstance(d.get("created"), int):
        d["created"] = d["created"] + 0.25


def _null_content(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and any(
        isinstance(m, dict) and "content" in m and m["content"] is None
        for m in body.get("messages") or []
    )


def _named_tool_choice(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("tool_choice"), dict)


def _logprobs_without_top(scope: Any, body: Any) -> bool:
    return isinstance(body, dict) and body.get("logprobs") is True and "top_logprobs" not in body


def _json_schema(scope: Any, body: Any) -> bool:
    fmt = body.get("response_format") if isinstance(body, dict) else None
    return isinstance(fmt, dict) and fmt.get("type") == "json_schema"


def _non_schema_format(scope: Any, body: Any) -> bool:
    fmt = body.get("response_format") if isinstance(body, dict) else None
    return isinstance(fmt, dict) and fmt.get("type") != "json_schema"


def _token_input(scope: Any, body: Any) -> bool:
    value = body.get("input") if isinstance(body, dict) else None
    return isinstance(value, list) and bool(value) and not isinstance(value[0], str)


def _token_prompt(scope: Any, body: Any) -> bool:
    value = body.get("prompt") if isinstance(body, dict) else None
    return isinstance(value, list) and bool(value) and isinstance(value[0], int)


def _completions(pred: Any) -> Any:
    return lambda scope, body: (
        scope["path"].endswith("/completions")
        and not scope["path"].endswith("chat/completions")
        and pred(scope, body)
    )


def _embeddings(pred: Any) -> Any:
    return lambda scope, body: scope["path"].endswith("/embeddings") and pred(scope, body)


def _chat(pred: Any) -> Any:
    return lambda scope, body: (
        scope["path"].endswith("chat/completions") and bool(pred(scope, body))
    )


def _model_retrieve(scope: Any, body: Any) -> bool:
    return bool(scope["method"] == "GET" and scope["path"].startswith("/v1/models/"))


def _options(scope: Any, body: Any) -> bool:
    return scope["method"] == "OPTIONS" and header(scope, "authorization") is None


def _chat_shaped(d: dict[str, Any]) -> None:
    if d.get("object") == "text_completion":
        d["object"] = "chat"
        for c in d["choices"]:
            c["message"] = {"role": "assistant", "content": c.pop("text")}


def _ndjson(texts: list[str]) -> list[str]:
    return [t[len("data: ") :].rstrip("\n") + "\n" if t.startswith("data: ") else t for t in texts]


def F(**kw: Any) -> Fault:
    """A Fault named after nothing in particular (the mutant id names it)."""
    return Fault("m", **kw)


def _sse_for_json(stream: bool, code: int, ctype: str, raw: bytes) -> tuple[int, str, bytes]:
    if code == 200 and ctype.startswith("application/json") and not stream:
        return code, "text/event-stream", raw + b"\n\n" + DONE.encode()
    return code, ctype, raw


def _choices_null(body: Any) -> Any:
    if isinstance(body, dict) and body.get("choices") == []:
        body["choices"] = None
    return body


_M = Mutant
_A = "tools.stream_parallel or tools.parallel"
MUTANTS = table(
    [
        _M(
            "oai-9router-nonstream-sse-content-type",
            ("HTTP-002",),
            F(response=_sse_for_json),
            keyword=CHAT,
        ),
        _M(
            "oai-agentgateway-stream-no-role",
            ("STREAM-008",),
            F(chunk=deltas(_no_role)),
            keyword=STREAM,
        ),
        _M(
            "oai-anythingllm-created-ms-then-float",
            ("CHAT-001", "CHAT-002"),
            F(body=each(_created_float)),
            keyword=CHAT,
        ),
        _M(
            "oai-apfel-usage-chunk-unrequested",
            ("STREAM-USAGE-003",),
            F(events=chunks(_usage_always)),
            keyword=STREAM,
        ),
        _M(
            "oai-aphrodite-options-preflight-401",
            ("HTTP-CORS-001",),
            app=refuse(_options, 401, _err("no key")),
            gap=CORS_GAP,
        ),
        _M(
            "oai-atom-usage-chunk-no-choices",
            ("STREAM-005", "STREAM-USAGE-001"),
            F(chunk=_usage_chunk(_pop("choices"))),
            keyword=STREAM,
        ),
        _M(
            "oai-azure-filter-chunk-choice-without-delta",
            ("STREAM-005",),
            F(events=chunks(_filter_chunks)),
            keyword=STREAM,
        ),
        _M(
            "oai-azure-first-chunk-empty-metadata",
            skip="spec-legal in practice: the suite accepts it (a negative control)",
        ),
        _M("oai-cerebras-flat-error-envelope", ("ERR-005",), F(body=_flat_error), keyword=ERRORS),
        _M(
            "oai-deepinfra-stream-tool-type-late",
            ("TOOLS-STREAM-002",),
            F(events=chunks(_type_late)),
            keyword=TOOLS,
        ),
        _M(
            "oai-deepseek-stream-stalls-open",
            ("HTTP-003", "STREAM-003"),
            F(events=_stall_after(3)),
            keyword=STREAM,
        ),
        _M(
            "oai-dynamo-parallel-tool-index-zero",
            ("TOOLS-STREAM-003", "TOOLS-STREAM-002", "TOOLS-002"),
            F(chunk=tool_fragments(_index_zero)),
            keyword=TOOLS,
        ),
        _M(
            "oai-fastchat-vllm-worker-stop-list-crash",
            ("HTTP-001",),
            app=refuse(_chat(_stop_is_list), 500, _err("stop", "server_error")),
            keyword=CHAT,
        ),
        _M(
            "oai-fastflowlm-json-object-ignored",
            ("JSON-001",),
            F(request=request(_pop("response_format"))),
            keyword=JSON,
        ),
        _M(
            "oai-fireworks-usage-chunk-choices-absent",
            ("STREAM-005", "STREAM-USAGE-001"),
            F(chunk=_usage_chunk(_pop("choices"))),
            keyword=STREAM,
        ),
        _M(
            "oai-foundry-stream-content-type-json",
            ("STREAM-001",),
            F(content_type=lambda c: "application/json" if "event-stream" in c else c),
            keyword=STREAM,
        ),
        _M(
            "oai-foundrylocal-chunk-object-chat-completion",
            ("STREAM-005",),
            F(chunk=each(_set("object", "chat.completion"))),
            keyword=STREAM,
        ),
        _M(
            "oai-gemini-tool-delta-no-index",
            ("TOOLS-STREAM-001",),
            F(chunk=tool_fragments(_pop("index"))),
            keyword=TOOLS,
        ),
        _M(
            "oai-groq-cerebras-reject-store-metadata",
            ("PARAM-003",),
            app=refuse(_chat(_has("store", "metadata")), 400, _err("unknown parameter")),
            keyword=CHAT,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-ikllama-ctx-exceeded-500",
            ("ERR-002",),
            F(response=_error_response(_context, 500, _ctx_500)),
            keyword=ERRORS,
        ),
        _M("oai-ikllama-stream-no-done", ("STREAM-003",), F(events=_without_done), keyword=STREAM),
        _M(
            "oai-inferencer-stream-raw-tool-xml",
            ("TOOLS-STREAM-003",),
            F(events=chunks(_raw_markup)),
            keyword=TOOLS,
            gap="no check compares streamed content with the non-streamed answer of a tool call",
        ),
        _M(
            "oai-informaticai-chat-returns-text-completion",
            ("CHAT-001",),
            F(body=_chat_as_text_completion),
            keyword=CHAT,
        ),
        _M(
            "oai-koboldcpp-second-stream-stale",
            skip="the stale text is model output; no check can tell it from an answer",
        ),
        _M(
            "oai-kronk-ctx-exceeded-500-internal",
            ("ERR-002",),
            F(response=_error_response(_context, 500, _ctx_500)),
            keyword=ERRORS,
        ),
        _M(
            "oai-kronk-stream-ctx-error-inband",
            ("ERR-001",),
            F(response=_ctx_inband),
            keyword=ERRORS,
        ),
        _M(
            "oai-kubeai-usage-every-chunk",
            ("STREAM-USAGE-002",),
            F(events=chunks(_usage_every)),
            keyword=STREAM,
        ),
        _M(
            "oai-langwatch-gateway-drops-role-delta",
            ("STREAM-008",),
            F(events=chunks(_drop_role_only)),
            keyword=STREAM,
        ),
        _M(
            "oai-litellm-gemini-stream-finish-stop-tool",
            ("TOOLS-004",),
            F(chunk=_finish_if_tools("stop")),
            keyword=TOOLS,
        ),
        _M(
            "oai-litellm-oci-stream-tool-id-per-delta",
            ("TOOLS-STREAM-002",),
            F(chunk=tool_fragments(_fresh_tool_id)),
            keyword=TOOLS,
        ),
        _M(
            "oai-litellm-ollama-stream-chunk-id-changes",
            ("STREAM-006",),
            F(chunk=each(_fresh_chunk_id)),
            keyword=STREAM,
        ),
        _M(
            "oai-litellm-ollama-stream-tool-as-content",
            ("TOOLS-005",),
            F(events=chunks(_tools_as_content)),
            keyword=TOOLS,
        ),
        _M(
            "oai-litertlm-tool-choice-ignored",
            ("TOOLS-005", "TOOLS-006"),
            F(request=request(_tool_choice_auto)),
            keyword=TOOLS,
        ),
        _M(
            "oai-llamabox-chat-no-done",
            ("STREAM-003",),
            F(events=lambda t: t if any('"text_completion"' in x for x in t) else _without_done(t)),
            keyword=STREAM,
        ),
        _M(
            "oai-llamacpp-chat-stream-no-done",
            ("STREAM-003",),
            F(events=_without_done),
            keyword=STREAM,
        ),
        _M(
            "oai-llamacpp-cors-preflight-apikey",
            ("HTTP-CORS-001",),
            app=refuse(_options, 401, _err("no key")),
            gap=CORS_GAP,
        ),
        _M(
            "oai-llamacpp-ctx-exceeded-500-inconsistent",
            ("ERR-002",),
            F(response=_error_response(_context, 500, _ctx_500)),
            keyword=ERRORS,
        ),
        _M(
            "oai-llamacpp-error-code-integer",
            ("ERR-006",),
            F(body=_code_status),
            keyword=ERRORS,
            gap="ERR-006 accepts any code type; an integer code breaks only typed clients",
        ),
        _M(
            "oai-llamacpp-named-tool-choice-downgraded",
            ("TOOLS-005",),
            F(request=request(_named_to_auto)),
            keyword=TOOLS,
        ),
        _M(
            "oai-llamacpp-response-format-json-schema-ignored",
            ("JSON-002",),
            F(request=request(_pop_schema)),
            keyword=JSON,
        ),
        _M(
            "oai-llamacpp-stream-ctx-error-in-200",
            ("ERR-001",),
            F(response=_ctx_inband),
            keyword=ERRORS,
        ),
        _M(
            "oai-llamacpp-tool-args-object",
            ("TOOLS-002",),
            F(body=calls(_args_object)),
            keyword=TOOLS,
        ),
        _M(
            "oai-llamacpppy-chat-logprobs-wrong-model",
            ("LOGPROBS-001",),
            F(body=choices(_legacy_logprobs)),
            keyword=LOGPROBS,
        ),
        _M(
            "oai-llamacpppy-max-completion-tokens-ignored",
            ("CHAT-LEN-001", "CHAT-LEN-002"),
            F(request=request(_pop("max_completion_tokens"))),
            keyword=CHAT,
        ),
        _M(
            "oai-llamastack-400-as-500",
            ("ERR-002",),
            F(status=lambda s: 500 if s == 400 else s),
            keyword=ERRORS,
        ),
        _M(
            "oai-llamastack-error-detail-and-sse-status",
            ("ERR-005",),
            F(body=_rename_message),
            keyword=ERRORS,
        ),
        _M(
            "oai-lmdeploy-stream-multi-tool-crash",
            ("HTTP-003", "STREAM-003"),
            F(events=_second_call_abort),
            keyword=TOOLS,
            gap="the second streamed call never starts as this mutant expects it",
        ),
        _M("oai-lmstudio-ctx-exceeded-empty-stream", skip=NO_CONTEXT_WINDOW),
        _M(
            "oai-lmstudio-ctx-exceeded-http200",
            ("ERR-001",),
            F(response=_error_response(_context, 200)),
            keyword=ERRORS,
        ),
        _M(
            "oai-lmstudio-response-format-text-rejected",
            ("HTTP-001",),
            app=refuse(_chat(_non_schema_format), 400, {"error": "only json_schema"}),
            keyword=JSON,
        ),
        _M(
            "oai-localai-missing-finish-reason",
            ("CHAT-001",),
            F(body=_finish("stop", None)),
            keyword=TOOLS,
        ),
        _M(
            "oai-localai-stop-array-unsupported",
            ("HTTP-001",),
            app=refuse(_chat(_stop_is_list), 400, _err("stop")),
            keyword=CHAT,
        ),
        _M(
            "oai-minimax-stream-empty-role",
            ("STREAM-005",),
            F(events=chunks(_role_blank_after_first)),
            keyword=STREAM,
        ),
        _M(
            "oai-mistral-tool-call-missing-type",
            ("TOOLS-001",),
            F(body=calls(_pop("type"))),
            keyword=TOOLS,
        ),
        _M(
            "oai-mistralcommon-null-content-tool-call",
            ("TOOLS-008",),
            app=refuse(_chat(_null_content), 400, _err("content")),
            keyword=TOOLS,
        ),
        _M(
            "oai-mistralrs-chunk-created-ms",
            ("CHAT-002",),
            F(chunk=each(_created_ms)),
            keyword=STREAM,
        ),
        _M(
            "oai-mlxcel-named-tool-choice-empty-calls",
            skip="the reference always calls the named function; the bug needs a model",
        ),
        _M(
            "oai-mlxvlm-finish-stop-on-tool-call",
            ("TOOLS-004",),
            F(body=_finish_if_tools("stop")),
            keyword=TOOLS,
        ),
        _M(
            "oai-mlxvlm-stop-ignored",
            ("CHAT-STOP-001",),
            F(request=request(_pop("stop"))),
            keyword=CHAT,
        ),
        _M(
            "oai-mlxvlm-tool-choice-not-enforced",
            ("TOOLS-005", "TOOLS-006"),
            F(request=request(_pop("tool_choice"))),
            keyword=TOOLS,
        ),
        _M(
            "oai-ollama-cors-no-authorization-header",
            ("HTTP-CORS-001",),
            skip="the reference sends no CORS headers to mutate",
        ),
        _M(
            "oai-ollama-cors-openai-npm-headers",
            ("HTTP-CORS-001",),
            skip="the reference sends no CORS headers to mutate",
        ),
        _M(
            "oai-ollama-ctx-silent-truncation",
            skip="answering an over-long prompt takes a model with a context window",
        ),
        _M(
            "oai-ollama-finish-stop-on-tool-call",
            ("TOOLS-004",),
            F(body=_finish_if_tools("stop")),
            keyword=TOOLS,
        ),
        _M(
            "oai-ollama-v1-logprobs-dropped",
            ("LOGPROBS-001",),
            F(request=request(_pop("logprobs", "top_logprobs"))),
            keyword=LOGPROBS,
        ),
        _M(
            "oai-openrouter-tool-call-no-arguments",
            ("TOOLS-002",),
            F(
                body=calls(
                    lambda t: (
                        t["function"].pop("arguments")
                        if t["function"].get("arguments") in ("{}", "")
                        else None
                    )
                )
            ),
            keyword=TOOLS,
            gap="the reference never calls a tool with empty arguments",
        ),
        _M(
            "oai-openwebui-unknown-model-500",
            ("ERR-002", "ERR-005"),
            F(response=_error_response(_unknown_model, 500, lambda v: b"Internal Server Error")),
            keyword=ERRORS,
        ),
        _M(
            "oai-ovms-finish-stop-on-tool-call",
            ("TOOLS-004", "TOOLS-STREAM-003"),
            F(chunk=_finish_if_tools("stop")),
            keyword=TOOLS,
        ),
        _M(
            "oai-pocketllm-max-completion-tokens-precedence",
            ("CHAT-LEN-002",),
            F(
                request=request(
                    lambda d: d.pop("max_completion_tokens", None) if "max_tokens" in d else None
                )
            ),
            keyword=CHAT,
            gap="no case sends both max_tokens and max_completion_tokens",
        ),
        _M(
            "oai-pocketllm-n-ignored",
            ("CHAT-004",),
            F(request=request(_pop("n"))),
            keyword="n_choices",
        ),
        _M(
            "oai-pocketllm-stop-ignored",
            ("CHAT-STOP-001",),
            F(request=request(_pop("stop"))),
            keyword=CHAT,
        ),
        _M(
            "oai-pollinations-cors-blocks-stainless-headers",
            ("HTTP-CORS-001",),
            skip="the reference sends no CORS headers to mutate",
        ),
        _M("oai-portkey-created-ms", ("CHAT-002",), F(body=each(_created_ms)), keyword=CHAT),
        _M("oai-rapidmlx-detail-error-body", ("ERR-005",), F(body=_detail), keyword=ERRORS),
        _M(
            "oai-rapidmlx-stop-string-rejected",
            ("HTTP-001", "CHAT-STOP-001"),
            app=refuse(_chat(_stop_is_str), 400, _err("stop")),
            keyword=CHAT,
        ),
        _M(
            "oai-routellm-options-405",
            ("HTTP-CORS-001",),
            app=refuse(lambda s, b: s["method"] == "OPTIONS", 405, _err("method")),
            gap=CORS_GAP,
        ),
        _M(
            "oai-runpod-vllm-unknown-model-200",
            ("ERR-001",),
            F(response=_error_response(_unknown_model, 200)),
            keyword=ERRORS,
        ),
        _M(
            "oai-sglang-stream-include-usage-null",
            ("STREAM-USAGE-001",),
            F(chunk=lambda d: None if d.get("usage") and not d.get("choices") else d),
            keyword=STREAM,
        ),
        _M(
            "oai-sparkinfer-no-usage-nonstream",
            ("USAGE-001",),
            F(
                body=each(
                    lambda d: d.pop("usage", None) if d.get("object") == "chat.completion" else None
                )
            ),
            keyword=CHAT,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-sub2api-unknown-model-503",
            ("ERR-002", "ERR-004"),
            F(
                response=_error_response(
                    _unknown_model, 503, lambda v: _err("no model", "api_error")
                )
            ),
            keyword=ERRORS,
        ),
        _M(
            "oai-tabbyapi-chat-logprobs-null",
            ("LOGPROBS-001",),
            F(body=choices(_set("logprobs", None))),
            keyword=LOGPROBS,
        ),
        _M(
            "oai-tabbyapi-finish-stop-tool-calls",
            ("TOOLS-004",),
            F(body=_finish_if_tools("stop")),
            keyword=TOOLS,
        ),
        _M(
            "oai-tensorzero-stream-no-role-first-chunk",
            ("STREAM-008",),
            F(chunk=deltas(_no_role)),
            keyword=STREAM,
        ),
        _M(
            "oai-tgi-named-tool-choice-wrong-shape",
            ("TOOLS-005",),
            app=refuse(_chat(_named_tool_choice), 422, _err("tool_choice")),
            keyword=TOOLS,
        ),
        _M("oai-tgi-stream-no-done", ("STREAM-003",), F(events=_without_done), keyword=STREAM),
        _M(
            "oai-tgi-stream-overlong-max-tokens-inconsistent",
            ("ERR-001",),
            F(response=_ctx_inband),
            keyword=ERRORS,
        ),
        _M(
            "oai-tgi-validation-error-http200",
            ("ERR-001",),
            F(response=_error_response(_validation, 200, lambda v: {"choices": []})),
            keyword=ERRORS,
        ),
        _M(
            "oai-together-finish-reason-eos",
            ("STREAM-005",),
            F(chunk=_finish("stop", "eos")),
            keyword=STREAM,
        ),
        _M(
            "oai-together-stream-logprobs-float",
            ("LOGPROBS-001",),
            F(
                chunk=choices(
                    lambda c: c.__setitem__("logprobs", -0.5) if c.get("logprobs") else None
                )
            ),
            keyword=LOGPROBS,
        ),
        _M(
            "oai-tokasaurus-no-max-completion-tokens",
            ("CHAT-LEN-001", "CHAT-LEN-002"),
            F(request=request(_pop("max_completion_tokens"))),
            keyword=CHAT,
        ),
        _M(
            "oai-triton-no-json-schema",
            ("HTTP-001", "JSON-002"),
            app=refuse(_chat(_json_schema), 400, _err("json_schema")),
            keyword=JSON,
        ),
        _M(
            "oai-vllm-abort-finish-reason-done",
            ("STREAM-005",),
            F(chunk=_finish("stop", "abort")),
            keyword=STREAM,
        ),
        _M(
            "oai-vllm-chat-logprobs-completions-shape",
            ("LOGPROBS-001",),
            F(body=choices(_legacy_logprobs)),
            keyword=LOGPROBS,
        ),
        _M("oai-vllm-error-flat-envelope", ("ERR-005",), F(body=_flat_error), keyword=ERRORS),
        _M(
            "oai-vllm-logprobs-without-top-logprobs-error",
            ("HTTP-001",),
            app=refuse(_chat(_logprobs_without_top), 400, _err("top_logprobs")),
            keyword=LOGPROBS,
            gap="every logprobs case sends top_logprobs",
        ),
        _M(
            "oai-vllm-omni-illegal-params-500",
            ("ERR-002",),
            F(
                response=_error_response(
                    lambda c, e: (
                        "temperature" in str(e.get("message", ""))
                        or e.get("param") == "temperature"
                    ),
                    500,
                    _ctx_500,
                )
            ),
            keyword=ERRORS,
        ),
        _M(
            "oai-vllm-reasoning-config-content-null",
            ("CHAT-005",),
            F(
                body=choices(
                    lambda c: (
                        (
                            c["message"].__setitem__("reasoning_content", c["message"]["content"]),
                            c["message"].__setitem__("content", None),
                        )
                        if (c.get("message") or {}).get("content")
                        else None
                    )
                )
            ),
            keyword=CHAT,
        ),
        _M(
            "oai-vllm-stream-named-tool-choice-crash",
            ("HTTP-003", "STREAM-ERR-001"),
            F(
                events=lambda t: (
                    [*t[:1], f"data: {json.dumps(_err('internal', 'server_error'))}\n\n"]
                    if any('"tool_calls"' in x for x in t)
                    else t
                )
            ),
            keyword=TOOLS,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-vllm-stream-tool-args-none",
            ("TOOLS-STREAM-003",),
            F(
                chunk=tool_fragments(
                    lambda t: (
                        t["function"].__setitem__("arguments", None)
                        if "name" not in t.get("function", {})
                        else None
                    )
                )
            ),
            keyword=TOOLS,
        ),
        _M(
            "oai-vllm-stream-tool-call-no-id",
            ("TOOLS-STREAM-002",),
            F(chunk=tool_fragments(_pop("id"))),
            keyword=TOOLS,
        ),
        _M(
            "oai-vllm-stream-tool-choice-required-fails",
            ("STREAM-ERR-001",),
            F(
                events=lambda t: (
                    [*t[:1], f"data: {json.dumps(_err('required', 'server_error'))}\n\n", DONE]
                    if any('"tool_calls"' in x for x in t)
                    else t
                )
            ),
            keyword=TOOLS,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-vllm-tool-choice-none-still-calls",
            ("TOOLS-006",),
            F(
                request=request(
                    lambda d: (
                        d.__setitem__("tool_choice", "required")
                        if d.get("tool_choice") == "none"
                        else None
                    )
                )
            ),
            keyword=TOOLS,
        ),
        _M(
            "oai-vllm-usage-with-empty-stream-options",
            ("STREAM-USAGE-003",),
            F(
                events=chunks(_usage_always),
                request=request(
                    lambda d: d.__setitem__("stream_options", {}) if d.get("stream") else None
                ),
            ),
            keyword=STREAM,
        ),
        _M(
            "oai-vllmmlx-logprobs-silently-ignored",
            ("LOGPROBS-001",),
            F(body=choices(_set("logprobs", None))),
            keyword=LOGPROBS,
        ),
        _M(
            "oai-vllmswift-include-usage-ignored",
            ("STREAM-USAGE-001",),
            F(chunk=lambda d: None if d.get("usage") and not d.get("choices") else d),
            keyword=STREAM,
        ),
        _M(
            "oai-vmlx-stream-tool-empty-deltas",
            ("TOOLS-STREAM-003",),
            F(
                chunk=deltas(
                    lambda d: d.__setitem__("tool_calls", [{}]) if d.get("tool_calls") else None
                )
            ),
            keyword=TOOLS,
        ),
        _M(
            "oai-webllm-created-milliseconds",
            ("CHAT-002",),
            F(body=each(_created_ms)),
            keyword=CHAT,
        ),
        _M("oai-xinference-stream-not-sse", ("STREAM-002",), F(events=_ndjson), keyword=STREAM),
        _M(
            "oai-zai-finish-reason-abort-sensitive",
            skip="the reference never filters content, so there is no content_filter to rename",
        ),
        _M(
            "oai-fastdeploy-completion-stream-usage-no-total",
            ("CMPL-USAGE-002",),
            F(chunk=_usage_chunk(lambda d: d["usage"].pop("total_tokens", None))),
            keyword=CMPL,
        ),
        _M("oai-geniex-choices-null", skip="the reference never answers an empty choices list"),
        _M(
            "oai-ikllama-stream-fffd-near-emoji",
            skip="the reference's tokens are whole characters; no token ends mid UTF-8",
        ),
        _M(
            "oai-llamacpp-unicode-replacement-chars",
            skip="the reference's tokens are whole characters; no token ends mid UTF-8",
        ),
        _M(
            "oai-llamacpppy-stream-unicode-split",
            skip="the reference's tokens are whole characters; no token ends mid UTF-8",
        ),
        _M(
            "oai-lmdeploy-completions-token-prompt-crash",
            ("ERR-002", "HTTP-001"),
            app=refuse(_completions(_token_prompt), 500, _err("prompt", "server_error")),
            keyword=CMPL,
        ),
        _M("oai-mistralrs-stream-no-done", ("STREAM-003",), F(events=_without_done), keyword=CMPL),
        _M(
            "oai-modelz-completions-chat-shape",
            ("CMPL-001",),
            F(body=each(_chat_shaped)),
            keyword=CMPL,
        ),
        _M(
            "oai-ollama-completions-stop-list-400",
            ("HTTP-001",),
            app=refuse(_completions(_stop_is_list), 400, _err("stop")),
            keyword=CMPL,
        ),
        _M(
            "oai-textgen-webui-completions-no-done",
            ("STREAM-003",),
            F(events=_without_done),
            keyword=CMPL,
        ),
        _M(
            "oai-tgi-finish-reason-eos-token",
            ("CMPL-001", "CHAT-001"),
            F(body=_finish("stop", "eos_token")),
            keyword="chat.basic or completions.basic",
        ),
        _M(
            "oai-tt-completions-stream-empty-choices",
            ("CMPL-STREAM-002",),
            F(
                chunk=each(
                    lambda d: (
                        d.__setitem__("choices", [])
                        if any(c.get("finish_reason") for c in d.get("choices") or [])
                        else None
                    )
                )
            ),
            keyword=CMPL,
        ),
        _M(
            "oai-gemini-embeddings-index-omitted",
            ("EMB-001", "EMB-002"),
            F(
                body=each(
                    lambda d: [
                        x.pop("index")
                        for x in d.get("data") or []
                        if isinstance(x, dict) and x.get("index") == 0
                    ]
                )
            ),
            keyword=EMB,
        ),
        _M(
            "oai-gpt2giga-base64-ignored",
            ("EMB-005",),
            F(request=request(_pop("encoding_format"))),
            keyword=EMB,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-infinity-embeddings-object-embedding",
            ("EMB-001",),
            F(
                body=each(
                    lambda d: (
                        d.__setitem__("object", "embedding") if d.get("object") == "list" else None
                    )
                )
            ),
            keyword=EMB,
        ),
        _M(
            "oai-infinity-no-encoding-format",
            ("EMB-005",),
            F(request=request(_pop("encoding_format"))),
            keyword=EMB,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-infinity-token-array-input-422",
            ("EMB-007",),
            app=refuse(_embeddings(_token_input), 422, _err("input")),
            keyword=EMB,
        ),
        _M(
            "oai-jina-embeddings-encoding-format-rejected",
            ("EMB-004", "EMB-005", "HTTP-001"),
            app=refuse(_embeddings(_has("encoding_format")), 400, _err("encoding_format")),
            keyword=EMB,
        ),
        _M(
            "oai-llamacpp-embeddings-dimensions-ignored",
            ("EMB-006",),
            F(request=request(_pop("dimensions"))),
            keyword=EMB,
        ),
        _M(
            "oai-lmstudio-embeddings-ignore-base64",
            ("EMB-005",),
            F(request=request(_pop("encoding_format"))),
            keyword=EMB,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-opea-embeddings-usage-model-null",
            ("EMB-001",),
            F(
                body=each(
                    lambda d: (
                        d.update(usage=None, model=None)
                        if d.get("object") == "list" and "data" in d
                        else None
                    )
                )
            ),
            keyword=EMB,
        ),
        _M(
            "oai-runpod-infinity-ignores-encoding-format",
            ("EMB-005",),
            F(request=request(_pop("encoding_format"))),
            keyword=EMB,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-tei-embeddings-base64-unsupported",
            ("EMB-005",),
            F(request=request(_pop("encoding_format"))),
            keyword=EMB,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-tei-embeddings-no-object-fields",
            ("EMB-001",),
            F(
                body=each(
                    lambda d: (
                        (
                            d.pop("object", None),
                            [
                                x.pop("object", None)
                                for x in d.get("data") or []
                                if isinstance(x, dict)
                            ],
                        )
                        if "data" in d and "usage" in d
                        else None
                    )
                )
            ),
            keyword=EMB,
        ),
        _M(
            "oai-tei-token-array-input",
            ("EMB-007",),
            app=refuse(_embeddings(_token_input), 422, _err("input")),
            keyword=EMB,
        ),
        _M(
            "oai-exo-models-not-wrapped",
            ("MODELS-001",),
            F(body=_bare_model_list),
            keyword=MODELS,
        ),
        _M(
            "oai-largemodelproxy-no-retrieve-model",
            ("MODELS-003",),
            app=refuse(_model_retrieve, 404, _err("not found")),
            keyword=MODELS,
            gap=GAP_SHOULD,
        ),
        _M(
            "oai-oneapi-models-bare-array",
            ("MODELS-001",),
            F(body=_bare_model_list),
            keyword=MODELS,
        ),
        _M(
            "oai-openrouter-models-missing-object-owned-by",
            ("MODELS-001",),
            F(
                body=each(
                    lambda d: [
                        (m.pop("object", None), m.pop("owned_by", None))
                        for m in d.get("data") or []
                        if isinstance(m, dict) and m.get("object") == "model"
                    ]
                )
            ),
            keyword=MODELS,
        ),
    ]
)
