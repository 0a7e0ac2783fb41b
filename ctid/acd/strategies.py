"""Routing strategies: which free agent of a queue gets its next call.

Each strategy is one small class behind the ``Strategy`` interface, registered
under the name used in configuration and on the command line; adding one
touches nothing else. A strategy keeps the queue's free agents in its own
index (``SortedIndex``), so ``pick`` reads the best agent instead of scanning
every member. Agents join the index when they become free for the queue
(``add``) and leave it when they stop being free (``remove``); the keys are
fixed at ``add`` time, which is right because what they depend on (calls and
talk time today, the moment the agent became ready) does not change while the
agent is free.

Every strategy serves lower ``penalty`` tiers first (the agent's per-queue
priority), then orders agents by its own rule. Ties go to whoever became free
first.
"""

from __future__ import annotations

import abc
import random
from collections.abc import Callable
from typing import Any, ClassVar, Final

from .agent import Agent, Membership
from .index import SortedIndex

__all__ = [
    "STRATEGIES",
    "FewestCalls",
    "LastAgent",
    "LeastTalkTime",
    "Linear",
    "LongestIdle",
    "RandomChoice",
    "RingAll",
    "RoundRobin",
    "SkillLevel",
    "Strategy",
    "StrategyContext",
    "make_strategy",
]


class StrategyContext:
    """What strategies may consult besides the agents: randomness and caller history."""

    def __init__(
        self,
        *,
        rng: random.Random,
        last_agent: Callable[[str, float], str | None] = lambda caller, max_age: None,
    ) -> None:
        self.rng = rng
        #: (caller, max age in seconds) -> the agent who last served that caller, if recent.
        self.last_agent = last_agent


class Strategy(abc.ABC):
    """Free agents of one queue, and the choice among them."""

    #: The name in configuration (``strategy = "..."``) and on the command line.
    name: ClassVar[str]

    def __init__(self, ctx: StrategyContext, *, max_age: float = 0.0, fallback: str = "") -> None:
        self.ctx = ctx
        self.index: SortedIndex[Agent] = SortedIndex()

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self.index

    def add(self, agent: Agent, member: Membership) -> None:
        """``agent`` is free to take a call of this queue."""
        self.index.add(agent.agent_id, (member.penalty, *self.key(agent, member)), agent)

    def remove(self, agent: Agent) -> None:
        """``agent`` is no longer free for this queue (idempotent)."""
        self.index.discard(agent.agent_id)

    def get(self, agent_id: str) -> Agent | None:
        return self.index.get(agent_id)

    @abc.abstractmethod
    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        """The order among agents of one penalty tier: lowest first."""

    def pick(self, caller: str) -> list[Agent]:
        """The agents to ring for a call from ``caller``: none, one, or (ring-all) several.

        Picking does not remove them; the engine does when they stop being free.
        """
        first = self.index.first()
        return [] if first is None else [first]

    def free_agents(self) -> list[Agent]:
        """Every free agent, best first (for snapshots and tests)."""
        return list(self.index)


#: Name -> strategy class; ``register`` adds to it.
STRATEGIES: Final[dict[str, type[Strategy]]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    if cls.name in STRATEGIES:
        raise ValueError(f"strategy {cls.name} registered twice")
    STRATEGIES[cls.name] = cls
    return cls


def make_strategy(
    name: str, ctx: StrategyContext, *, max_age: float = 0.0, fallback: str = "longest-idle"
) -> Strategy:
    """A new strategy by its configured name (``KeyError`` if there is none)."""
    return STRATEGIES[name](ctx, max_age=max_age, fallback=fallback)


@register
class Linear(Strategy):
    """Always the same order: the order the agents are listed in the configuration."""

    name = "linear"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (member.position,)


@register
class RoundRobin(Strategy):
    """In turn, in configuration order, starting after the agent who got the last call."""

    name = "round-robin"

    def __init__(self, ctx: StrategyContext, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        #: Position of the agent who was given the last call (the memory).
        self.last = -1

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (member.position,)

    def pick(self, caller: str) -> list[Agent]:
        index = self.index
        if not index:
            return []
        tier = index.entry_key(0)[0]
        end = index.bisect((tier + 1,))
        i = index.bisect((tier, self.last + 1))
        chosen = index.at(i if i < end else 0)
        self.last = index.key_of(chosen.agent_id)[1]
        return [chosen]


@register
class FewestCalls(Strategy):
    """The agent who has answered the fewest ACD calls today."""

    name = "fewest-calls"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (agent.day.calls, agent.ready_since)


@register
class LeastTalkTime(Strategy):
    """The agent who has spent the least time on calls today."""

    name = "least-talk-time"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (agent.day.talk, agent.ready_since)


@register
class LongestIdle(Strategy):
    """The agent who has been ready the longest."""

    name = "longest-idle"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (agent.ready_since,)


@register
class SkillLevel(Strategy):
    """The agent with the highest skill level in the queue, then the longest idle."""

    name = "skill-level"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (-member.level, agent.ready_since)


@register
class RandomChoice(Strategy):
    """Any free agent, uniformly at random.

    Each agent draws a random key when it becomes free; the smallest key among
    the free agents is a uniform choice, and stays O(log n).
    """

    name = "random"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (self.ctx.rng.random(),)


@register
class RingAll(Strategy):
    """Every free agent of the best penalty tier rings at once; the first to answer takes it."""

    name = "ring-all"

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return (agent.ready_since,)

    def pick(self, caller: str) -> list[Agent]:
        index = self.index
        if not index:
            return []
        tier = index.entry_key(0)[0]
        end = index.bisect((tier + 1,))
        return [index.at(i) for i in range(end)]


@register
class LastAgent(Strategy):
    """The agent who last served this caller (within ``last_agent_days``), if free;
    otherwise the queue's fallback strategy decides."""

    name = "last-agent"

    def __init__(
        self, ctx: StrategyContext, *, max_age: float = 0.0, fallback: str = "longest-idle"
    ) -> None:
        super().__init__(ctx)
        self.max_age = max_age
        self.fallback = make_strategy(fallback, ctx)
        # One index only: the fallback's.
        self.index = self.fallback.index

    def key(self, agent: Agent, member: Membership) -> tuple[Any, ...]:
        return self.fallback.key(agent, member)

    def pick(self, caller: str) -> list[Agent]:
        agent_id = self.ctx.last_agent(caller, self.max_age)
        if agent_id is not None:
            agent = self.index.get(agent_id)
            if agent is not None:
                return [agent]
        return self.fallback.pick(caller)
