"""JSON documents to compare validators on: every body of the packaged reference cassette,
the recorded corpus when it is present, and seeded mutations of them (tests only)."""

from __future__ import annotations

import copy
import functools
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmconform.evidence.cassette import load
from llmconform.schema.validation import get_schema, schema_ids

from support import CORPUS

CORPUS_SAMPLE = 1500
# The schemas of API documents (not the shared definitions, not llmconform's own report).
API_SCHEMAS = tuple(
    sid for sid in schema_ids() if not sid.endswith("/common") and ":report/" not in sid
)
REFERENCE = Path(__file__).resolve().parent / "fixtures" / "cassettes" / "reference.jsonl"


def _sse_data(text: str) -> Iterator[str]:
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [ln[5:].removeprefix(" ") for ln in block.split("\n") if ln.startswith("data:")]
        if data and "\n".join(data).strip() != "[DONE]":
            yield "\n".join(data)


def _bodies(text: str) -> Iterator[Any]:
    chunks = list(_sse_data(text)) if "data:" in text else [text]
    for chunk in chunks:
        try:
            yield json.loads(chunk)
        except ValueError:
            continue


@functools.cache
def documents() -> tuple[Any, ...]:
    """Requests and responses of the reference cassette, plus the corpus if present."""
    found: list[Any] = []
    for captures in load(REFERENCE).cases.values():
        for capture in captures:
            if capture.request.json is not None:
                found.append(capture.request.json)
            body = b"".join(c.data for c in capture.chunks).decode("utf-8", "replace")
            found.extend(_bodies(body))
    if CORPUS.is_dir():
        recorded: dict[str, Any] = {}
        for path in sorted(CORPUS.rglob("*")):
            if path.suffix in (".json", ".sse") and path.is_file():
                for doc in _bodies(path.read_text(encoding="utf-8", errors="replace")):
                    recorded.setdefault(json.dumps(doc, sort_keys=True), doc)
        # ~6,800 distinct documents, mostly stream events alike but for their text: an even
        # sample keeps every provider and event kind while the test stays a few seconds.
        corpus = list(recorded.values())
        found.extend(corpus[:: max(1, len(corpus) // CORPUS_SAMPLE)])
    return tuple(found)


@functools.cache
def fitting_schema(index: int) -> str | None:
    """A packaged API schema that document `index` is valid for (jsonschema decides)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

    from llmconform.schema import prepared_schema

    doc = documents()[index]
    for sid in API_SCHEMAS:
        schema = prepared_schema(sid)
        if Draft202012Validator(schema).is_valid(doc):
            return sid
    return None


@functools.cache
def schema_strings() -> tuple[str, ...]:
    """Every string a packaged schema names in a const or enum (branch discriminators)."""
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "const" and isinstance(value, str):
                    seen.add(value)
                elif key == "enum" and isinstance(value, list):
                    seen.update(v for v in value if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for sid in schema_ids():
        walk(get_schema(sid))
    return tuple(sorted(seen))


def _slots(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _slots(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _slots(value, (*path, i))


_ODD_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 1, 1.5, -2.5, 1e300, "", "x", [], {})


def mutate(doc: Any, rng: random.Random) -> Any:
    """`doc` with one seeded change somewhere: a member deleted, a value swapped for an odd
    value or a schema-named string, an unknown member added, a list emptied or doubled."""
    doc = copy.deepcopy(doc)
    path = rng.choice(list(_slots(doc)))
    if not path:
        return rng.choice((*_ODD_VALUES, [doc], "text"))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    key, value = path[-1], parent[path[-1]]
    choice = rng.randrange(6)
    if choice == 0 and isinstance(parent, dict):
        del parent[key]
    elif choice == 1:
        parent[key] = rng.choice(schema_strings())
    elif choice == 2 and isinstance(value, dict):
        value[rng.choice(("zz_unknown", *schema_strings()[:40]))] = rng.choice(_ODD_VALUES)
    elif choice == 3 and isinstance(value, list):
        parent[key] = rng.choice(([], value + value, value[:1]))
    else:
        parent[key] = rng.choice(_ODD_VALUES)
    return doc
