"""One task, many deadlines.

A contact centre has thousands of pending timeouts (rings, wrap-ups, digit
timeouts). A trio task or a ``sleep_until`` per timeout costs a task switch and
a scheduler entry each, and thousands of live tasks make garbage collection
pauses long. ``TimerQueue`` keeps the deadlines in a heap and one task sleeps
until the earliest, then runs the due callbacks synchronously, in deadline
order (ties in the order they were scheduled).

``ctid simulate`` has its clock wake that task instead (``serve_by_clock``): a
cancel scope's deadline costs, per wake-up, a scope and a ``Cancelled`` raised
through the task, several times the cost of the scheduler pass itself.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from collections.abc import Callable
from typing import Any

import trio

__all__ = ["Timer", "TimerQueue"]


class Timer:
    """A handle to a scheduled callback; ``cancel()`` is idempotent."""

    __slots__ = ("_callback", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self._callback: Callable[[], None] | None = callback

    @property
    def active(self) -> bool:
        return self._callback is not None

    def cancel(self) -> None:
        self._callback = None


class TimerQueue:
    """A heap of deadlines served by ``run()``; callbacks must not block."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._changed = trio.Event()
        #: ``run`` sleeps until ``set_off`` rather than until a cancel scope's deadline.
        self._by_clock = False
        #: ``run``'s task while it sleeps that way.
        self._parked: trio.lowlevel.Task | None = None
        #: The clock woke ``run`` alone at this instant (``set_off``).
        self._alone = False
        #: Runs each wake-up's due callbacks, given them and whether the clock woke
        #: ``run`` alone (``calls.service.CallService.fold_after``; ``ctid simulate``).
        self.wrap_due: Callable[[Callable[[], object], bool], None] | None = None

    def __len__(self) -> int:
        return sum(1 for _, _, t in self._heap if t.active)

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` at trio time ``deadline``."""
        timer = Timer(deadline, callback)
        first = self._heap[0][0] if self._heap else math.inf
        heapq.heappush(self._heap, (deadline, next(self._order), timer))
        if deadline < first:
            if self._parked is None:
                self._changed.set()
            elif deadline <= trio.current_time():
                # Due now: run as soon as the old way would (its wake-up runs it); a
                # later deadline is the clock's to see when it next asks.
                self.set_off()
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` ``delay`` seconds from now."""
        return self.call_at(trio.current_time() + delay, callback)

    def next_deadline(self) -> float:
        while self._heap and not self._heap[0][2].active:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else math.inf

    def run_due(self, now: float) -> int:
        """Run every callback due at ``now``; returns how many ran."""
        ran = 0
        while self._heap and self._heap[0][0] <= now:
            _, _, timer = heapq.heappop(self._heap)
            callback = timer._callback
            if callback is not None:
                timer._callback = None
                callback()
                ran += 1
        return ran

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve the deadlines until cancelled."""
        task_status.started()
        while True:
            if self._by_clock:
                self._parked = trio.lowlevel.current_task()
                await trio.lowlevel.wait_task_rescheduled(self._unpark)
            else:
                self._changed = trio.Event()
                deadline = self.next_deadline()
                with trio.move_on_at(deadline):
                    await self._changed.wait()
            now = trio.current_time()
            if self.wrap_due is None:
                self.run_due(now)
            else:
                alone, self._alone = self._alone, False
                self.wrap_due(functools.partial(self.run_due, now), alone)

    # ------------------------------------------------- woken by the run's clock

    def serve_by_clock(self) -> None:
        """From now on ``run`` sleeps until ``set_off``, which the run's clock calls when
        it reaches ``next_deadline()`` (``simulate.clock.JumpingClock``, the only
        caller: a clock that moves only by jumps knows when a deadline comes).
        """
        self._by_clock = True
        self._changed.set()

    @property
    def parked(self) -> bool:
        """``run`` sleeps until ``set_off`` (``serve_by_clock``)."""
        return self._parked is not None

    def set_off(self, *, alone: bool = False) -> None:
        """Wake ``run`` to run the callbacks due (``serve_by_clock``). ``alone``: the
        clock jumped to this queue's deadline and no other task wakes at that instant
        (then ``run`` is the only task of its scheduler pass; see ``wrap_due``)."""
        task, self._parked = self._parked, None
        if task is not None:
            self._alone = alone
            trio.lowlevel.reschedule(task)

    def _unpark(self, _: Any) -> trio.lowlevel.Abort:
        self._parked = None
        return trio.lowlevel.Abort.SUCCEEDED
