"""`POST /v1/embeddings`: the OpenAI Embeddings API.

A vector is derived from a SHA-256 stream of the input (so equal inputs embed equally, in any
request and any batch position), has `DEFAULT_DIMENSIONS` components and unit length. With
`dimensions`, the vector is cut to that many components and renormalised, as OpenAI's
text-embedding-3 models do. Components are rounded to float32 before they are sent, so the
JSON numbers of `encoding_format: "float"` and the little-endian float32 bytes of
`"base64"` carry exactly the same values.

usage.prompt_tokens counts the input tokens (a token-id input counts its ids); total_tokens
equals it, since nothing is generated.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from typing import Any

from llmconform.reference import params
from llmconform.reference.asgi import HttpRequest, JsonResponse, Response
from llmconform.reference.errors import bad_request, echo, invalid_type, missing, model_not_found
from llmconform.reference.tokenizer import count_tokens

DEFAULT_DIMENSIONS = 64
MAX_INPUTS = 2048
ENCODINGS = ("float", "base64")


async def create_embeddings(request: HttpRequest) -> Response:
    """Handle one embeddings request."""
    body = params.parse_object(request.body)
    model = params.required_string(body, "model")
    inputs = parse_inputs(body)
    encoding = params.string(body, "encoding_format") or "float"
    if encoding not in ENCODINGS:
        raise bad_request(
            f"Invalid value for 'encoding_format': {echo(encoding)!r} is not one of float, base64.",
            param="encoding_format",
            code="invalid_value",
        )
    dimensions = params.integer(body, "dimensions", low=1)
    if dimensions is not None and dimensions > DEFAULT_DIMENSIONS:
        raise bad_request(
            f"Invalid 'dimensions': this model has {DEFAULT_DIMENSIONS}, "
            f"it cannot produce {dimensions}.",
            param="dimensions",
            code="invalid_value",
        )
    params.string(body, "user")
    if model not in request.settings.models:
        raise model_not_found(model)
    size = dimensions or DEFAULT_DIMENSIONS
    data = [
        {"object": "embedding", "index": i, "embedding": encode(embed(key, size), encoding)}
        for i, (key, _) in enumerate(inputs)
    ]
    tokens = sum(count for _, count in inputs)
    return JsonResponse(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def embed(key: str, size: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The unit-length float32 vector of an input `key`, cut to `size` components."""
    raw: list[float] = []
    block = 0
    while len(raw) < DEFAULT_DIMENSIONS:
        digest = hashlib.sha256(f"{block}:{key}".encode()).digest()
        # Each 4 bytes become a component in [-1, 1).
        raw.extend(int.from_bytes(digest[i : i + 4], "little") / 2**31 - 1 for i in range(0, 32, 4))
        block += 1
    vector = raw[:size]
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [_float32(x / norm) for x in vector]


def encode(vector: list[float], encoding: str) -> list[float] | str:
    """The vector as JSON numbers, or as base64 of little-endian float32 values."""
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def _float32(x: float) -> float:
    result: float = struct.unpack("<f", struct.pack("<f", x))[0]
    return result


def parse_inputs(body: params.Body) -> list[tuple[str, int]]:
    """(hash key, token count) per input: a string, strings, token ids or token-id arrays."""
    value = body.get("input")
    if value is None:
        raise missing("input")
    expected = "a string, an array of strings, or an array of token ids or token-id arrays"
    if isinstance(value, str):
        return [_text(value, "input")]
    if not isinstance(value, list):
        raise invalid_type("input", expected, value)
    if not value:
        raise bad_request("'input' must not be an empty array.", param="input", code="empty_array")
    if len(value) > MAX_INPUTS:
        raise bad_request(
            f"'input' may hold at most {MAX_INPUTS} items, got {len(value)}.",
            param="input",
            code="array_above_max_length",
        )
    if all(isinstance(v, str) for v in value):
        return [_text(v, f"input[{i}]") for i, v in enumerate(value)]
    if all(_is_token(t) for t in value):
        return [_tokens(value)]
    if all(isinstance(v, list) for v in value):
        out = []
        for i, ids in enumerate(value):
            if not ids or not all(_is_token(t) for t in ids):
                raise invalid_type(f"input[{i}]", "a non-empty array of token ids", ids)
            out.append(_tokens(ids))
        return out
    raise invalid_type("input", expected, value)


def _text(text: str, where: str) -> tuple[str, int]:
    if not text:
        raise bad_request(
            f"'{where}' must not be an empty string.", param=where, code="empty_string"
        )
    return "text:" + text, count_tokens(text)


def _tokens(ids: list[Any]) -> tuple[str, int]:
    # A key space of its own: the ids [1, 2] and the text "1 2" are different inputs.
    return "tokens:" + ",".join(str(i) for i in ids), len(ids)


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
