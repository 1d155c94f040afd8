"""Shared fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from support import RunAgainst, run_against

# Parsed catalogs are cached per user (catalog_cache); the tests keep theirs to themselves, in
# a folder of this process's own (each pytest-xdist worker too), removed at exit.
_CACHE = tempfile.mkdtemp(prefix="llmconform-test-cache-")
os.environ["LLMCONFORM_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)


@pytest.fixture
def suite_run() -> RunAgainst:
    """Run the whole suite in-process against an ASGI app (see support.run_against)."""
    return run_against
