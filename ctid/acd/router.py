"""Matching waiting calls and free agents across every queue an agent serves.

Two decisions, both without scanning all agents or all calls:

* A call becomes routable (it arrives, or comes back after ring-no-answer):
  its queue's strategy picks from its index of free agents.
* An agent becomes free (ready, or a queue's schedule starts): it takes the
  head call of one of the queues it serves, chosen by its penalty for the
  queue (its per-queue priority), then the queue's priority, then the call's
  priority, then arrival order. That reads one head per queue the agent
  serves. If no queue has a call, the agent joins each queue's free index.

Invariant: an agent is in a queue's free index only while no call waits in
that queue, so each decision is one of the two cases above.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .agent import Agent
from .queue import Entry, QueueRuntime

__all__ = ["Router"]


class Router:
    def __init__(self, queues: Mapping[str, QueueRuntime]) -> None:
        self.queues = queues

    def entry_key(self, agent: Agent, queue: QueueRuntime, entry: Entry) -> tuple[Any, ...]:
        """How much ``agent`` prefers ``entry`` of ``queue``: lowest first."""
        member = agent.memberships[queue.name]
        return (member.penalty, -queue.config.priority, -entry.priority, entry.seq)

    def best_entry_for(self, agent: Agent) -> tuple[QueueRuntime, Entry] | None:
        """The waiting call ``agent`` should take now, if any."""
        best: tuple[QueueRuntime, Entry] | None = None
        best_key: tuple[Any, ...] | None = None
        for name in agent.active:
            queue = self.queues[name]
            head = queue.waiting.first()
            if head is None:
                continue
            key = self.entry_key(agent, queue, head)
            if best_key is None or key < best_key:
                best, best_key = (queue, head), key
        return best

    def agents_for(self, queue: QueueRuntime, entry: Entry) -> list[Agent]:
        """The free agents to ring for ``entry`` (its queue's strategy decides)."""
        return queue.strategy.pick(entry.caller)

    def make_available(self, agent: Agent) -> None:
        """``agent`` is free and no call waits for it: index it in each queue it serves."""
        for name in agent.active:
            self.queues[name].strategy.add(agent, agent.memberships[name])

    def make_unavailable(self, agent: Agent, names: frozenset[str] | None = None) -> None:
        for name in agent.active if names is None else names:
            self.queues[name].strategy.remove(agent)
