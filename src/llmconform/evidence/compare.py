"""Field-by-field comparison of two JSON values, as lines a person can act on (pure).

`verify` renders the report it recomputed from the evidence and the report it was given in
the same JSON form and asks this module where they differ: each line names the field by its
path (`cases[chat.basic].findings[0].message`), what the report says and what the evidence
gives. Lists of objects that carry an identity (`case_id`, `id`, `name`) are matched by it,
so one dropped case reads as that case missing, not as every later case differing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["diff_json", "well_formed_duration", "well_formed_timestamp"]

_IDENTITIES = ("case_id", "id", "name")
_SHOWN = 80  # characters of a value quoted in a difference
_WORD = re.compile(r"[A-Za-z][\w.:-]{0,40}")


def _show(value: Any) -> str:
    if isinstance(value, str) and _WORD.fullmatch(value):
        return value  # an outcome, an id: readable as it is
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _same_scalar(a: Any, b: Any) -> bool:
    # JSON has one number type (0 and 0.0 are the same number), but a boolean is not a
    # number: Python's True == 1 must not pass for equal here.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _identity(items: Sequence[Any]) -> str | None:
    """The key that names each item of a list of objects uniquely, if there is one."""
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    for key in _IDENTITIES:
        if all(isinstance(i.get(key), str) for i in items):
            return key
    return None


def _diff_list(path: str, mine: Sequence[Any], theirs: Sequence[Any], out: list[str]) -> None:
    key = _identity([*mine, *theirs])
    if key is None:
        if len(mine) != len(theirs):
            out.append(
                f"{path}: report lists {len(mine)} item(s) {_show(list(mine))}, the evidence "
                f"gives {len(theirs)} {_show(list(theirs))}"
            )
            return
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            _diff(f"{path}[{i}]", a, b, out)
        return
    mine_ids = [m[key] for m in mine]
    their_ids = [t[key] for t in theirs]
    for name in sorted({n for n in mine_ids if mine_ids.count(n) > 1}):
        out.append(f"{path}: {name} is listed more than once")
    for name in [n for n in their_ids if n not in mine_ids]:
        out.append(f"{path}: {name} is missing from the report")
    for name in dict.fromkeys(n for n in mine_ids if n not in their_ids):
        out.append(f"{path}: {name} is in the report, not in what the evidence gives")
    by_id = {t[key]: t for t in theirs}
    for item in mine:
        if item[key] in by_id:
            _diff(f"{path}[{item[key]}]", item, by_id[item[key]], out)
    common = [n for n in mine_ids if n in by_id]
    if common != [n for n in their_ids if n in mine_ids] and len(set(common)) == len(common):
        out.append(f"{path}: the order differs from the evidence's")


def _diff(path: str, mine: Any, theirs: Any, out: list[str]) -> None:
    if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
        for key in theirs:
            if key not in mine:
                out.append(f"{path}.{key}: missing from the report")
        for key in mine:
            if key not in theirs:
                out.append(f"{path}.{key}: not something the evidence gives")
            else:
                _diff(f"{path}.{key}", mine[key], theirs[key], out)
        return
    if isinstance(mine, list) and isinstance(theirs, list):
        _diff_list(path, mine, theirs, out)
        return
    if not _same_scalar(mine, theirs):
        out.append(f"{path}: report says {_show(mine)}, the evidence gives {_show(theirs)}")


def diff_json(path: str, mine: Any, theirs: Any) -> list[str]:
    """Where JSON value `mine` (the report's) differs from `theirs` (the evidence's), each
    difference as one line starting with its field path under `path`."""
    out: list[str] = []
    _diff(path, mine, theirs, out)
    return out


def well_formed_timestamp(value: str) -> bool:
    """An ISO 8601 date-time with a UTC offset, as a run writes its `started_at`."""
    import datetime as dt

    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return stamp.tzinfo is not None


def well_formed_duration(value: float | None) -> bool:
    """A finite, non-negative number of milliseconds."""
    return value is not None and math.isfinite(value) and value >= 0
