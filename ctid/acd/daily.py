"""The ACD's calendar work: membership schedules and the day's rollover at local midnight.

One timer waits for the next moment any schedule opens or closes; when it
fires, every logged-on agent's active queues are recomputed. Another waits for
local midnight, when today's figures of agents and queues start again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .agent import AgentDay, Cancellable
from .queue import QueueDay

if TYPE_CHECKING:
    from .core import AcdCore

__all__ = ["Daily"]


class Daily:
    def __init__(self, engine: AcdCore) -> None:
        self.engine = engine
        self._schedule_timer: Cancellable | None = None

    def start(self) -> None:
        engine = self.engine
        self.on_schedule()
        engine.scheduler.call_at(engine.calendar.next_midnight(engine.now()), self.on_midnight)

    def on_schedule(self) -> None:
        """A schedule boundary (or the start): refresh every logged-on agent's queues."""
        engine = self.engine
        now = engine.now()
        for agent in engine.agents.values():
            if agent.logged_on:
                engine.set_active(agent, engine.scheduled_groups(agent, now))
        local = engine.calendar.local(now)
        upcoming = [
            change
            for change in (s.next_change(local) for s in engine.config.schedules.values())
            if change is not None
        ]
        if self._schedule_timer is not None:
            self._schedule_timer.cancel()
            self._schedule_timer = None
        if upcoming:
            self._schedule_timer = engine.scheduler.call_at(
                engine.calendar.trio_time(min(upcoming)), self.on_schedule
            )

    def on_midnight(self) -> None:
        engine = self.engine
        now = engine.now()
        for agent in engine.agents.values():
            agent.account(now)
            agent.day = AgentDay()
        for queue in engine.queues.values():
            queue.today = QueueDay()
            # Keys of free agents may depend on today's figures: index them afresh.
            for agent in queue.strategy.free_agents():
                queue.strategy.add(agent, agent.memberships[queue.name])
            engine.wallboard.touch(queue)
        engine.scheduler.call_at(engine.calendar.next_midnight(now + 1.0), self.on_midnight)
