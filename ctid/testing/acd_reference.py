"""A naive ACD router: the same decisions as ``acd.router`` by scanning every agent and call.

It is the reference the property tests hold the indexed router to, and the
baseline ``bench/`` measures it against. It keeps no index: each decision
looks at every agent (or every waiting call) and takes the minimum by the
same keys the strategies use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..acd.agent import Agent
from ..acd.agent_states import AgentState
from ..acd.queue import Entry, QueueRuntime
from ..acd.strategies import LastAgent, RingAll, RoundRobin

__all__ = ["NaiveRouter"]


class NaiveRouter:
    def __init__(self, queues: Mapping[str, QueueRuntime], agents: Mapping[str, Agent]) -> None:
        self.queues = queues
        self.agents = agents
        #: round-robin memory per queue (position of the agent given the last call).
        self.last: dict[str, int] = {}

    def free(self, queue: QueueRuntime) -> list[Agent]:
        return [
            a
            for a in self.agents.values()
            if a.state is AgentState.READY and queue.name in a.active
        ]

    def agents_for(self, queue: QueueRuntime, entry: Entry) -> list[Agent]:
        free = self.free(queue)
        if not free:
            return []
        strategy = queue.strategy
        name = queue.name
        if isinstance(strategy, LastAgent):
            agent_id = strategy.ctx.last_agent(entry.caller, strategy.max_age)
            chosen = next((a for a in free if a.agent_id == agent_id), None)
            if chosen is not None:
                return [chosen]
            strategy = strategy.fallback

        def key(agent: Agent) -> tuple[Any, ...]:
            member = agent.memberships[name]
            return (member.penalty, *strategy.key(agent, member))

        tier = min(a.memberships[name].penalty for a in free)
        if isinstance(strategy, RingAll):
            return sorted((a for a in free if a.memberships[name].penalty == tier), key=key)
        if isinstance(strategy, RoundRobin):
            in_tier = sorted(
                (a for a in free if a.memberships[name].penalty == tier),
                key=lambda a: a.memberships[name].position,
            )
            last = self.last.get(name, -1)
            after = [a for a in in_tier if a.memberships[name].position > last]
            chosen = (after or in_tier)[0]
            self.last[name] = chosen.memberships[name].position
            return [chosen]
        return [min(free, key=key)]

    def best_entry_for(self, agent: Agent) -> tuple[QueueRuntime, Entry] | None:
        best: tuple[QueueRuntime, Entry] | None = None
        best_key: tuple[Any, ...] | None = None
        for queue in self.queues.values():
            if queue.name not in agent.active:
                continue
            member = agent.memberships[queue.name]
            for entry in queue.waiting:
                key = (member.penalty, -queue.config.priority, -entry.priority, entry.seq)
                if best_key is None or key < best_key:
                    best, best_key = (queue, entry), key
        return best
