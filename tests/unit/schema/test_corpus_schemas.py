"""The packaged OpenAI schemas against real recorded responses (shared/corpus).

What OpenAI and Azure OpenAI sent must validate with zero errors: a schema that rejects them
would produce false MUST failures. Other providers' deviations are counted and printed (run
with -s to see the table); a few clear ones, each a real client-breaking shape, are asserted.
"""

from __future__ import annotations

import collections
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from llmconform.schema.validation import SchemaError, validate

from support import CORPUS

OPENAI_PROVIDERS = frozenset({"openai", "azure-openai"})
# Anthropic's own Messages API and model list are another wire format, not a deviation.
NOT_OPENAI_WIRE = frozenset({"anthropic"})
SCHEMA_BY_API = {
    "chat": "chat.completion",
    "chat-stream": "chat.completion.chunk",
    "errors": "error",
    "models": "model.list",
}


@dataclass(frozen=True)
class Sample:
    """One corpus file with its provider and the schema its bodies must match."""

    file: str
    provider: str
    schema_id: str


def schema_for(api: str, notes: str) -> str:
    name = SCHEMA_BY_API[api]
    # GET /v1/models/{id} returns a single model object, not a list.
    endpoint = next((p for p in notes.split("; ") if p.startswith("endpoint=")), "")
    if api == "models" and not endpoint.rstrip("/").endswith("/models"):
        name = "model"
    return "urn:llmconform:schema:openai/" + name


def samples() -> list[Sample]:
    with (CORPUS / "INDEX.tsv").open(encoding="utf-8", newline="") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    return [
        Sample(row["file"], row["provider"], schema_for(row["api"], row["notes"]))
        for row in rows
        if row["api"] in SCHEMA_BY_API
    ]


def sse_data(text: str) -> Iterator[str]:
    """The data of each event of a recorded stream (a test-local, minimal SSE reading)."""
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        lines = [
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        ]
        if lines:
            yield "\n".join(lines)


def documents(sample: Sample) -> Iterator[Any]:
    text = (CORPUS / sample.file).read_text(encoding="utf-8")
    if sample.file.endswith(".sse"):
        for data in sse_data(text):
            if data.strip() != "[DONE]":
                yield json.loads(data)
    else:
        yield json.loads(text)


def errors_of(sample: Sample) -> list[SchemaError]:
    return [error for doc in documents(sample) for error in validate(doc, sample.schema_id)]


OPENAI_SAMPLES = [s for s in samples() if s.provider in OPENAI_PROVIDERS]
OTHER_SAMPLES = [s for s in samples() if s.provider not in OPENAI_PROVIDERS | NOT_OPENAI_WIRE]


def test_corpus_has_openai_samples_of_every_kind() -> None:
    kinds = {s.file.split("/")[0] for s in OPENAI_SAMPLES}
    assert kinds == set(SCHEMA_BY_API)


@pytest.mark.parametrize("sample", OPENAI_SAMPLES, ids=lambda s: s.file)
def test_openai_and_azure_samples_validate_with_no_error(sample: Sample) -> None:
    docs = list(documents(sample))
    assert docs
    assert errors_of(sample) == []


def test_report_other_providers_deviations() -> None:
    failing: collections.Counter[tuple[str, str]] = collections.Counter()
    checked: collections.Counter[tuple[str, str]] = collections.Counter()
    first: dict[tuple[str, str], str] = {}
    for sample in OTHER_SAMPLES:
        key = (sample.schema_id.rsplit("/", 1)[-1], sample.provider)
        checked[key] += 1
        errors = errors_of(sample)
        if errors:
            failing[key] += 1
            first.setdefault(key, f"{errors[0].path}: {errors[0].message}")
    print("\nnon-OpenAI samples failing a schema (schema, provider: failing/checked, first error)")
    for key in sorted(checked):
        if failing[key]:
            print(f"  {key[0]:<22} {key[1]:<20} {failing[key]}/{checked[key]}  {first[key][:90]}")
    print(f"  total: {sum(failing.values())}/{sum(checked.values())} samples fail")
    assert sum(checked.values()) > 0


# Real deviations that break clients, kept as a named set: (file, path, words in the message).
KNOWN_DEVIATIONS = [
    # The SDK's stream accumulator raises "Expected list delta entry to have an `index` key".
    (
        "chat-stream/ollama__test-openai-chat-model-acomplete-ollama-return-true-output-types1-bool.sse",
        "$.choices[0].delta.tool_calls[0].index",
        "is missing",
    ),
    (
        "chat-stream/gemini-openai__test-openai-chat-model-gemini-acomplete-return-true-output-types1-bool.sse",
        "$.choices[0].delta.tool_calls[0].index",
        "is missing",
    ),
    # index -1 makes accumulators merge into the last call instead of starting a new one.
    (
        "chat-stream/huggingface-router__qwen-qwen3-coder-480b-a35b-instruct-genstream-tools-squareroot-1-any.sse",
        "$.choices[0].delta.tool_calls[0].index",
        "minimum of 0",
    ),
    # Chunks without an id (Gemini's OpenAI-compatible endpoint, early 2025).
    (
        "chat-stream/gemini-openai__test-openai-chat-model-gemini-acomplete-say-hello-output-types0-str.sse",
        "$.id",
        "is missing",
    ),
    # Content as an array of thinking/text parts: string concatenation in clients breaks.
    ("chat-stream/mistral__mistral-reasoning.sse", "$.choices[0].delta.content", "got array"),
    ("chat/mistral__mistral-reasoning.json", "$.choices[0].message.content", "got array"),
    # A tool call without type: the SDK cannot pick the function/custom variant.
    (
        "chat/mistral__test-tool-choice-matrix-auto-mistral.json",
        "$.choices[0].message.tool_calls[0].type",
        "is missing",
    ),
    # Stream chunks labelled as whole completions.
    (
        "chat-stream/perplexity__sonar-pro-genstream-maxtokens.sse",
        "$.object",
        'expected "chat.completion.chunk", got "chat.completion"',
    ),
    # An empty finish_reason instead of "stop".
    ("chat/snowflake-cortex__test-snowflake-llama.json", "$.choices[0].finish_reason", '""'),
    # Error bodies in other shapes: a bare string, flat fields, FastAPI's detail.
    ("errors/baseten__errors-bad-apikey-genstream.json", "$.error", "got string"),
    ("errors/cerebras__errors-bad-apikey-genstream.json", "$.error", "is missing"),
    ("errors/mistral__errors-bad-model-genstream.json", "$.error", "is missing"),
    ("errors/voyage__testvoyageai-test-embed-error.json", "$.error", "is missing"),
]


@pytest.mark.parametrize(("file", "path", "needle"), KNOWN_DEVIATIONS, ids=lambda v: str(v)[:60])
def test_known_provider_deviations_are_caught(file: str, path: str, needle: str) -> None:
    [sample] = [s for s in samples() if s.file == file]
    assert sample.provider not in OPENAI_PROVIDERS
    errors = errors_of(sample)
    assert any(e.path == path and needle in e.message for e in errors), errors[:5]
