"""Property-based cases (pure): seeded request generators and the `property` expander.

A case tagged `property` names one of the checks in `SPACES`; that check's arguments give the
`seed` and the number of `examples` (run settings may override the count). Example k of a
space is drawn from its own `random.Random`, seeded with the text `space:seed:k`, so:
- the same seed gives byte-identical requests on every machine and Python version (string
  seeds go through SHA-512; `random()`, `randrange` and `choice` are stable since 3.2);
- raising the count appends examples and never changes the first ones;
- nothing is shrunk: shrinking would cost a paid endpoint one request per step.

Why not hypothesis at run time: its example stream depends on the hypothesis version and on
the function's code (`derandomize` hashes it), it runs health checks and a database, and it
would nest a hypothesis engine inside the run's own pytest session. The tests under
tests/properties/ use hypothesis where it shines: checking these generators over many seeds.

Every valid example keeps the cost of an answer small (max_tokens 1..16, n 1). Invalid
examples cycle through `INVALID_KINDS`, so each kind is sent once the count reaches their
number; which field and which bad value a kind uses is drawn from the example's generator.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from llmconform.engine.executor import CaseWork
from llmconform.engine.expand import ExpandOptions, expander, sample_id
from llmconform.engine.plan import PlanError, Variables, build_request
from llmconform.model import Case, Request

VALID, INVALID = "valid", "invalid"
# The check a case applies decides which request space its examples come from.
SPACES = {"property.valid_requests": VALID, "property.invalid_requests": INVALID}
DEFAULT_EXAMPLES = 25
MAX_EXAMPLES = 10_000  # a typo must not turn into a million paid requests
DEFAULT_SEED = 0


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


def _words(rng: random.Random, low: int = 1, high: int = 8) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _text(rng: random.Random) -> str:
    """Plain words, sometimes with an edge-case fragment."""
    if rng.random() < 0.3:
        return _words(rng) + " " + rng.choice(_FRAGMENTS)[1](rng)
    return _words(rng)


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
    last = f"{_words(rng)} {fragment(rng)} {_words(rng, 0, 3)}".strip()
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


# -- invalid requests -----------------------------------------------------------------------
def _base(rng: random.Random, model: str) -> dict[str, Any]:
    """A small valid body that an invalid example then breaks."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": _words(rng, 1, 4)}],
        "max_tokens": rng.randint(1, 16),
    }


# (field, bad values): every value is of a type the schema and OpenAI refuse for the field.
_WRONG_TYPES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("model", (123, ["m"], True, {"id": "m"})),
    ("messages", ("hello", {"role": "user", "content": "hi"}, 42, False)),
    ("temperature", ("0.7", True, [0.5], {"v": 1})),
    ("top_p", ("1", False, [1])),
    ("max_tokens", ("8", 1.5, True, [8])),
    ("n", ("1", 1.5, True)),
    ("stream", ("true", 1, "yes")),
    ("stop", (5, [1, 2], {"s": "x"}, ["ok", 3])),
    ("seed", ("42", 1.5, True)),
    ("user", (5, ["u"], {"id": "u"})),
    ("presence_penalty", ("0", True)),
    ("frequency_penalty", ("0", [0])),
    ("logit_bias", ("x", [1], {"50256": "high"})),
    ("metadata", ("x", {"k": 5})),
    ("store", ("yes", 1)),
)
_TEXT_5 = [{"type": "text", "text": 5}]
_MESSAGE_BREAKS: tuple[tuple[str, Any], ...] = (
    ("a message that is a string", "hi"),
    ("a message that is a number", 5),
    ("a message that is an array", ["user", "hi"]),
    ("role that is a number", {"role": 5, "content": "hi"}),
    ("content that is a number", {"role": "user", "content": 5}),
    ("content that is an object", {"role": "user", "content": {"text": "hi"}}),
    ("a text part whose text is a number", {"role": "user", "content": _TEXT_5}),
    ("a content part that is a string", {"role": "user", "content": ["hi"]}),
)
_TOOL = {"role": "tool", "content": "x"}
_Edit = Callable[[dict[str, Any]], None]


def _first(**changes: Any) -> _Edit:
    """An edit of the first message."""
    return lambda body: body["messages"][0].update(changes)


def _without(key: str) -> _Edit:
    """An edit dropping a key of the first message."""
    return lambda body: body["messages"][0].pop(key)


