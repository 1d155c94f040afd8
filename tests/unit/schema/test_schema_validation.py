"""Tests for llmconform.schema.validation and the packaged OpenAI schemas."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import referencing.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from referencing.jsonschema import DRAFT202012

from llmconform.resources import data_path
from llmconform.schema import validation as sv
from llmconform.schema.validation import SchemaError, get_schema, schema_ids, validate

P = "urn:llmconform:schema:openai/"
COMPLETION = P + "chat.completion"
CHUNK = P + "chat.completion.chunk"
REQUEST = P + "chat.request"
ERROR = P + "error"
MODEL = P + "model"
MODEL_LIST = P + "model.list"
OPENAI_IDS = {COMPLETION, CHUNK, REQUEST, ERROR, MODEL, MODEL_LIST, P + "common"}


def completion() -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "annotations": [],
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "sqrt", "arguments": '{"x": 4}'},
                        }
                    ],
                },
                "logprobs": {
                    "content": [
                        {
                            "token": "Hi",
                            "logprob": -0.1,
                            "bytes": [72, 105],
                            "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": None}],
                        }
                    ],
                    "refusal": None,
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": None},
            "completion_tokens_details": None,
        },
        "service_tier": "default",
        "system_fingerprint": None,
    }


def chunk(delta: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-abc",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [
            {
                "index": 0,
                "delta": {"content": "Hello"} if delta is None else delta,
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        "obfuscation": "p9K3xT6w",
    }
    body.update(extra)
    return body


def request() -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "system", "content": [{"type": "text", "text": "Answer in English."}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                    {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "file-1"}},
                ],
                "name": "alice",
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "strict": True,
                },
            },
            {"type": "custom", "custom": {"name": "grammar_tool"}},
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        "stream": True,
        "stream_options": {"include_usage": True},
        "n": 1,
        "stop": ["\n\n", "END"],
        "max_tokens": None,
        "max_completion_tokens": 256,
        "temperature": 0.2,
        "top_p": 1,
        "logprobs": True,
        "top_logprobs": 3,
        "seed": 7,
        "user": "u-1",
        "metadata": {"run": "42"},
        "logit_bias": {"50256": -100},
        "parallel_tool_calls": False,
        "x_vendor_extension": {"anything": True},
    }


def paths(errors: list[SchemaError]) -> list[str]:
    return [e.path for e in errors]


def broken(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """Copy `base`, then set (or delete, when value is ...) the member at `path`."""
    doc = copy.deepcopy(base)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


# --- valid documents -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema_id", "instance"),
    [
        (COMPLETION, completion()),
        (CHUNK, chunk()),
        (CHUNK, chunk({"role": "assistant", "content": "", "refusal": None})),
        (
            CHUNK,
            chunk(
                {
                    "tool_calls": [
                        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
                    ]
                }
            ),
        ),
        (CHUNK, chunk({"tool_calls": [{"index": 1, "id": None, "function": {"arguments": "{"}}]})),
        (
            CHUNK,
            chunk(
                {},
                choices=[],
                usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            ),
        ),
        (CHUNK, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}),
        (
            CHUNK,
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            },
        ),
        (CHUNK, {"error": {"message": "limit reached", "type": "invalid_request_error"}}),
        (CHUNK, chunk(error=None)),
        (
            ERROR,
            {
                "error": {
                    "message": "m",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            },
        ),
        (ERROR, {"error": {"code": "401", "message": "Access denied"}}),
        (ERROR, {"error": {"code": 429, "message": "slow down", "extra": [1]}}),
        (MODEL, {"id": "gpt-4", "object": "model", "created": 1687882411, "owned_by": "openai"}),
        (
            MODEL_LIST,
            {
                "object": "list",
                "data": [
                    {
                        "id": "a",
                        "object": "model",
                        "created": 1,
                        "owned_by": "system",
                        "shutdown_date": "2026-10-23",
                    },
                    {
                        "id": "b",
                        "object": "model",
                        "created": 2,
                        "owned_by": "x",
                        "shutdown_date": None,
                    },
                ],
            },
        ),
        (MODEL_LIST, {"object": "list", "data": []}),
        (REQUEST, request()),
        (REQUEST, {"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        (REQUEST, broken(request(), ("messages", 3, "content"), ...)),
        (
            REQUEST,
            {
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "stop": "x",
                "tool_choice": "required",
                "response_format": {"type": "json_object"},
            },
        ),
    ],
)
def test_valid_documents_have_no_errors(schema_id: str, instance: Any) -> None:
    assert validate(instance, schema_id) == []


# --- targeted breakage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema_id", "instance", "path", "needle"),
    [
        (COMPLETION, broken(completion(), ("id",), ...), "$.id", 'required property "id"'),
        (
            COMPLETION,
            broken(completion(), ("object",), "chat.completion.chunk"),
            "$.object",
            'expected "chat.completion"',
        ),
        (
            COMPLETION,
            broken(completion(), ("created",), "1741570283"),
            "$.created",
            'expected integer, got string "1741570283"',
        ),
        (
            COMPLETION,
            broken(completion(), ("choices",), {"index": 0}),
            "$.choices",
            "expected array, got object",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "finish_reason"), "done"),
            "$.choices[0].finish_reason",
            '"done" is not one of',
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "finish_reason"), None),
            "$.choices[0].finish_reason",
            "null is not one of",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "index"), "0"),
            "$.choices[0].index",
            "expected integer",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "message", "role"), "user"),
            "$.choices[0].message.role",
            'expected "assistant", got "user"',
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "message", "role"), ...),
            "$.choices[0].message.role",
            "is missing",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "message", "content"), [{"type": "text"}]),
            "$.choices[0].message.content",
            "expected string or null, got array",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "message", "tool_calls", 0, "type"), ...),
            "$.choices[0].message.tool_calls[0].type",
            "is missing",
        ),
        (
            COMPLETION,
            broken(
                completion(),
                ("choices", 0, "message", "tool_calls", 0, "function", "arguments"),
                {"x": 4},
            ),
            "$.choices[0].message.tool_calls[0].function.arguments",
            "expected string, got object",
        ),
        (
            COMPLETION,
            broken(completion(), ("usage", "prompt_tokens"), -1),
            "$.usage.prompt_tokens",
            "less than the minimum of 0",
        ),
        (
            COMPLETION,
            broken(completion(), ("usage", "total_tokens"), ...),
            "$.usage.total_tokens",
            "is missing",
        ),
        (
            COMPLETION,
            broken(completion(), ("choices", 0, "logprobs", "content", 0, "bytes"), "SGk="),
            "$.choices[0].logprobs.content[0].bytes",
            "expected array or null",
        ),
        (
            CHUNK,
            broken(chunk(), ("object",), "chat.completion"),
            "$.object",
            'expected "chat.completion.chunk", got "chat.completion"',
        ),
        (CHUNK, broken(chunk(), ("id",), ...), "$.id", "is missing"),
        (CHUNK, broken(chunk(), ("created",), 1.5), "$.created", "expected integer"),
        (CHUNK, broken(chunk(), ("choices",), None), "$.choices", "expected array, got null"),
        (CHUNK, broken(chunk(), ("choices", 0, "delta"), ...), "$.choices[0].delta", "is missing"),
        (
            CHUNK,
            broken(chunk(), ("choices", 0, "finish_reason"), "done"),
            "$.choices[0].finish_reason",
            '"done" is not one of',
        ),
        (
            CHUNK,
            chunk({"tool_calls": [{"id": "c", "function": {"arguments": ""}}]}),
            "$.choices[0].delta.tool_calls[0].index",
            "is missing",
        ),
        (
            CHUNK,
            chunk({"tool_calls": [{"index": -1, "function": {"arguments": ""}}]}),
            "$.choices[0].delta.tool_calls[0].index",
            "minimum of 0",
        ),
        (
            CHUNK,
            chunk({"content": [{"type": "text", "text": "hi"}]}),
            "$.choices[0].delta.content",
            "expected string or null, got array",
        ),
        (
            CHUNK,
            chunk(usage={"prompt_tokens": 1, "completion_tokens": "2", "total_tokens": 3}),
            "$.usage.completion_tokens",
            "expected integer",
        ),
        (CHUNK, {"error": "boom"}, "$.error", "expected object, got string"),
        (ERROR, {"detail": "x"}, "$.error", 'required property "error" is missing'),
        (ERROR, {"error": "string"}, "$.error", 'expected object, got string "string"'),
        (
            ERROR,
            {"message": "Wrong API Key", "type": "invalid_request_error"},
            "$.error",
            "is missing",
        ),
        (ERROR, {"error": {"type": "invalid_request_error"}}, "$.error.message", "is missing"),
        (ERROR, {"error": {"message": "m", "code": 1.5}}, "$.error.code", "expected string or"),
        (MODEL_LIST, {"object": "list"}, "$.data", 'required property "data" is missing'),
        (MODEL_LIST, {"object": "list", "data": {}}, "$.data", "expected array"),
        (MODEL_LIST, {"data": []}, "$.object", "is missing"),
        (
            MODEL_LIST,
            {"object": "list", "data": [{"object": "model", "created": 1, "owned_by": "o"}]},
            "$.data[0].id",
            "is missing",
        ),
        (
            MODEL_LIST,
            {
                "object": "list",
                "data": [
                    {
                        "id": "a",
                        "object": "model",
                        "created": 1,
                        "owned_by": "o",
                        "shutdown_date": "next year",
                    }
                ],
            },
            "$.data[0].shutdown_date",
            '"next year" is not a valid date',
        ),
        (
            MODEL,
            {"id": "a", "object": "Model", "created": 1, "owned_by": "o"},
            "$.object",
            'expected "model"',
        ),
        (
            MODEL,
            {"id": "a", "object": "model", "created": "2024-01-01", "owned_by": "o"},
            "$.created",
            "expected integer",
        ),
        (REQUEST, broken(request(), ("messages",), ...), "$.messages", "is missing"),
        (REQUEST, broken(request(), ("messages",), []), "$.messages", "should be non-empty"),
        (
            REQUEST,
            broken(request(), ("messages", 0, "role"), "bot"),
            "$.messages[0].role",
            '"bot" is not one of',
        ),
        (
            REQUEST,
            broken(request(), ("messages", 2, "content", 1, "type"), "video_url"),
            "$.messages[2].content[1].type",
            "is not one of",
        ),
        (
            REQUEST,
            broken(request(), ("messages", 2, "content", 1, "image_url"), ...),
            "$.messages[2].content[1].image_url",
            "is missing",
        ),
        (
            REQUEST,
            broken(
                broken(request(), ("messages", 3, "content"), ...),
                ("messages", 3, "tool_calls"),
                ...,
            ),
            "$.messages[3].content",
            "is missing",
        ),
        (
            REQUEST,
            broken(request(), ("messages", 4, "tool_call_id"), ...),
            "$.messages[4].tool_call_id",
            "is missing",
        ),
        (
            REQUEST,
            broken(request(), ("tools", 0, "function"), ...),
            "$.tools[0].function",
            "is missing",
        ),
        (
            REQUEST,
            broken(request(), ("tools", 0, "function", "name"), "get weather!"),
            "$.tools[0].function.name",
            "does not match",
        ),
        (
            REQUEST,
            broken(request(), ("tool_choice",), "any"),
            "$.tool_choice",
            '"any" is not one of',
        ),
        (REQUEST, broken(request(), ("temperature",), 3), "$.temperature", "maximum of 2"),
        (REQUEST, broken(request(), ("n",), 0), "$.n", "minimum of 1"),
        (REQUEST, broken(request(), ("stop",), ["a", "b", "c", "d", "e"]), "$.stop", "too long"),
        (
            REQUEST,
            broken(request(), ("response_format", "json_schema", "name"), ...),
            "$.response_format.json_schema.name",
            "is missing",
        ),
        (REQUEST, broken(request(), ("stream",), "yes"), "$.stream", "expected boolean or null"),
        (REQUEST, broken(request(), ("metadata",), {"k": 1}), "$.metadata.k", "expected string"),
    ],
)
def test_broken_documents_are_reported_at_the_right_path(
    schema_id: str, instance: Any, path: str, needle: str
) -> None:
    errors = validate(instance, schema_id)
    matching = [e for e in errors if e.path == path]
    assert matching, f"no error at {path}; got {errors}"
    assert any(needle in e.message for e in matching), matching
    assert all(e.schema_path.startswith("#/") for e in errors)


def test_error_lists_only_the_offending_fields() -> None:
    doc = broken(
        broken(completion(), ("created",), "soon"), ("choices", 0, "finish_reason"), "done"
    )
    assert paths(validate(doc, COMPLETION)) == ["$.choices[0].finish_reason", "$.created"]


def test_schema_path_names_the_failing_keyword() -> None:
    [error] = validate(broken(chunk(), ("object",), "x"), CHUNK)
    assert error.schema_path.endswith("/properties/object/const")


# --- messages, ordering, limits ------------------------------------------------------------


def test_long_values_are_truncated_in_messages() -> None:
    [error] = validate({"error": "x" * 5000}, ERROR)
    assert "xxxx" in error.message
    assert len(error.message) < 140
    assert error.message.endswith("…")


def test_member_names_that_are_not_identifiers_are_quoted_in_paths() -> None:
    doc = broken(request(), ("metadata",), {"run id": 7, "ok": "yes"})
    assert paths(validate(doc, REQUEST)) == ['$.metadata["run id"]']
    assert sv.json_path(["a b", 0, "c.d", "ok_1"]) == '$["a b"][0]["c.d"].ok_1'


def test_errors_are_sorted_by_path_with_numeric_indices() -> None:
    data = [{"id": i, "object": "model", "created": 1, "owned_by": "o"} for i in range(12)]
    got = paths(validate({"object": "list", "data": data}, MODEL_LIST))
    assert got == [f"$.data[{i}].id" for i in range(12)]


def test_at_most_fifty_errors_are_returned() -> None:
    data = [{"id": i, "object": "model", "created": 1, "owned_by": "o"} for i in range(80)]
    errors = validate({"object": "list", "data": data}, MODEL_LIST)
    assert len(errors) == sv.MAX_ERRORS == 50
    assert errors[-1].path == "$.data[49].id"


def test_validate_is_deterministic() -> None:
    doc = {"id": 1, "object": 2, "created": "3", "model": None, "choices": [{"delta": 5}]}
    assert validate(doc, CHUNK) == validate(copy.deepcopy(doc), CHUNK)


def test_any_of_failures_report_the_most_relevant_branch() -> None:
    schema = {
        "anyOf": [
            {"type": "string"},
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
        ]
    }
    errors = sv._errors(Draft202012Validator(schema), {"a": "x"})
    assert errors == [
        SchemaError("$.a", 'expected integer, got string "x"', "#/anyOf/1/properties/a/type")
    ]


# --- API: ids, copies, caching, unknown ids --------------------------------------------------


def test_schema_ids_list_every_openai_schema() -> None:
    ids = schema_ids()
    assert set(ids) >= OPENAI_IDS
    assert ids == sorted(ids)


def test_get_schema_returns_an_independent_copy() -> None:
    schema = get_schema(ERROR)
    assert schema["$id"] == ERROR
    schema["required"] = ["nothing"]
    assert get_schema(ERROR)["required"] == ["error"]
    assert validate({"detail": "x"}, ERROR)


def test_unknown_schema_id_raises_key_error() -> None:
    with pytest.raises(KeyError):
        validate({}, P + "nope")
    with pytest.raises(KeyError):
        get_schema(P + "nope")


def test_prepared_schemas_are_built_once() -> None:
    assert sv.prepared_schema(CHUNK) is sv.prepared_schema(CHUNK)


def test_inlined_schemas_have_no_remaining_refs() -> None:
    # Inlining is what keeps chunk validation fast; a fallback would silently be 3x slower.
    for schema_id in OPENAI_IDS:
        assert "$ref" not in json.dumps(sv.prepared_schema(schema_id)), schema_id


def test_format_checking_is_on() -> None:
    assert sv._validator(MODEL).format_checker is not None


def test_chunk_validation_is_fast_after_warm_up() -> None:
    doc = chunk()
    validate(doc, CHUNK)
    runs = 300
    start = time.perf_counter()
    for _ in range(runs):
        validate(doc, CHUNK)
    per_call = (time.perf_counter() - start) / runs
    # ~65 µs on the development machine; the bound is generous so a slow CI box passes, but
    # it still catches a lost cache (rebuilding validators costs milliseconds per call).
    assert per_call < 500e-6, f"{per_call * 1e6:.0f} µs per chunk"


# --- the schema files themselves -----------------------------------------------------------


def packaged_files() -> Iterator[tuple[str, dict[str, Any]]]:
    root = data_path("schemas")
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".json"):
                yield prefix + entry.name, json.loads(entry.read_text(encoding="utf-8"))


def test_every_schema_file_has_a_unique_id_matching_its_path() -> None:
    files = dict(packaged_files())
    ids = [schema["$id"] for schema in files.values()]
    assert len(ids) == len(set(ids))
    for name, schema in files.items():
        assert schema["$id"] == sv.ID_PREFIX + name.removesuffix(".json"), name


@pytest.mark.parametrize("name", sorted(dict(packaged_files())))
def test_every_schema_file_is_a_valid_2020_12_schema(name: str) -> None:
    schema = dict(packaged_files())[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("const", "enum"):
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_openai_schemas_use_absolute_packaged_ids_that_resolve() -> None:
    resolver = sv._registry().resolver()
    openai_files = {n: s for n, s in packaged_files() if n.startswith("openai/")}
    assert len(openai_files) >= 7  # the chat, error and model schemas at least
    for name, schema in openai_files.items():
        for ref in refs(schema):
            assert ref.startswith(P), (name, ref)
            resolver.lookup(ref)  # raises if the target does not exist


# --- remote references are refused ---------------------------------------------------------


def test_retrieve_function_refuses_every_uri() -> None:
    with pytest.raises(sv.RemoteRefError, match="refusing to retrieve"):
        sv._refuse_retrieval("https://127.0.0.2/schema.json")


def test_remote_refs_are_not_fetched_when_validating() -> None:
    validator = Draft202012Validator(
        {"$ref": "https://127.0.0.2/schema.json"}, registry=sv._registry()
    )
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.is_valid({})


def test_remote_refs_are_refused_when_inlining() -> None:
    resolver = sv._registry().resolver(base_uri=ERROR)
    with pytest.raises(referencing.exceptions.Unresolvable):
        sv._inline({"$ref": "https://127.0.0.2/x.json"}, resolver, (), True)


def test_recursive_schemas_are_left_for_the_registry() -> None:
    schema = {
        "$id": "urn:test:tree",
        "$ref": "#/$defs/node",
        "$defs": {"node": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
    }
    registry = sv._registry().with_resource("urn:test:tree", DRAFT202012.create_resource(schema))
    with pytest.raises(sv._NotInlinable):
        sv._inline(schema, registry.resolver(base_uri="urn:test:tree"), (id(schema),), True)


# --- robustness ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(instance=json_values, schema_id=st.sampled_from(sorted(OPENAI_IDS)))
def test_any_json_value_gets_a_bounded_sorted_list_of_errors(instance: Any, schema_id: str) -> None:
    errors = validate(instance, schema_id)
    assert len(errors) <= sv.MAX_ERRORS
    assert all(e.path.startswith("$") and e.message for e in errors)
    assert errors == validate(instance, schema_id)


def test_schema_problem_names_what_is_wrong_with_a_client_schema() -> None:
    assert sv.schema_problem({"type": "object", "properties": {"a": {"type": "string"}}}) is None
    assert sv.schema_problem(True) is None
    problem = sv.schema_problem({"type": "objekt"})
    assert problem is not None and "objekt" in problem
    # Checked against the metaschema of the draft the schema names.
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "minimum": "zero"}
    assert sv.schema_problem(draft7) is not None
    assert sv.schema_problem({"a": float("nan")}) == "it is not a JSON document"


def test_schema_problem_checks_each_schema_once() -> None:
    schema = {"type": "object", "required": ["memo-test"]}
    sv._metaschema_problem.cache_clear()
    for _ in range(5):
        assert sv.schema_problem(schema) is None
        assert sv.schema_problem(dict(reversed(list(schema.items())))) is None  # key order
    assert sv._metaschema_problem.cache_info().misses == 1
