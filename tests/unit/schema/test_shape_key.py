"""The chunk-schema cache is sound: text in the blanked delta fields never changes validity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llmconform.checks.openai.stream import TEXT_FIELDS, shape_key
from llmconform.schema.validation import validate

CHUNK = "urn:llmconform:schema:openai/chat.completion.chunk"


def chunk(**delta: object) -> dict[str, object]:
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(TEXT_FIELDS), text=st.text(max_size=50))
def test_text_in_blanked_fields_never_changes_validity(field: str, text: str) -> None:
    blank = chunk(**{field: ""})
    filled = chunk(**{field: text})
    assert shape_key(blank) == shape_key(filled)
    assert bool(validate(blank, CHUNK)) == bool(validate(filled, CHUNK))


def test_other_differences_change_the_key() -> None:
    assert shape_key(chunk(content="a")) != shape_key(chunk(content=1))
    assert shape_key(chunk(role="assistant")) != shape_key(chunk(role="user"))
    assert shape_key({**chunk(content="x"), "id": "other"}) != shape_key(chunk(content="x"))
    assert shape_key("not a chunk") is None
