"""The clock simulations run on: trio's ``MockClock``, jumping to the next deadline."""

from __future__ import annotations

# ``trio.testing`` is where trio documents MockClock, but importing it imports pytest
# when pytest is installed (for its RaisesGroup helpers): 0.15-0.3 s of every
# simulation in a development environment, for a class trio defines in
# ``trio._core._mock_clock`` and ``trio.testing`` only re-exports. The fallback
# keeps this working if trio moves it.
try:
    from trio._core._mock_clock import MockClock
except ImportError:  # pragma: no cover - a trio that moved it
    from trio.testing import MockClock

__all__ = ["MockClock", "mock_clock"]


def mock_clock() -> MockClock:
    """A clock on which hours pass in moments: it jumps whenever every task waits."""
    return MockClock(autojump_threshold=0)