_MISSING: tuple[tuple[str, _Edit], ...] = (
    ("no model", lambda b: b.pop("model")),
    ("no messages", lambda b: b.pop("messages")),
    ("empty messages", lambda b: b.update(messages=[])),
    ("empty model", lambda b: b.update(model="")),
    ("message without role", _without("role")),
    ("user message without content", _without("content")),
    ("tool message without tool_call_id", lambda b: b["messages"].append(dict(_TOOL))),
    ("text part without text", _first(content=[{"type": "text"}])),
    ("content part without type", _first(content=[{"text": "hi"}])),
    ("empty content array", _first(content=[])),
)
_BAD_ENUMS: tuple[tuple[str, _Edit], ...] = (
    ("unknown role", _first(role="wizard")),
    ("role in upper case", _first(role="USER")),
    ("unknown content part type", _first(content=[{"type": "video", "text": "x"}])),
)
# Documented ranges; a value outside is drawn at most `span` beyond either bound.
_RANGES: tuple[tuple[str, float, float], ...] = (
    ("temperature", 0, 2),
    ("top_p", 0, 1),
    ("presence_penalty", -2, 2),
    ("frequency_penalty", -2, 2),
)


def _outside(rng: random.Random, low: float, high: float, span: float) -> float:
    if rng.random() < 0.5:
        return round(high + rng.uniform(0.01, span), 2)
    return round(low - rng.uniform(0.01, span), 2)


def _wrong_type(rng: random.Random, body: dict[str, Any]) -> str:
    if rng.random() < 0.35:
        what, message = rng.choice(_MESSAGE_BREAKS)
        body["messages"] = [copy.deepcopy(message)]  # examples never share mutable values
        return what
    name, values = rng.choice(_WRONG_TYPES)
    body[name] = copy.deepcopy(rng.choice(values))
    return f"{name}={json.dumps(body[name])}"


def _pick(rng: random.Random, body: dict[str, Any], table: Any) -> str:
    what, apply = rng.choice(table)
    apply(body)
    return str(what)


def _out_of_range(rng: random.Random, body: dict[str, Any]) -> str:
    draw = rng.randrange(len(_RANGES) + 4)
    if draw < len(_RANGES):
        name, low, high = _RANGES[draw]
        body[name] = _outside(rng, low, high, rng.choice((0.5, 10, 1000)))
        return f"{name}={body[name]}"
    draw -= len(_RANGES)
    if draw == 0:
        body["n"] = rng.choice((0, -rng.randint(1, 10), rng.randint(129, 10**6)))
        return f"n={body['n']}"
    if draw == 1:
        body.update(logprobs=True, top_logprobs=rng.choice((-1, rng.randint(21, 1000))))
        return f"top_logprobs={body['top_logprobs']}"
    if draw == 2:
        body["stop"] = [f"s{i}" for i in range(rng.randint(5, 8))]
        return f"{len(body['stop'])} stop sequences"
    body["logit_bias"] = {"50256": rng.choice((rng.randint(101, 10**4), -rng.randint(101, 10**4)))}
    return f"logit_bias={body['logit_bias']}"


