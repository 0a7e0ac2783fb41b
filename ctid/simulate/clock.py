"""The clock simulations run on: time jumps to the next deadline whenever every task waits.

``run.py`` and ``campaign.py`` use ``JumpingClock``, which does what trio's
``MockClock(autojump_threshold=0)`` does in one scheduler pass less per jump;
``mock_clock`` (trio's own, read without the real clock) stays as the reference the
tests compare with.
"""

from __future__ import annotations

import math

import trio

from ..timers import TimerQueue

# ``trio.testing`` is where trio documents MockClock, but importing it imports pytest
# when pytest is installed (for its RaisesGroup helpers): 0.15-0.3 s of every
# simulation in a development environment, for a class trio defines in
# ``trio._core._mock_clock`` and ``trio.testing`` only re-exports. The fallback
# keeps this working if trio moves it.
try:
    from trio._core._mock_clock import MockClock
except ImportError:  # pragma: no cover - a trio that moved it
    from trio.testing import MockClock

__all__ = ["JumpingClock", "MockClock", "mock_clock"]


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


class JumpingClock(trio.abc.Clock):
    """Virtual time from 0.0 that moves only by jumping to the next deadline.

    ``MockClock(autojump_threshold=0)`` jumps in a scheduler pass of its own: trio
    finds no task runnable, polls for I/O, then jumps (reading the run's statistics
    for the next deadline), and only the next pass wakes the tasks whose deadline
    came. This clock jumps when trio asks it how long to sleep until the next
    deadline, which trio does only when no task is runnable, and answers 0: the
    same pass wakes them (issue 14: a simulated call waits for two deadlines, its
    arrival and its end, so two passes a call less). The jump is computed as
    MockClock computes it (``now + (deadline - now)``), so every reading is the
    same float as on MockClock.

    With no deadline at all it sleeps until I/O (a worker thread's result) where
    MockClock polls without sleeping; either way nothing else can happen.

    ``serve(timers)`` makes it the alarm of a ``TimerQueue`` too: its task sleeps
    without a cancel scope, and the clock, when it jumps to that queue's next
    deadline, wakes it (``TimerQueue.set_off``) in the pass where trio wakes the
    tasks due at the same instant, as the scope's deadline would have.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: TimerQueue | None = None

    def serve(self, timers: TimerQueue) -> None:
        """Wake ``timers``' task at its deadlines (``TimerQueue.serve_by_clock``)."""
        self.timers = timers
        timers.serve_by_clock()

    def start_clock(self) -> None:
        """Nothing to start: the time is virtual."""

    def current_time(self) -> float:
        return self.now

    def deadline_to_sleep_time(self, deadline: float) -> float:
        now = self.now
        timers = self.timers
        if timers is not None and timers.parked:
            due = timers.next_deadline()
            if due <= deadline and due < math.inf:
                if due > now:
                    self.now = now + (due - now)
                # Alone: trio asks only when no task is runnable, and wakes no other
                # task before ``deadline`` (a simulation waits for no I/O).
                timers.set_off(alone=due < deadline)
                return 0.0
        if deadline <= now:
            return 0.0
        if deadline == math.inf:
            return math.inf
        self.now = now + (deadline - now)
        return 0.0
