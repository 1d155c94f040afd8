"""The reference server's POST /v1/embeddings, called in process."""

from __future__ import annotations

import base64
import math
import struct
from typing import TYPE_CHECKING

import pytest

from llmconform.reference.embeddings import DEFAULT_DIMENSIONS, embed
from llmconform.schema.validation import validate

if TYPE_CHECKING:
    from unit.reference.completions_embeddings.conftest import Ref

SCHEMA = "urn:llmconform:schema:openai/embedding.list"


def _norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def test_a_string_gets_one_unit_vector_in_the_documented_shape(ref: Ref) -> None:
    r = ref.embeddings(input="Hello big world")
    assert r.status_code == 200
    body = r.json()
    assert validate(body, SCHEMA) == []
    [item] = body["data"]
    assert item["object"] == "embedding" and item["index"] == 0
    assert len(item["embedding"]) == DEFAULT_DIMENSIONS
    assert _norm(item["embedding"]) == pytest.approx(1.0, abs=1e-6)
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert body["model"] == "llmconform-reference"


def test_vectors_are_deterministic_and_independent_of_batch_position(ref: Ref) -> None:
    alone = ref.embeddings(input="b").json()["data"][0]["embedding"]
    batch = ref.embeddings(input=["a", "b", "c"]).json()["data"]
    assert [d["index"] for d in batch] == [0, 1, 2]
    assert batch[1]["embedding"] == alone
    assert batch[0]["embedding"] != alone


def test_base64_is_the_little_endian_float32_of_the_float_vector(ref: Ref) -> None:
    floats = ref.embeddings(input="x y").json()["data"][0]["embedding"]
    b64 = ref.embeddings(input="x y", encoding_format="base64").json()["data"][0]["embedding"]
    raw = base64.b64decode(b64)
    assert len(raw) == 4 * DEFAULT_DIMENSIONS
    assert list(struct.unpack(f"<{DEFAULT_DIMENSIONS}f", raw)) == floats


def test_dimensions_truncate_and_renormalise(ref: Ref) -> None:
    full = embed("text:hello")
    short = ref.embeddings(input="hello", dimensions=8).json()["data"][0]["embedding"]
    assert len(short) == 8
    assert _norm(short) == pytest.approx(1.0, abs=1e-6)
    scale = _norm(full[:8])
    assert short == pytest.approx([x / scale for x in full[:8]], rel=1e-5)


def test_token_ids_embed_as_their_own_inputs(ref: Ref) -> None:
    one = ref.embeddings(input=[1, 2, 3]).json()
    assert len(one["data"]) == 1 and one["usage"]["prompt_tokens"] == 3
    two = ref.embeddings(input=[[1, 2, 3], [4]]).json()
    assert [d["index"] for d in two["data"]] == [0, 1]
    assert two["data"][0]["embedding"] == one["data"][0]["embedding"]
    # Token ids are not the same input as the text of their digits.
    text = ref.embeddings(input="1,2,3").json()["data"][0]["embedding"]
    assert text != one["data"][0]["embedding"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "input"),
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["a", ""]}, "input[1]"),
        ({"input": ["a", 1]}, "input"),
        ({"input": [[1], []]}, "input[1]"),
        ({"input": 5}, "input"),
        ({"input": ["a"] * 2049}, "input"),
        ({"input": "a", "encoding_format": "binary"}, "encoding_format"),
        ({"input": "a", "dimensions": 0}, "dimensions"),
        ({"input": "a", "dimensions": DEFAULT_DIMENSIONS + 1}, "dimensions"),
    ],
)
def test_invalid_requests_get_a_400_naming_the_parameter(
    ref: Ref, body: dict[str, object], param: str
) -> None:
    r = ref.embeddings(**body)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param


def test_missing_and_unknown_models(ref: Ref) -> None:
    missing = ref.post("/v1/embeddings", {"input": "a"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "model"
    unknown = ref.embeddings(model="nope", input="a")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
