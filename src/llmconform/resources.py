"""Where the project's data lives: `schemas/`, `conformance/` and `fixtures/`.

They sit at the repository root (they are the standard itself: reviewed and cited as data);
a wheel carries them inside the package as `llmconform/_data/` (hatch force-include). One
function answers for both, so an editable install, a source checkout and a wheel installed
anywhere resolve the same files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["DATA_FOLDERS", "data_path", "data_root", "find_data_root"]

DATA_FOLDERS = ("schemas", "conformance", "fixtures")

_PACKAGE = Path(__file__).resolve().parent


def find_data_root(package: Path) -> Path:
    """The folder holding the data folders for the package installed at `package`.

    The wheel's copy (`<package>/_data`) wins when present; otherwise the source tree's root
    (src layout: two levels above the package). Neither present is a broken installation,
    said as such.
    """
    for root in (package / "_data", package.parent.parent):
        if all((root / name).is_dir() for name in DATA_FOLDERS):
            return root
    raise FileNotFoundError(
        f"llmconform's data folders ({', '.join(DATA_FOLDERS)}) are missing beside {package}: "
        "reinstall the package"
    )


@cache
def data_root() -> Path:
    """The folder holding `schemas/`, `conformance/` and `fixtures/` for this installation."""
    return find_data_root(_PACKAGE)


def data_path(*parts: str) -> Path:
    """A path under the data root, e.g. `data_path("schemas", "report", "report.v1.json")`."""
    return data_root().joinpath(*parts)
