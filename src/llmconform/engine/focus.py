"""The part of a response a finding points at (pure): evidence where the problem is.

A finding's `path` names a place: `event[12]…` (the 13th SSE event of a stream) or a JSON
path such as `$.choices[0].message`. The body excerpt keeps only a body's start and end; this
finds the named event or value and gives its text, so a report can show what was wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from llmconform.checks import Exchange, Unverifiable

__all__ = ["FOCUS_CHARS", "focus"]

FOCUS_CHARS = 600
_EVENT = re.compile(r"^event\[(-?\d+)\]")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(-?\d+)\]")


def focus(exchange: Exchange, path: str) -> str:
    """The text at `path` in the exchange's response, cut to FOCUS_CHARS; "" when not found."""
    try:
        text = _locate(exchange, path)
    except (ValueError, TypeError, KeyError, IndexError, Unverifiable):  # not what it claims
        return ""
    if len(text) > FOCUS_CHARS:
        text = text[: FOCUS_CHARS - 1] + "…"
    return text


def _locate(exchange: Exchange, path: str) -> str:
    event = _EVENT.match(path)
    if event is not None:
        events = exchange.events
        index = int(event.group(1))
        if not -len(events) <= index < len(events):
            return ""
        data = events[index].data
        rest = path[event.end() :]
        if not rest:
            return f"{path}: {data}"
        value = _walk(json.loads(data), rest)
        return f"{path}: {_dump(value)}"
    if path.startswith("$"):
        value = _walk(exchange.json, path[1:])
        return f"{path}: {_dump(value)}"
    return ""


def _walk(value: Any, steps: str) -> Any:
    pos = 0
    for step in _STEP.finditer(steps):
        if step.start() != pos:  # a path this walker does not understand: show nothing
            raise ValueError(steps)
        pos = step.end()
        key, index = step.groups()
        value = value[key] if key is not None else value[int(index)]
    if pos != len(steps):
        raise ValueError(steps)
    return value


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
