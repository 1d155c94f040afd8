"""The valid request space of the property cases: Chat Completions requests full of edge cases.

Each example is a schema-valid request that is cheap to answer (max_tokens 1..16, n 1) and
whose last message carries one text fragment from `_FRAGMENTS` (emoji, right-to-left text,
combining marks, astral characters…), in turn, so each edge case is sent at least once. It is
separate from the expander (`properties`) and from the invalid space (`invalid_requests`),
which builds on the `Example` record and the word generator here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Example:
    """One generated request body: JSON, or raw bytes (malformed input); `label` says what
    the generator meant it to exercise."""

    label: str
    json: Any = None
    content: bytes | None = None


# -- text -------------------------------------------------------------------------------------
_WORDS = (
    "hello", "world", "conformance", "suite", "alpha", "beta", "gamma", "one", "two", "three",
    "naïve", "café", "Ωmega", "straße", "déjà", "vu", "the", "quick", "fox", "42", "3.14",
)  # fmt: skip
_SIMPLE_EMOJI = ("🙂", "🚀", "🎉", "❤️", "✅", "🐍")
_SEQUENCE_EMOJI = ("👩‍💻", "👨‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇯🇵", "🧑🏿‍🚀")  # ZWJ, modifiers, flags
_RTL = ("مرحبا بالعالم", "שלום עולם", "سلام", "English then עברית then English")
_COMBINING = (
    "e\u0301",
    "a\u0308o\u0308u\u0308",
    "Z\u0335\u0336\u0337",
    "n\u0303",
    "\u0915\u094d\u0937",
)
_INVISIBLE = ("\u200b", "\ufeff", "\u2060", "\u00ad", "\ufffd")

# One fragment kind per valid example, in turn, so each edge case is sent at least once.
_FRAGMENTS: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("emoji", lambda r: r.choice(_SIMPLE_EMOJI) + " " + r.choice(_SEQUENCE_EMOJI)),
    ("rtl", lambda r: r.choice(_RTL)),
    ("line separators", lambda r: "first\u2028second\u2029third"),
    ("combining marks", lambda r: " ".join(r.sample(_COMBINING, 2))),
    ("cjk", lambda r: r.choice(("日本語のテキスト", "中文测试", "한국어 문장"))),
    ("escapes", lambda r: 'quote " backslash \\ tab\t newline\n slash / brace {}'),
    ("invisible", lambda r: "zero" + r.choice(_INVISIBLE) + "width"),
    # Mathematical Fraktur and double-struck letters, Gothic hwair: all outside the BMP.
    ("astral", lambda r: "\U0001d518\U0001d52b\U0001d526 \U0001d7d8\U0001d7d9 \U00010348"),
    ("long", lambda r: " ".join(r.choice(_WORDS) for _ in range(r.randint(60, 300)))),
)


def words(rng: random.Random, low: int = 1, high: int = 8) -> str:
    """`low` to `high` words drawn from a fixed, partly non-ASCII vocabulary."""
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _text(rng: random.Random) -> str:
    """Plain words, sometimes with an edge-case fragment."""
    if rng.random() < 0.3:
        return words(rng) + " " + rng.choice(_FRAGMENTS)[1](rng)
    return words(rng)


def _content(rng: random.Random, text: str) -> Any:
    """A string, or the same text split into text parts."""
    if rng.random() < 0.7:
        return text
    cut = rng.randint(0, len(text))
    parts = [p for p in (text[:cut], text[cut:]) if p] or [text]
    return [{"type": "text", "text": p} for p in parts]


# -- valid requests -------------------------------------------------------------------------
# Optional parameters and their value generators; explicit null only where the schema allows.
_OPTIONAL: tuple[tuple[str, bool, Callable[[random.Random], Any]], ...] = (
    ("temperature", True, lambda r: round(r.uniform(0, 2), 2)),
    ("top_p", True, lambda r: round(r.uniform(0.05, 1), 2)),  # 0 is refused by some engines
    ("presence_penalty", True, lambda r: round(r.uniform(-2, 2), 2)),
    ("frequency_penalty", True, lambda r: round(r.uniform(-2, 2), 2)),
    ("seed", True, lambda r: r.randrange(0, 2**31)),
    ("n", True, lambda r: 1),
    ("stop", True, lambda r: _stop(r)),
    ("user", False, lambda r: f"user-{r.randrange(16**8):08x}"),
)
_STOPS = ("\n", "###", "END", "。", "🙂", "fox", "</s>", "\u2028")


def _stop(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return rng.choice(_STOPS)
    return rng.sample(_STOPS, rng.randint(1, 4))


def valid_example(rng: random.Random, k: int, model: str) -> Example:
    """A request inside the Chat Completions request space (schema-valid, cheap to answer)."""
    kind, fragment = _FRAGMENTS[k % len(_FRAGMENTS)]
    messages: list[dict[str, Any]] = []
    if rng.random() < 0.4:
        role = rng.choice(("system", "system", "developer"))
        messages.append({"role": role, "content": _content(rng, _text(rng))})
    for _ in range(rng.randint(0, 2)):
        messages.append({"role": "user", "content": _content(rng, _text(rng))})
        messages.append({"role": "assistant", "content": _text(rng)})
    last = f"{words(rng)} {fragment(rng)} {words(rng, 0, 3)}".strip()
    messages.append({"role": "user", "content": _content(rng, last)})
    body: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": rng.randint(1, 16)}
    for name, nullable, make in _OPTIONAL:
        draw = rng.random()
        if draw < 0.45:
            body[name] = make(rng)
        elif draw < 0.6 and nullable:
            body[name] = None
    draw = rng.random()
    if draw < 0.4:
        body["stream"] = True
        if rng.random() < 0.6:
            body["stream_options"] = {"include_usage": rng.random() < 0.7}
    elif draw < 0.55:
        body["stream"] = False
    elif draw < 0.65:
        body["stream"] = None
    return Example(f"valid: {kind}", json=body)
