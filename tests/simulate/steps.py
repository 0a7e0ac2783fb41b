"""A trio instrument the simulation tests use to count what the scheduler ran."""

from __future__ import annotations

import collections

import trio
from trio.abc import Instrument


class Steps(Instrument):
    """Task steps by task name, and scheduler passes (each wait for I/O is one)."""

    def __init__(self) -> None:
        self.steps: collections.Counter[str] = collections.Counter()
        self.passes = 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.steps[task.name] += 1

    def before_io_wait(self, timeout: float) -> None:
        self.passes += 1
