"""Fixtures for the hostile-target tests: one shared hostile server, helpers to run exchanges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server import HostileServer


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    """A hostile server whose behaviour is picked per request path (`hostile.base(name)`)."""
    with HostileServer("ok", tick_s=0.25) as server:
        yield server


@pytest.fixture
def other_host() -> Iterator[HostileServer]:
    """A second server on 127.0.0.2 that records whatever reaches it."""
    with HostileServer("ok", host="127.0.0.2") as server:
        yield server
