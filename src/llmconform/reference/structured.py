"""`response_format` for the reference server: text, a JSON object, or a JSON Schema instance.

- `text` (or absent): the usual echo reply.
- `json_object`: the echo wrapped in a JSON object, `{"reply": "<last user text>"}`.
- `json_schema`: the minimal instance of the given schema (see `instances`), which validates
  against it by construction, so strict structured outputs are honoured.

The JSON text is written with spaces after separators so that the reference tokenizer (which
splits at whitespace) streams it in several deltas, as a real model would.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llmconform.reference import params
from llmconform.reference.errors import bad_request, echo, invalid_type, missing
from llmconform.reference.instances import minimal_instance

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TYPES = ("text", "json_object", "json_schema")


@dataclass(frozen=True)
class ResponseFormat:
    """The validated `response_format`: its type and, for json_schema, the schema."""

    type: str = "text"
    schema: dict[str, Any] | None = None


def parse_response_format(body: params.Body) -> ResponseFormat:
    """Validate `response_format`; a malformed one is a 400 naming the bad field."""
    fmt = params.obj(body, "response_format")
    if fmt is None:
        return ResponseFormat()
    kind = fmt.get("type")
    if kind is None:
        raise missing("response_format.type")
    if kind not in _TYPES:
        raise bad_request(
            f"Invalid value for 'response_format.type': {echo(kind)!r}; expected text, "
            "json_object or json_schema.",
            param="response_format.type",
            code="invalid_value",
        )
    if kind != "json_schema":
        return ResponseFormat(str(kind))
    spec = params.obj(fmt, "json_schema", param="response_format.json_schema")
    if spec is None:
        raise missing("response_format.json_schema")
    name = spec.get("name")
    if name is None:
        raise missing("response_format.json_schema.name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad_request(
            "Invalid 'response_format.json_schema.name': use 1-64 characters of a-z, A-Z, "
            "0-9, underscores and dashes.",
            param="response_format.json_schema.name",
            code="invalid_value",
        )
    schema = params.obj(spec, "schema", param="response_format.json_schema.schema")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise invalid_type("response_format.json_schema.strict", "a boolean", strict)
    params.string(spec, "description", param="response_format.json_schema.description")
    return ResponseFormat("json_schema", schema if schema is not None else {})


def formatted_reply(fmt: ResponseFormat, echo_text: str) -> str:
    """The reply source text for this format (`echo_text` for plain text)."""
    if fmt.type == "json_object":
        return json.dumps({"reply": echo_text}, ensure_ascii=False)
    if fmt.type == "json_schema":
        return json.dumps(minimal_instance(fmt.schema or {}), ensure_ascii=False)
    return echo_text
