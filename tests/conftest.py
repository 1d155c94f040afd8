"""Shared fixtures."""

from __future__ import annotations

import pytest

from support import RunAgainst, run_against


@pytest.fixture
def suite_run() -> RunAgainst:
    """Run the whole suite in-process against an ASGI app (see support.run_against)."""
    return run_against
