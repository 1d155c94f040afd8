"""The completion and embedding schemas against real recorded responses (shared/corpus).

What OpenAI and Azure OpenAI sent must validate with zero errors; real deviations of other
providers that break clients are asserted by name. The case files' request bodies must
validate against the request schemas.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from llmconform.catalog.loader import conformance_dir
from llmconform.catalog.steps import substitute
from llmconform.checks.openai.embeddings import decode_vector
from llmconform.schema.validation import validate

from support import CORPUS

P = "urn:llmconform:schema:openai/"
SCHEMA_BY_API = {
    "completions": "completion",
    "completions-stream": "completion.chunk",
    "embeddings": "embedding.list",
}
OPENAI = frozenset({"openai", "azure-openai"})


def _rows() -> list[dict[str, str]]:
    with (CORPUS / "INDEX.tsv").open(encoding="utf-8", newline="") as index:
        return [r for r in csv.DictReader(index, delimiter="\t") if r["api"] in SCHEMA_BY_API]


def _documents(file: str) -> Iterator[Any]:
    text = (CORPUS / file).read_text(encoding="utf-8")
    if not file.endswith(".sse"):
        yield json.loads(text)
        return
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [ln[5:].removeprefix(" ") for ln in block.split("\n") if ln.startswith("data:")]
        if data and "\n".join(data).strip() != "[DONE]":
            yield json.loads("\n".join(data))


def _errors(row: dict[str, str]) -> list[str]:
    schema = P + SCHEMA_BY_API[row["api"]]
    return [f"{e.path}: {e.message}" for d in _documents(row["file"]) for e in validate(d, schema)]


ROWS = _rows()
OPENAI_ROWS = [r for r in ROWS if r["provider"] in OPENAI]


def test_the_corpus_has_openai_samples_of_every_kind() -> None:
    assert {r["api"] for r in OPENAI_ROWS} == set(SCHEMA_BY_API)


@pytest.mark.parametrize("row", OPENAI_ROWS, ids=lambda r: r["file"])
def test_openai_and_azure_samples_validate_with_no_error(row: dict[str, str]) -> None:
    assert list(_documents(row["file"]))
    assert _errors(row) == []


@pytest.mark.parametrize(
    ("file", "needle"),
    [
        # Together labels completions "text.completion": typed clients reject the object.
        (
            "completions/together__test-together-completion-legacy.json",
            '$.object: expected "text_completion"',
        ),
        # Voyage reports only total_tokens; the SDK types prompt_tokens as a required int.
        (
            "embeddings/voyage__testvoyageai-test-documents.json",
            '$.usage.prompt_tokens: required property "prompt_tokens" is missing',
        ),
    ],
)
def test_known_provider_deviations_are_caught(file: str, needle: str) -> None:
    [row] = [r for r in ROWS if r["file"] == file]
    assert row["provider"] not in OPENAI
    assert any(needle in e for e in _errors(row)), _errors(row)


def test_every_corpus_vector_decodes_to_its_eight_recorded_numbers() -> None:
    # The corpus cut vectors to 8 numbers (base64: 32 bytes), whatever the encoding.
    for row in ROWS:
        if row["api"] == "embeddings" and row["provider"] in OPENAI:
            for doc in _documents(row["file"]):
                for item in doc["data"]:
                    assert len(decode_vector(item["embedding"])) == 8


@pytest.mark.parametrize(
    ("path", "schema"),
    [("/completions", "completion.request"), ("/embeddings", "embedding.request")],
)
def test_every_valid_case_request_validates_against_the_request_schema(
    path: str, schema: str
) -> None:
    checked = 0
    for name in ("completions.yaml", "embeddings.yaml"):
        doc = yaml.safe_load((conformance_dir() / "openai" / name).read_text(encoding="utf-8"))
        for case in doc["cases"]:
            if ".error." in case["id"]:
                continue  # deliberately invalid requests
            for step in case["steps"]:
                if step["path"] == path:
                    body = substitute(step["json"], {"model": "m"})
                    assert validate(body, P + schema) == [], case["id"]
                    checked += 1
    assert checked >= 7


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"model": "m"}, "completion.request"),
        ({"model": "m", "prompt": "a", "logprobs": 6}, "completion.request"),
        ({"model": "m", "input": ""}, "embedding.request"),
        ({"model": "m", "input": []}, "embedding.request"),
        ({"model": "m", "input": "a", "encoding_format": "binary"}, "embedding.request"),
    ],
)
def test_request_schemas_reject_invalid_bodies(body: dict[str, Any], schema: str) -> None:
    assert validate(body, P + schema) != []


@pytest.mark.parametrize(
    ("doc", "schema", "path"),
    [
        ({"object": "list", "data": [], "model": "m"}, "embedding.list", "$.usage"),
        (
            {
                "object": "list",
                "model": "m",
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
                "data": [{"object": "embedding", "index": 0, "embedding": "not base64!"}],
            },
            "embedding.list",
            "$.data[0].embedding",
        ),
        (
            {
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "text": "a", "finish_reason": None}],
            },
            "completion",
            "$.choices[0].finish_reason",
        ),
        (
            {
                "id": "c",
                "object": "text_completion",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "a"}}],
            },
            "completion.chunk",
            "$.choices[0].text",
        ),
    ],
)
def test_response_schemas_reject_broken_documents(
    doc: dict[str, Any], schema: str, path: str
) -> None:
    assert any(e.path == path for e in validate(doc, P + schema)), validate(doc, P + schema)
