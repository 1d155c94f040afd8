"""catalog_cache: the parsed conformance files come back the same from the JSON copy, and a
changed, corrupt or unwritable cache never changes what is loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmconform.catalog.cache import cache_dir, load_documents
from llmconform.catalog.loader import load_catalog
from llmconform.errors import CatalogError

DOC = "area: demo\nrequirements: []\ncases: []\nnote: {a: [1, 2.5, true, null]}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("LLMCONFORM_CACHE_DIR", str(where))
    return where


def _tree(root: Path, **files: str) -> list[Path]:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    return sorted(root.rglob("*.yaml"))


def test_the_second_load_is_served_from_the_cache(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "c"
    files = _tree(root, a=DOC, b="area: b\n")
    first = load_documents(root, files)
    (copy,) = cache.glob("catalog-*.json")
    # Mark the copy, so that the next load can only have come from it.
    stored = json.loads(copy.read_text())
    stored[0][1]["area"] = "from-cache"
    copy.write_text(json.dumps(stored))
    second = load_documents(root, files)
    assert first[0][1]["area"] == "demo" and second[0][1]["area"] == "from-cache"
    assert [rel for rel, _ in second] == ["a.yaml", "b.yaml"]


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "c"
    files = _tree(root, a=DOC)
    load_documents(root, files)
    _tree(root, a=DOC.replace("demo", "edited"))
    assert load_documents(root, files)[0][1]["area"] == "edited"


@pytest.mark.parametrize(
    "corrupt", ["", "{not json", "[]", '[["other.yaml", {}]]', '[{"a": 1}]', '[["a.yaml"]]']
)
def test_a_corrupt_copy_is_ignored(tmp_path: Path, cache: Path, corrupt: str) -> None:
    root = tmp_path / "c"
    files = _tree(root, a=DOC)
    expected = load_documents(root, files)
    (copy,) = cache.glob("catalog-*.json")
    copy.write_text(corrupt)
    assert load_documents(root, files) == expected


def test_what_json_would_change_is_not_cached(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "c"
    files = _tree(root, a="area: a\nmap: {1: one}\nwhen: 2026-11-29\n")
    docs = load_documents(root, files)
    assert docs[0][1]["map"] == {1: "one"}
    assert not list(cache.glob("catalog-*.json"))


def test_an_unwritable_cache_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LLMCONFORM_CACHE_DIR", str(blocker / "cache"))
    root = tmp_path / "c"
    assert load_documents(root, _tree(root, a=DOC))[0][1]["area"] == "demo"


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMCONFORM_CACHE_DIR", "")
    assert cache_dir() is None
    monkeypatch.delenv("LLMCONFORM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/nonexistent-xdg")
    assert cache_dir() == Path("/nonexistent-xdg/llmconform")


def test_only_the_newest_copies_are_kept(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "c"
    for k in range(7):
        load_documents(root, _tree(root, a=f"area: v{k}\n"))
    assert len(list(cache.glob("catalog-*.json"))) == 4


def test_the_packaged_catalog_loads_the_same_from_the_cache(cache: Path) -> None:
    parsed = load_catalog()
    assert list(cache.glob("catalog-*.json"))
    cached = load_catalog()
    assert cached == parsed and cached.digest() == parsed.digest()


def test_bad_yaml_and_bad_utf8_name_the_file(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "c"
    _tree(root, a=DOC, b="cases: [unclosed\n")
    with pytest.raises(CatalogError, match=r"b\.yaml: not valid YAML"):
        load_catalog(root)
    (root / "b.yaml").write_bytes(b"area: \xff\n")
    with pytest.raises(CatalogError, match=r"b\.yaml: not valid YAML"):
        load_catalog(root)


def _poisoned_copy(tmp_path: Path, cache: Path) -> tuple[Path, list[Path], Path]:
    """A cached copy (of ours), and the path of it."""
    root = tmp_path / "c"
    files = _tree(root, a=DOC)
    load_documents(root, files)
    (copy,) = cache.glob("catalog-*.json")
    return root, files, copy


def test_a_copy_anyone_else_could_have_written_is_not_read(tmp_path: Path, cache: Path) -> None:
    root, files, copy = _poisoned_copy(tmp_path, cache)
    poisoned = json.loads(copy.read_text())
    poisoned[0][1]["area"] = "poisoned"
    copy.write_text(json.dumps(poisoned))
    assert load_documents(root, files)[0][1]["area"] == "poisoned"  # ours: trusted
    copy.chmod(0o666)  # writable by others now
    assert load_documents(root, files)[0][1]["area"] == "demo"
    copy.chmod(0o644)
    cache.chmod(0o777)  # a folder others may write into (and swap the copy)
    try:
        assert load_documents(root, files)[0][1]["area"] == "demo"
    finally:
        cache.chmod(0o700)


def test_a_link_or_a_fifo_in_place_of_the_copy_is_not_followed(tmp_path: Path, cache: Path) -> None:
    root, files, copy = _poisoned_copy(tmp_path, cache)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps([["a.yaml", {"area": "linked"}]]))
    copy.unlink()
    copy.symlink_to(elsewhere)
    assert load_documents(root, files)[0][1]["area"] == "demo"
    copy.unlink()
    os.mkfifo(copy)  # reading a FIFO with no writer would block forever
    assert load_documents(root, files)[0][1]["area"] == "demo"


def test_verify_parses_the_yaml_whatever_the_cache_holds(cache: Path) -> None:
    load_catalog()  # writes the copy
    (copy,) = cache.glob("catalog-*.json")
    poisoned = json.loads(copy.read_text())
    for _, doc in poisoned:
        for req in doc.get("requirements") or []:
            req["level"] = "MAY"
    copy.write_text(json.dumps(poisoned))
    assert load_catalog().requirements["STREAM-003"].level.value == "MAY"  # the run's view
    fresh = load_catalog(use_cache=False)
    assert fresh.requirements["STREAM-003"].level.value == "MUST"
