"""The ACD service: the thin trio shell around ``AcdEngine``.

It feeds the engine the call model's events and notices (as a sink of
``CallService``, in order), serves its deadlines from the daemon's one
``TimerQueue``, and runs the engine's operations for API requests through
``CallService.request`` so a request is answered once the switch has carried
out what it caused. After work that did not come from the model's own
flush (a timer), ``CallService.sync()`` publishes and sends what the engine
changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import trio

from ..calls.control import CallControl
from ..calls.model import Emitted
from ..calls.notices import Notice
from ..calls.service import CallService
from ..clock import WallClock
from ..facts import QueueFigures
from ..timers import Timer, TimerQueue
from .config import AcdConfig
from .core import Heard, always_heard
from .engine import AcdEngine, Publish

__all__ = ["AcdService"]

P = ParamSpec("P")
R = TypeVar("R")


class AcdService:
    """Owns the engine; implements ``facts.AcdStatistics``."""

    def __init__(
        self,
        config: AcdConfig,
        *,
        calls: CallService,
        control: CallControl,
        timers: TimerQueue,
        clock: WallClock,
        publish: Publish,
        heard: Heard = always_heard,
    ) -> None:
        self.config = config
        self.calls = calls
        self.timers = timers
        self.engine = AcdEngine(
            config,
            model=calls.model,
            control=control,
            csta=calls.csta,
            scheduler=self,
            clock=clock,
            now=trio.current_time,
            publish=publish,
            heard=heard,
            rng=random.Random(config.seed),
        )
        calls.event_sinks.append(self._on_event)
        calls.notice_sinks.append(self._on_notice)
        calls.model.ending_hooks.append(self.engine.on_call_ending)
        #: Run once the engine has started, before the ACD reports itself ready
        #: (live state restores agents and queues here).
        self.start_hooks: list[Callable[[], None]] = []
        #: Run after each batch of work (live state saves what changed).
        self.step_hooks: list[Callable[[], None]] = []

    def end_step(self) -> None:
        """After each batch of work: the engine's books, then the step hooks."""
        self.engine.end_step()
        for hook in self.step_hooks:
            hook()

    # ------------------------------------------------------------ the shell

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the engine's clocks; the engine then runs on sinks and timers alone."""
        self.engine.start()
        for hook in self.start_hooks:
            hook()
        self.end_step()
        self.calls.sync()
        task_status.started()
        await trio.sleep_forever()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """``Scheduler`` for the engine: the daemon's timer heap, then publish and send."""

        def fire() -> None:
            callback()
            self.end_step()
            self.calls.sync()

        return self.timers.call_at(deadline, fire)

    def _on_event(self, emitted: Emitted) -> None:
        # Inside CallService.flush(): changes made here are flushed by that loop.
        self.engine.on_event(emitted)
        self.end_step()

    def _on_notice(self, notice: Notice) -> None:
        self.engine.on_notice(notice)
        self.end_step()

    async def request(self, operation: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run an engine operation for an API request (``CstaError`` if refused)."""

        def run() -> R:
            result = operation(*args, **kwargs)
            self.end_step()
            return result

        return await self.calls.request(run)

    # ------------------------------------------------------------ statistics

    def queue_figures(self) -> list[QueueFigures]:
        return self.engine.queue_figures()
