"""The reference tokenizer and the deterministic generation rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from llmconform.reference.generation import FALLBACK_REPLY, generate, reply_source
from llmconform.reference.tokenizer import count_tokens, tokenize


def test_tokens_are_whitespace_prefixed_words() -> None:
    assert tokenize("Hello, big  world") == ["Hello,", " big", "  world"]
    assert tokenize("  lead") == ["  lead"]
    assert tokenize("trail \n") == ["trail", " \n"]
    assert tokenize("") == []
    assert count_tokens("one two three") == 3


@given(st.text())
def test_tokenizer_is_lossless(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


def test_reply_source_falls_back_on_blank_text() -> None:
    assert reply_source("hi") == "hi"
    assert reply_source("") == FALLBACK_REPLY
    assert reply_source(" \n\t") == FALLBACK_REPLY


def test_no_limits_emits_everything_with_stop() -> None:
    gen = generate("a b c")
    assert gen.tokens == ("a", " b", " c")
    assert gen.text == "a b c"
    assert gen.finish_reason == "stop"


def test_max_tokens_truncates_with_length() -> None:
    gen = generate("a b c", max_tokens=2)
    assert gen.text == "a b"
    assert gen.finish_reason == "length"
    assert generate("a b c", max_tokens=3).finish_reason == "stop"


def test_stop_cuts_before_the_earliest_stop_sequence() -> None:
    gen = generate("one two three four", stop=["four", " two"])
    assert gen.text == "one"
    assert gen.finish_reason == "stop"
    assert generate("abc", stop=["a"]).text == ""
    assert generate("abc", stop=["zzz"]).text == "abc"
    assert generate("abc", stop=[""]).text == "abc"  # empty stop strings mean nothing


def test_whichever_limit_cuts_earlier_decides() -> None:
    text = "one two three four five"
    by_stop = generate(text, stop=[" three"], max_tokens=3)
    assert (by_stop.text, by_stop.finish_reason) == ("one two", "stop")
    by_length = generate(text, stop=[" five"], max_tokens=2)
    assert (by_length.text, by_length.finish_reason) == ("one two", "length")
    mid_word = generate(text, stop=["ee"], max_tokens=5)
    assert (mid_word.text, mid_word.finish_reason) == ("one two thr", "stop")


@given(
    st.text(max_size=60),
    st.lists(st.text(min_size=1, max_size=3), max_size=4),
    st.one_of(st.none(), st.integers(min_value=1, max_value=20)),
)
def test_generation_respects_its_limits(source: str, stop: list[str], budget: int | None) -> None:
    gen = generate(source, stop=stop, max_tokens=budget)
    assert source.startswith(gen.text)
    assert not any(s in gen.text for s in stop)
    if budget is not None:
        assert len(gen.tokens) <= budget
    if gen.finish_reason == "length":
        assert budget is not None and len(gen.tokens) == budget
        assert len(tokenize(source)) > budget
    else:
        assert gen.finish_reason == "stop"
