"""apis.openai_chat.fold_chunks: a stream of chunks folded into one chat.completion."""

from __future__ import annotations

from typing import Any

from llmconform.protocol.openai_chat import fold_chunks


def ch(
    index: int | None = 0, finish: Any = None, usage: Any = None, **delta: Any
) -> dict[str, Any]:
    choice: dict[str, Any] = {"delta": delta, "finish_reason": finish}
    if index is not None:
        choice["index"] = index
    out: dict[str, Any] = {"id": "c-1", "created": 1, "model": "m", "choices": [choice]}
    if usage is not None:
        out["usage"] = usage
    return out


def test_role_content_and_finish_reason() -> None:
    done = fold_chunks(
        [
            ch(role="assistant", content=""),
            ch(content="Hel"),
            ch(content="lo", role="user"),  # a later role does not replace the first
            ch(content=None),
            ch(finish="stop"),
        ]
    )
    assert done == {
        "id": "c-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "finish_reason": "stop",
            }
        ],
        "usage": None,
    }


def test_id_created_model_come_from_the_first_chunk() -> None:
    first = ch(role="assistant")
    later = {**ch(content="x"), "id": "c-2", "created": 9, "model": "other"}
    done = fold_chunks([first, later])
    assert (done["id"], done["created"], done["model"]) == ("c-1", 1, "m")


def test_no_content_at_all_is_null_and_refusal_is_joined() -> None:
    done = fold_chunks(
        [ch(role="assistant"), ch(refusal="I can"), ch(refusal="not.", finish="stop")]
    )
    msg = done["choices"][0]["message"]
    assert msg == {"role": "assistant", "content": None, "refusal": "I cannot."}


def test_usage_comes_from_the_last_chunk_that_carries_it() -> None:
    u1 = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    u2 = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    usage_chunk = {"id": "c-1", "created": 1, "model": "m", "choices": [], "usage": u2}
    done = fold_chunks([ch(role="assistant", usage=u1), ch(finish="stop"), usage_chunk])
    assert done["usage"] == u2
    # A null usage after it does not erase it.
    assert fold_chunks([usage_chunk, {**ch(content="x"), "usage": None}])["usage"] == u2
    assert done["choices"][0]["finish_reason"] == "stop"  # the empty choices list is harmless


def test_tool_call_fragments_are_joined_by_index() -> None:
    start0 = {
        "index": 0,
        "id": "call_a",
        "type": "function",
        "function": {"name": "get_", "arguments": ""},
    }
    start1 = {
        "index": 1,
        "id": "call_b",
        "type": "function",
        "function": {"name": "f", "arguments": "{"},
    }
    done = fold_chunks(
        [
            ch(role="assistant", tool_calls=[start0]),
            ch(tool_calls=[{"index": 0, "function": {"name": "weather", "arguments": '{"c'}}]),
            ch(tool_calls=[start1]),
            ch(tool_calls=[{"index": 0, "function": {"arguments": 'ity": "Oslo"}'}}]),
            ch(tool_calls=[{"index": 1, "id": "ignored", "function": {"arguments": "}"}}]),
            ch(finish="tool_calls"),
        ]
    )
    [choice] = done["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
        },
        # The first id wins: later fragments only append.
        {"id": "call_b", "type": "function", "function": {"name": "f", "arguments": "{}"}},
    ]


def test_tool_calls_without_index_fall_back_to_their_position() -> None:
    a = {"id": "call_a", "type": "function", "function": {"name": "a", "arguments": "{}"}}
    b = {"id": "call_b", "type": "function", "function": {"name": "b", "arguments": "{}"}}
    done = fold_chunks([ch(role="assistant", tool_calls=[a, b]), ch(finish="tool_calls")])
    calls = done["choices"][0]["message"]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_a", "call_b"]
    assert [c["function"]["name"] for c in calls] == ["a", "b"]


def test_several_choices_are_kept_apart_and_sorted() -> None:
    done = fold_chunks(
        [
            ch(index=1, role="assistant", content="B"),
            ch(index=0, role="assistant", content="A"),
            ch(index=1, content="b", finish="length"),
            ch(index=0, content="a", finish="stop"),
        ]
    )
    got = [(c["index"], c["message"]["content"], c["finish_reason"]) for c in done["choices"]]
    assert got == [(0, "Aa", "stop"), (1, "Bb", "length")]


def test_malformed_pieces_are_skipped_not_fatal() -> None:
    done = fold_chunks(
        [
            {"id": "c-1", "created": 1, "model": "m", "choices": None},
            {"id": "c-1", "choices": ["not a choice", {"index": "0", "delta": {"content": "x"}}]},
            ch(index=None, role="assistant", content="y", tool_calls=["bad", None]),
        ]
    )
    # A non-int or missing index counts as choice 0.
    assert done["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "xy"}, "finish_reason": None}
    ]
