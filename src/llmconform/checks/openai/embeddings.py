"""Checks for the Embeddings API (`POST /embeddings`).

An embedding arrives as JSON numbers (`encoding_format: "float"`, the default) or as a
base64 string of little-endian float32 values (`"base64"`); `decode_vector` reads both, so
every check below judges the numbers whatever their encoding.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Iterator
from typing import Any

from llmconform.checks.common import excerpt, schema_issues
from llmconform.checks.context import CheckContext, Exchange, Unverifiable
from llmconform.checks.registry import Issue, IssueKind, check

DEFAULT_REL_TOL = 1e-6


class VectorError(ValueError):
    """An embedding is neither a list of numbers nor base64 of float32 values."""


def decode_vector(value: Any) -> list[float]:
    """The numbers of an embedding given as a JSON array or as base64 little-endian float32."""
    if isinstance(value, list):
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
            raise VectorError("the array holds something other than numbers")
        return [float(x) for x in value]
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise VectorError("the string is not valid base64") from None
        if len(raw) % 4:
            raise VectorError(f"{len(raw)} decoded bytes are not a whole number of float32 values")
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    raise VectorError(f"expected an array of numbers or a base64 string, got {excerpt(value)}")


def input_count(ex: Exchange) -> int:
    """How many embeddings the request asked for: one per string or token-id array."""
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    value = body.get("input")
    if isinstance(value, list) and value and all(isinstance(v, str | list) for v in value):
        return len(value)
    return 1  # a string, or one array of token ids


def data_of(ex: Exchange) -> list[dict[str, Any]]:
    """The embedding objects of a response, in response order."""
    body = ex.json
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise Unverifiable("the response has no 'data' array")
    return [d for d in data if isinstance(d, dict)]


def vectors_of(ex: Exchange, requirement: str) -> tuple[list[list[float]], list[Issue]]:
    """Decoded vectors of a response, and an issue (of `requirement`) per undecodable one."""
    vectors: list[list[float]] = []
    issues: list[Issue] = []
    for pos, item in enumerate(data_of(ex)):
        try:
            vectors.append(decode_vector(item.get("embedding")))
        except VectorError as exc:
            issues.append(Issue(requirement, str(exc), f"$.data[{pos}].embedding", ex.index))
    return vectors, issues


@check("embeddings.schema", "EMB-001")
def schema(ctx: CheckContext) -> Iterator[Issue]:
    """The body conforms to the embedding list schema."""
    ex = ctx.primary
    yield from schema_issues(ex.json, "openai/embedding.list", "EMB-001", ex.index)


@check("embeddings.items", "EMB-002")
def items(ctx: CheckContext) -> Iterator[Issue]:
    """There is one embedding per input, listed in input order with indices 0..n-1."""
    ex = ctx.primary
    want = input_count(ex)
    data = data_of(ex)
    if len(data) != want:
        yield Issue("EMB-002", f"{want} input(s) but {len(data)} embedding(s)", "$.data", ex.index)
    indices = [d.get("index") for d in data]
    if indices != list(range(len(data))):
        yield Issue(
            "EMB-002",
            f"indices in response order are {excerpt(indices)}, expected 0..{len(data) - 1} "
            "in input order (clients pair data[i] with input[i])",
            "$.data",
            ex.index,
        )


@check("embeddings.vectors", "EMB-003")
def vectors(ctx: CheckContext) -> Iterator[Issue]:
    """Every vector of the case's answers is non-empty, finite, and of one length."""
    lengths: dict[int, tuple[int, int]] = {}  # length -> first (exchange, position)
    for ex in ctx.exchanges:
        if ex.status != 200:
            continue
        decoded, issues = vectors_of(ex, "EMB-003")
        yield from issues
        for pos, vector in enumerate(decoded):
            if not vector:
                yield Issue("EMB-003", "the vector is empty", f"$.data[{pos}]", ex.index)
            bad = next((x for x in vector if not math.isfinite(x)), None)
            if bad is not None:
                yield Issue("EMB-003", f"the vector holds {bad}", f"$.data[{pos}]", ex.index)
            lengths.setdefault(len(vector), (ex.index, pos))
    if not lengths:
        raise Unverifiable("no successful response carried an embedding")
    if len(lengths) > 1:
        where = ", ".join(f"{n} (exchange {e}, data[{p}])" for n, (e, p) in lengths.items())
        yield Issue("EMB-003", f"vectors of one model differ in length: {where}", "$.data")


@check("embeddings.base64", "EMB-004", "EMB-005")
def base64_matches(ctx: CheckContext) -> Iterator[Issue]:
    """`encoding_format: "base64"` sends base64 strings holding the same vectors as floats.

    Values are compared with relative tolerance `rel_tol` (default 1e-6), floored at
    `rel_tol` times the vector's largest component so that near-zero values printed with
    a fixed number of decimals do not count as different. Values are compared only when the
    server is deterministic: a second float request (`again_step`, default 2) must agree with
    the first; a server whose vectors differ per call (random by design) is compared by shape.
    """
    step_f = int(ctx.args.get("float_step", 0))
    step_b = int(ctx.args.get("base64_step", 1))
    step_again = int(ctx.args.get("again_step", 2))
    rel = float(ctx.args.get("rel_tol", DEFAULT_REL_TOL))
    try:
        as_float, as_b64 = ctx.exchanges[step_f], ctx.exchanges[step_b]
    except IndexError:
        raise Unverifiable(f"the case has no steps {step_f} and {step_b}") from None
    for ex in (as_float, as_b64):
        if ex.status != 200:
            raise Unverifiable(f"exchange {ex.index} got status {ex.status}, not 200")
    strings = [d.get("embedding") for d in data_of(as_b64)]
    if any(not isinstance(s, str) for s in strings):
        yield Issue(
            "EMB-005",
            "encoding_format 'base64' was requested but embeddings came as arrays",
            "$.data",
            as_b64.index,
        )
    floats, issues_f = vectors_of(as_float, "EMB-004")
    b64s, issues_b = vectors_of(as_b64, "EMB-004")
    yield from issues_f + issues_b
    if issues_f or issues_b:
        return
    if len(floats) != len(b64s):
        yield Issue(
            "EMB-004",
            f"the float answer has {len(floats)} embeddings, the base64 one {len(b64s)}",
            "$.data",
            as_b64.index,
        )
    varies = _varies(ctx, step_again, floats, rel)
    for pos, (f, b) in enumerate(zip(floats, b64s, strict=False)):
        yield from _compare(f, b, rel, pos, as_b64.index, values=varies is None)
    if varies is not None:
        yield Issue(
            "EMB-004",
            f"two float requests for the same input gave different vectors ({varies}): the "
            "server is not deterministic, so the base64 values could not be compared with "
            "the float ones (only their number was)",
            "$.data",
            as_b64.index,
            IssueKind.INCONCLUSIVE,
        )


