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
    """A clock on which hours pass in moments: it jumps whenever every task waits.

    Its rate stays 0 (time moves only by jumps), so its reading is read directly:
    a MockClock at rate 0 computes its base plus ``0 * (real clock - real base)``,
    which is the base exactly, and reading the clock is the most frequent thing a
    simulation does (~58 times a call: trio's run loop and cancel scopes, the call
    model, the ACD, the simulator). MockClock cannot be subclassed (trio marks it
    final), hence the instance's own ``current_time``.
    """
    clock = MockClock(autojump_threshold=0)
    if clock.rate == 0 and isinstance(getattr(clock, "_virtual_base", None), float):
        clock.current_time = lambda: clock._virtual_base  # type: ignore[method-assign]
    return clock
