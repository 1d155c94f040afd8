"""The invalid request space of the property cases: requests a server must or should refuse.

`invalid_example` cycles through `INVALID_KINDS` (wrong types, missing fields, malformed JSON or
JSON extensions such as NaN, out-of-range values, invalid UTF-8, deep nesting, bad enum values,
huge numbers, non-object bodies) and draws which field and which bad value a kind uses from the
example's generator. Each kind's tables and byte-level manglers are here, apart from the valid
space (`valid_requests`) and the expander (`properties`), because they are most of the code and
change for their own reasons (a new way to break a request).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

from llmconform.engine.valid_requests import Example, words


def _base(rng: random.Random, model: str) -> dict[str, Any]:
    """A small valid body that an invalid example then breaks."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": words(rng, 1, 4)}],
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


# Entries marked EXTENSION are JSON except for a literal that RFC 8259 §9 lets a lenient parser
# accept (Python's json does): the checks judge them at SHOULD (PROP-006), the rest at MUST
# (PROP-002). They share one table so that the seeded draws, and thus the examples, stay put.
EXTENSION = "(a JSON extension)"
_MALFORMATIONS: tuple[tuple[str, Callable[[random.Random, str], str]], ...] = (
    ("truncated", lambda r, t: t[: r.randint(1, len(t) - 1)]),
    ("trailing comma", lambda r, t: t[:-1] + ",}"),
    ("single quotes", lambda r, t: t.replace('"', "'")),
    (f"NaN literal {EXTENSION}", lambda r, t: t[:-1] + ',"temperature":NaN}'),
    (  # the sign follows the body, not the generator, for the same reason
        f"±Infinity literal {EXTENSION}",
        lambda r, t: t[:-1] + (',"top_p":Infinity}' if len(t) % 2 else ',"top_p":-Infinity}'),
    ),
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