def _varies(ctx: CheckContext, step: int, floats: list[list[float]], rel: float) -> str | None:
    """How a repeated float request differs from the first one, or None if it agrees (or
    the case has no such step, or it failed: then the server is taken as deterministic)."""
    if step >= len(ctx.exchanges) or ctx.exchanges[step].status != 200:
        return None
    again, issues = vectors_of(ctx.exchanges[step], "EMB-004")
    if issues or len(again) != len(floats):
        return None
    for pos, (f, g) in enumerate(zip(floats, again, strict=True)):
        if len(f) != len(g):
            return f"data[{pos}] has {len(f)} then {len(g)} components"
        j = _first_difference(f, g, rel)
        if j is not None:
            return f"data[{pos}] component {j} was {f[j]!r}, then {g[j]!r}"
    return None


def _first_difference(f: list[float], g: list[float], rel: float) -> int | None:
    scale = max((abs(x) for x in f), default=0.0)
    for j, (x, y) in enumerate(zip(f, g, strict=True)):
        if not math.isclose(x, y, rel_tol=rel, abs_tol=rel * scale):
            return j
    return None


def _compare(
    f: list[float], b: list[float], rel: float, pos: int, exchange: int, *, values: bool
) -> Iterator[Issue]:
    where = f"$.data[{pos}].embedding"
    if len(f) != len(b):
        yield Issue(
            "EMB-004",
            f"base64 decodes to {len(b)} float32 values, the float answer has {len(f)}",
            where,
            exchange,
        )
        return
    j = _first_difference(f, b, rel) if values else None
    if j is not None:
        yield Issue(
            "EMB-004",
            f"component {j} decodes to {b[j]!r} from base64 (as little-endian float32) but is "
            f"{f[j]!r} in the float answer for the same input; two float answers agreed, so "
            "the server is deterministic and the two encodings should carry the same vector",
            where,
            exchange,
        )


@check("embeddings.dimensions", "EMB-006")
def dimensions(ctx: CheckContext) -> Iterator[Issue]:
    """With `dimensions: d`, every vector has d components; a 400 means unsupported."""
    ex = ctx.primary
    body = ex.request_json if isinstance(ex.request_json, dict) else {}
    want = body.get("dimensions")
    if not isinstance(want, int):
        raise ValueError("embeddings.dimensions needs a request with an integer `dimensions`")
    if ex.status == 400:
        yield Issue(
            "EMB-006",
            "the server answered 400: this model cannot shorten its vectors",
            exchange=ex.index,
            kind=IssueKind.UNSUPPORTED,
        )
        return
    if ex.status != 200:
        yield Issue(
            "EMB-006",
            f"a request with dimensions got status {ex.status}, expected 200 or a 400 refusal",
            exchange=ex.index,
        )
        return
    decoded, issues = vectors_of(ex, "EMB-006")
    yield from issues
    for pos, vector in enumerate(decoded):
        if len(vector) != want:
            yield Issue(
                "EMB-006",
                f"dimensions={want} was requested but the vector has {len(vector)}",
                f"$.data[{pos}].embedding",
                ex.index,
            )
            return


@check("embeddings.usage", "EMB-USAGE-001")
def usage(ctx: CheckContext) -> Iterator[Issue]:
    """usage carries prompt_tokens and total_tokens, and total_tokens equals prompt_tokens."""
    ex = ctx.primary
    body = ex.json
    found = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(found, dict):
        yield Issue("EMB-USAGE-001", "the response carries no usage object", "$.usage", ex.index)
        return
    p, t = found.get("prompt_tokens"), found.get("total_tokens")
    counts = [k for k, v in (("prompt_tokens", p), ("total_tokens", t)) if not _count(v)]
    if counts:
        yield Issue(
            "EMB-USAGE-001",
            f"usage fields {counts} are missing or not non-negative integers",
            "$.usage",
            ex.index,
        )
    elif p != t:
        yield Issue(
            "EMB-USAGE-001",
            f"total_tokens={t} differs from prompt_tokens={p} (embeddings generate nothing)",
            "$.usage.total_tokens",
            ex.index,
        )


@check("embeddings.accepts_tokens", "EMB-007")
def accepts_tokens(ctx: CheckContext) -> Iterator[Issue]:
    """Token-id input (an array of integers, or arrays of them) is embedded like text."""
    ex = ctx.primary
    if ex.status != 200:
        yield Issue(
            "EMB-007",
            f"token-id input was answered with status {ex.status}, expected 200",
            exchange=ex.index,
        )


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
