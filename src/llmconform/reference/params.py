"""Parsing a JSON request body and reading its fields with OpenAI-style validation errors.

Each reader returns the typed value or None when the field is absent or `null` (OpenAI's
optional parameters are all nullable), and raises a 400 `ApiError` naming the parameter
otherwise. Booleans are never accepted where numbers are expected, although Python counts
`True` as an int. Unknown fields are simply never read: compatible servers must tolerate
parameters they do not know.
"""

from __future__ import annotations

import json
import math
from typing import Any

from llmconform.reference.errors import ApiError, bad_request, invalid_type, missing

Body = dict[str, Any]


def _reject_constant(name: str) -> Any:
    # Python's json module accepts NaN and Infinity, which are not JSON (RFC 8259).
    raise ValueError(f"{name} is not valid JSON")


def parse_object(raw: bytes) -> Body:
    """Decode a request body that must be a UTF-8 JSON object."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad_request(
            "The request body is not valid JSON. Send a JSON object encoded as UTF-8."
        ) from None
    if not isinstance(value, dict):
        raise bad_request(
            "The request body must be a JSON object.",
            code="invalid_type",
        )
    return value


def is_number(value: object) -> bool:
    """True for JSON numbers (finite ints and floats), never for booleans."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def number(
    body: Body, name: str, *, low: float | None = None, high: float | None = None
) -> float | None:
    """An optional number within [low, high]."""
    value = body.get(name)
    if value is None:
        return None
    if not is_number(value):
        raise invalid_type(name, "a number", value)
    _check_range(name, value, low, high, kind="decimal")
    return float(value)


def integer(
    body: Body, name: str, *, low: int | None = None, high: int | None = None
) -> int | None:
    """An optional integer within [low, high]; `2.0` counts as an integer, `2.5` does not."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, float) and is_number(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_type(name, "an integer", value)
    _check_range(name, value, low, high, kind="integer")
    return value


def boolean(body: Body, name: str) -> bool | None:
    """An optional boolean."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid_type(name, "a boolean", value)
    return value


def string(body: Body, name: str, *, param: str | None = None) -> str | None:
    """An optional string."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_type(param or name, "a string", value)
    return value


def obj(body: Body, name: str, *, param: str | None = None) -> Body | None:
    """An optional JSON object."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type(param or name, "an object", value)
    return value


def array(body: Body, name: str, *, param: str | None = None) -> list[Any] | None:
    """An optional JSON array."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_type(param or name, "an array", value)
    return value


def required_string(body: Body, name: str) -> str:
    """A string that must be present and non-empty."""
    value = string(body, name)
    if not value:
        raise missing(name)
    return value


def _check_range(
    name: str, value: float, low: float | None, high: float | None, *, kind: str
) -> None:
    if low is not None and value < low:
        raise out_of_range(name, value, f"{low}", below=True, kind=kind)
    if high is not None and value > high:
        raise out_of_range(name, value, f"{high}", below=False, kind=kind)


def out_of_range(name: str, value: float, bound: str, *, below: bool, kind: str) -> ApiError:
    """A numeric parameter outside its documented range."""
    side = "below" if below else "above"
    word = "minimum" if below else "maximum"
    return bad_request(
        f"Invalid '{name}': {value} is {side} the {word} of {bound}.",
        param=name,
        code=f"{kind}_{side}_{'min' if below else 'max'}_value",
    )


def stop_sequences(body: Body, limit: int) -> tuple[str, ...]:
    """`stop`: absent, one string, or a list of at most `limit` strings."""
    stop = body.get("stop")
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,)
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise invalid_type("stop", "a string or an array of strings", stop)
    if len(stop) > limit:
        raise bad_request(
            f"Invalid 'stop': at most {limit} stop sequences are allowed, got {len(stop)}.",
            param="stop",
            code="array_above_max_length",
        )
    return tuple(stop)
