"""Every field a report states is checked by verify: an edit anywhere is rejected.

One run is recorded against a broken server (failing, waived-to-warning, passing and
skipped cases; an applied and an expired waiver; a note), then the report's JSON tree is
walked generically and edited one place at a time: each leaf changed to another value of
its type, each list item dropped and duplicated, each key removed, a key added to each
object. Every distinct field path gets each edit that applies to it once; a deterministic
sample of the rest fills up to a few hundred edits.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from llmconform.catalog import loader
from llmconform.cli import evidence as verify_cli
from llmconform.cli.main import main
from llmconform.reference.server import serve_in_thread

from broken_servers import DONE, BrokenApp, Fault

Edit = tuple[str, tuple[Any, ...]]  # (kind, path of keys and indices)
CAP = 240  # the 218 (edit, field) pairs of the recorded report, and a sample of the rest


def _wrong_object(body: Any) -> Any:
    if isinstance(body, dict) and body.get("object") == "chat.completion":
        return {**body, "object": "chat.completion.wrong"}
    return body


# Streams end without [DONE] (STREAM-003, waived below: warnings) and chat bodies name the
# wrong object (a MUST: failures).
broken_app = BrokenApp(
    Fault(
        "no_done_wrong_object",
        events=lambda evs: [e for e in evs if e != DONE],
        body=_wrong_object,
    ),
    None,
)
WAIVERS = (
    "waivers:\n"
    "  - {requirement: STREAM-003, reason: fix in 2.4, expires: 2999-01-01}\n"
    "  - {requirement: CHAT-001, reason: long gone, expires: 2020-01-01}\n"
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("every-field")
    (folder / "llmconform.yaml").write_text(WAIVERS)
    server = serve_in_thread(broken_app)
    cwd = Path.cwd()
    try:
        os.chdir(folder)  # the config file with the waivers is read from here
        result = invoke("run", "--target", server.url + "/v1", "-k", "chat or stream", "--out", "r")
    finally:
        os.chdir(cwd)
        server.stop()
    assert result.exit_code == 1, result.output
    report = json.loads((folder / "r" / "report.json").read_text())
    outcomes = {c["outcome"] for c in report["cases"]}
    assert {"pass", "warn", "fail", "skip"} <= outcomes, outcomes
    assert {w["status"] for w in report["info"]["options"]["waivers"]} == {"applied", "expired"}
    assert report.get("notes")
    return folder / "r"


@pytest.fixture(autouse=True)
def one_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse the catalog once for the module's hundreds of verifications (it is the same
    catalog verify would parse afresh each time)."""
    catalog = _catalog()
    monkeypatch.setattr(verify_cli, "load_catalog", lambda **_: catalog)


_CATALOG: list[loader.Catalog] = []


def _catalog() -> loader.Catalog:
    if not _CATALOG:
        from llmconform.checks import known_checks

        _CATALOG.append(loader.load_catalog(known_checks=known_checks(), use_cache=False))
    return _CATALOG[0]


def _other(value: Any) -> Any:
    """Another value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 2 + 1.5
    if isinstance(value, str):
        return value + "x" if value else "x"
    return "x"  # null has no other value of its type: a string where null was


def _edits(node: Any, path: tuple[Any, ...] = ()) -> Iterator[Edit]:
    if isinstance(node, dict):
        yield "add-key", path
        for key, value in node.items():
            yield "remove-key", (*path, key)
            yield from _edits(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield "drop", (*path, i)
            yield "duplicate", (*path, i)
            yield from _edits(value, (*path, i))
    else:
        yield "change", path


def field_path(path: tuple[Any, ...]) -> str:
    """The field a path names, list positions left out: `cases[].findings[].message`."""
    return "".join("[]" if isinstance(p, int) else f".{p}" for p in path)


def apply(doc: Any, kind: str, path: tuple[Any, ...]) -> Any:
    """A copy of `doc` with one edit made."""
    out = copy.deepcopy(doc)
    if kind == "add-key":
        parent = out
        for p in path:
            parent = parent[p]
        parent["x_added"] = 1
        return out
    parent = out
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if kind == "remove-key" or kind == "drop":
        del parent[last]
    elif kind == "duplicate":
        parent.insert(last, copy.deepcopy(parent[last]))
    else:
        parent[last] = _other(parent[last])
    return out


def _stable(edit: Edit) -> str:
    return hashlib.sha256(repr(edit).encode()).hexdigest()


_PLANS: dict[str, list[Edit]] = {}


def planned_edits(doc: Any) -> list[Edit]:
    """Each (edit, field) pair once, then a deterministic sample of the rest, up to CAP."""
    key = json.dumps(doc, sort_keys=True)
    if key not in _PLANS:
        _PLANS[key] = _plan(doc)
    return _PLANS[key]


def _plan(doc: Any) -> list[Edit]:
    every = list(_edits(doc))
    first: dict[tuple[str, str], Edit] = {}
    for edit in sorted(every, key=_stable):  # which occurrence stands for a field: hashed
        first.setdefault((edit[0], field_path(edit[1])), edit)
    chosen = list(first.values())
    rest = sorted((e for e in every if e not in chosen), key=_stable)
    return chosen + rest[: max(0, CAP - len(chosen))]


def _doc(recorded: Path) -> Any:
    return json.loads((recorded / "report.json").read_text())


def _edits_for_params() -> list[Any]:
    # The parameters are positions in the plan: the report exists only once the module's
    # run has been recorded, after collection.
    return [pytest.param(i, id=f"edit{i:03d}") for i in range(CAP)]


def test_the_unedited_report_verifies(recorded: Path) -> None:
    result = invoke("verify", "--allow-filtered", str(recorded / "report.json"))
    assert result.exit_code == 0, result.output


def test_every_field_path_is_edited(recorded: Path) -> None:
    doc = _doc(recorded)
    plan = planned_edits(doc)
    paths = {field_path(p) for _, p in _edits(doc)}
    assert paths == {field_path(p) for _, p in plan}
    assert len(plan) <= CAP
    kinds = {(kind, field_path(p)) for kind, p in _edits(doc)}
    assert kinds == {(kind, field_path(p)) for kind, p in plan}  # every edit of every field
    print(f"{len(paths)} field paths, {len(kinds)} (edit, field) pairs, {len(plan)} edits")
    assert re.search(r"\.cases\[\]\.findings\[\]\.message", " ".join(paths))


@pytest.mark.parametrize("index", _edits_for_params())
def test_an_edit_is_rejected(recorded: Path, tmp_path: Path, index: int) -> None:
    doc = _doc(recorded)
    plan = planned_edits(doc)
    if index >= len(plan):
        pytest.skip("the plan is shorter than the cap")
    kind, path = plan[index]
    edited = tmp_path / "report.json"
    edited.write_text(json.dumps(apply(doc, kind, path), indent=2, ensure_ascii=False))
    cassette = recorded / "cassette.jsonl"
    (tmp_path / cassette.name).write_bytes(cassette.read_bytes())
    result = invoke("verify", "--allow-filtered", str(edited))
    assert result.exit_code in (1, 2), f"{kind} {field_path(path)} {path}: {result.output}"