def _dump(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _huge_number(rng: random.Random, body: dict[str, Any]) -> bytes:
    digits = "9" * rng.randint(20, 400)
    name, literal = rng.choice(
        (
            ("temperature", f"1e{rng.randint(309, 99999)}"),
            ("top_p", f"-1e{rng.randint(309, 99999)}"),
            ("n", digits),
            ("n", "-" + digits),
            ("presence_penalty", f"{digits}.5"),
        )
    )
    return f'{_dump(body)[:-1]},"{name}":{literal}}}'.encode()


_MALFORMATIONS: tuple[tuple[str, Callable[[random.Random, str], str]], ...] = (
    ("truncated", lambda r, t: t[: r.randint(1, len(t) - 1)]),
    ("trailing comma", lambda r, t: t[:-1] + ",}"),
    ("single quotes", lambda r, t: t.replace('"', "'")),
    ("NaN literal", lambda r, t: t[:-1] + ',"temperature":NaN}'),
    ("Infinity literal", lambda r, t: t[:-1] + ',"top_p":Infinity}'),
    ("unquoted key", lambda r, t: t.replace('"model"', "model", 1)),
    ("comment", lambda r, t: t[:1] + "/* note */" + t[1:]),
    ("two objects", lambda r, t: t + t),
    ("raw newline in a string", lambda r, t: t.replace('"user"', '"us\ner"', 1)),
    ("empty body", lambda r, t: ""),
    ("whitespace only", lambda r, t: " \n\t "),
)
_BAD_UTF8 = (
    b"\xff", b"\xfe\xff", b"\xc3\x28", b"\x80", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc",
    b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82",
)  # fmt: skip


def _invalid_utf8(rng: random.Random, body: dict[str, Any]) -> tuple[str, bytes]:
    bad = rng.choice(_BAD_UTF8)
    body["messages"][0]["content"] = "\x00MARK\x00"
    raw = _dump(body).encode().replace(b"\\u0000MARK\\u0000", b"ab" + bad + b"cd")
    return f"bytes {bad.hex(' ')} in a string", raw


def _deep(rng: random.Random, body: dict[str, Any]) -> tuple[str, bytes]:
    # Deeper than common parser limits (Python 1000, serde_json 128); at `messages` the value
    # is wrong at any depth, so a parser without a limit must still reject it.
    depth = rng.randint(2_000, 20_000)
    nested = (
        "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
    )
    text = _dump({k: v for k, v in body.items() if k != "messages"})
    return f"messages nested {depth} deep", f'{text[:-1]},"messages":{nested}}}'.encode()


def _not_object(rng: random.Random, body: dict[str, Any]) -> tuple[str, bytes]:
    value = rng.choice(([body], "hello", 42, None, True, [1, 2, 3]))
    return f"a JSON {type(value).__name__} body", _dump(value).encode()


INVALID_KINDS = (
    "wrong type", "missing field", "malformed JSON", "out of range", "invalid UTF-8",
    "deep nesting", "bad enum value", "huge number", "not an object",
)  # fmt: skip


def invalid_example(rng: random.Random, k: int, model: str) -> Example:
    """A request outside the request space; the kind cycles with k (see `INVALID_KINDS`)."""
    kind = INVALID_KINDS[k % len(INVALID_KINDS)]
    body = _base(rng, model)
    if kind == "wrong type":
        return Example(f"{kind}: {_wrong_type(rng, body)}", json=body)
    if kind == "missing field":
        return Example(f"{kind}: {_pick(rng, body, _MISSING)}", json=body)
    if kind == "bad enum value":
        return Example(f"{kind}: {_pick(rng, body, _BAD_ENUMS)}", json=body)
    if kind == "out of range":
        return Example(f"{kind}: {_out_of_range(rng, body)}", json=body)
    if kind == "malformed JSON":
        what, mangle = rng.choice(_MALFORMATIONS)
        return Example(f"{kind}: {what}", content=mangle(rng, _dump(body)).encode())
    if kind == "huge number":
        return Example(kind, content=_huge_number(rng, body))
    make = {"invalid UTF-8": _invalid_utf8, "deep nesting": _deep, "not an object": _not_object}
    what, raw = make[kind](rng, body)
    return Example(f"{kind}: {what}", content=raw)


# -- the expander -----------------------------------------------------------------------------
def generate(space: str, seed: int, count: int, model: str) -> list[Example]:
    """Examples 0..count-1 of a space; example k depends only on (space, seed, k, model)."""
    make = {VALID: valid_example, INVALID: invalid_example}[space]
    return [make(random.Random(f"{space}:{seed}:{k}"), k, model) for k in range(count)]


def space_of(case: Case) -> tuple[str, Mapping[str, Any]]:
    """The request space a property case draws from and its check's arguments."""
    for ref in case.checks:
        if ref.name in SPACES:
            return SPACES[ref.name], dict(ref.args)
    raise PlanError(f"{case.id}: a property case applies one of {sorted(SPACES)}")


def example_count(args: Mapping[str, Any], settings: Mapping[str, Any] | None) -> int:
    """Examples to send: `settings["properties"]["examples"]`, else the case's, else 25."""
    section = (settings or {}).get("properties")
    chosen = section.get("examples") if isinstance(section, Mapping) else None
    if chosen is None:
        chosen = args.get("examples", DEFAULT_EXAMPLES)
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 1 <= chosen <= MAX_EXAMPLES:
        raise PlanError(f"property examples must be an integer in 1..{MAX_EXAMPLES}: {chosen!r}")
    return chosen


def to_request(template: Request, example: Example) -> Request:
    """The request for an example: path and auth from the case's step, the example's body."""
    if example.content is not None:
        return replace(template, json=None, content=example.content, stream=False)
    body = example.json
    stream = isinstance(body, dict) and body.get("stream") is True
    return replace(template, json=body, content=None, stream=stream)


@expander("property")
def expand_property(case: Case, variables: Variables, options: ExpandOptions) -> list[CaseWork]:
    """One sample per generated example of the case's request space."""
    space, args = space_of(case)
    if len(case.steps) != 1:
        raise PlanError(f"{case.id}: a property case has exactly one step (its request template)")
    template = build_request(case.steps[0], variables.as_dict(), case.id, case.api)
    count = example_count(args, options.settings)
    seed = args.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise PlanError(f"{case.id}: property seed must be an integer, got {seed!r}")
    examples = generate(space, seed, count, variables.model)
    return [
        CaseWork(sample_id(case.id, k), (to_request(template, ex),))
        for k, ex in enumerate(examples)
    ]
