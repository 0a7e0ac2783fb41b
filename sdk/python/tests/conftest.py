"""Fixtures: the real ctid server in a thread, reached over real sockets on port 0."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import ServerThread


@pytest.fixture
def server() -> Iterator[ServerThread]:
    """A fresh ctid daemon on the simulator (extensions 1001-1010) for one test."""
    with ServerThread() as running:
        yield running
