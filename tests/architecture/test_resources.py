"""The data folders are found in a source checkout and in a wheel's layout alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmconform.resources import DATA_FOLDERS, data_path, data_root, find_data_root

ROOT = Path(__file__).resolve().parents[2]


def _layout(base: Path, *folders: str) -> None:
    for name in folders:
        (base / name).mkdir(parents=True)


def test_a_checkout_reads_the_repository_root() -> None:
    assert data_root() == ROOT
    assert data_path("schemas", "report", "report.v1.json").is_file()


def test_a_wheel_reads_its_packaged_copy(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "llmconform"
    _layout(package / "_data", *DATA_FOLDERS)
    assert find_data_root(package) == package / "_data"


def test_the_packaged_copy_wins_over_a_tree_around_it(tmp_path: Path) -> None:
    # An installed wheel inside some project's src/ layout must not read that project's folders.
    package = tmp_path / "src" / "llmconform"
    _layout(tmp_path, *DATA_FOLDERS)
    _layout(package / "_data", *DATA_FOLDERS)
    assert find_data_root(package) == package / "_data"


def test_a_source_layout_without_a_copy_reads_two_levels_up(tmp_path: Path) -> None:
    package = tmp_path / "src" / "llmconform"
    package.mkdir(parents=True)
    _layout(tmp_path, *DATA_FOLDERS)
    assert find_data_root(package) == tmp_path


def test_missing_data_is_said_plainly(tmp_path: Path) -> None:
    package = tmp_path / "src" / "llmconform"
    _layout(package / "_data", "schemas")  # incomplete
    with pytest.raises(FileNotFoundError, match="reinstall"):
        find_data_root(package)


def test_the_wheel_build_force_includes_every_data_folder() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in DATA_FOLDERS:
        assert f'"{name}" = "llmconform/_data/{name}"' in text
