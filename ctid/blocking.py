"""How services run blocking work (database, files): in a worker thread, or inline in tests.

The daemon always uses ``in_thread`` (``trio.to_thread.run_sync`` with the
caller's limiter), so a slow disk or database never stalls the trio thread.

``inline`` runs the function directly in the trio thread. It exists for
tests on ``trio.testing.MockClock`` only: while a worker thread runs, every
trio task looks blocked, so the mock clock jumps to the next deadline (a ring
timeout, a request's time limit) in the middle of what the test meant as an
instant. Run inline, the same blocking code executes with the clock stopped.
The thread path itself is tested apart (writer tests, the kill tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import trio

__all__ = ["Blocking", "in_thread", "inline"]

T = TypeVar("T")


class Blocking(Protocol):
    """Runs ``fn(*args)``, which blocks, without stalling other trio tasks."""

    async def __call__(
        self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
    ) -> T: ...


async def in_thread(
    fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
) -> T:
    """In a worker thread (the daemon's way)."""
    return await trio.to_thread.run_sync(fn, *args, limiter=limiter)


async def inline(
    fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None
) -> T:
    """In the trio thread, for tests on MockClock (see the module docstring)."""
    await trio.lowlevel.checkpoint()
    return fn(*args)
