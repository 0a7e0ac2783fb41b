"""Blended agents: a campaign's preview work against the inbound calls, by priority.

An agent of a queue a campaign works takes both inbound calls and the
campaign's previews. When the two compete for a ready agent, the higher
priority goes first: a campaign of ``priority`` c (c > 0) is taken before an
inbound call whose queue priority p is lower than c (c > p); at equal
priority the caller who waits goes first, and a campaign of priority 0 (the
default) never holds an agent back from an inbound call.

They compete at the two moments the ACD hands out an agent: an agent becomes
ready while calls wait (``best_entry_for``), and a call becomes routable while
agents are free (``agents_for``). The ACD asks the outbound side
(``core.OutboundWork.claim``) about the call it would offer; a campaign that
claims the agent has it at once: the agent is ``reserved`` (cause
``outboundReserved``, ``agent.outboundReserve`` names the campaign) and the
ACD offers it nothing until the campaign shows it a record or lets it go.
With no inbound call waiting nothing competes: the campaign's next pacing
round reserves the ready agent, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .agent import Agent, OutboundReserve
from .agent_states import AgentState, AgentTrigger
from .queue import Entry, QueueRuntime

if TYPE_CHECKING:
    from .core import AcdCore

__all__ = ["RESERVED_CAUSE", "agents_for", "best_entry_for", "hold", "reserve"]

#: The ``cause`` of the agent event when a campaign reserves an agent.
RESERVED_CAUSE: Final = "outboundReserved"


def reserve(engine: AcdCore, agent: Agent, campaign: str, record: int | None = None) -> bool:
    """Hold ``agent`` for ``campaign`` (``record``: the record shown): a ready agent becomes
    ``reserved``; one the campaign holds and has shown nothing yet is given the record.
    False: the agent is neither (it took a call, changed state, another campaign holds
    it, or it has a record on screen: never two at once)."""
    state = agent.state
    if state is AgentState.RESERVED and agent.offer is None:
        held = agent.outbound
        if held is None or held.campaign != campaign or held.record is not None:
            return False  # not the campaign's, or shown a record already
        agent.outbound = OutboundReserve(campaign=campaign, record=record)
        return True
    if state is not AgentState.READY or agent.device is None:
        return False
    # Set first: the agent event of the change carries the snapshot.
    agent.outbound = OutboundReserve(campaign=campaign, record=record)
    engine.transition(agent, AgentTrigger.RESERVE, cause=RESERVED_CAUSE)
    return True


def hold(engine: AcdCore, agent: Agent, above: int) -> bool:
    """Whether a campaign with work of priority > ``above`` took the ready ``agent``."""
    outbound = engine.outbound
    if outbound is None or agent.state is not AgentState.READY or agent.device is None:
        return False
    campaign = outbound.claim(agent.agent_id, agent.active, above)
    return campaign is not None and reserve(engine, agent, campaign)


def best_entry_for(engine: AcdCore, agent: Agent) -> tuple[QueueRuntime, Entry] | None:
    """The waiting call the ready ``agent`` takes now; None when none waits or a campaign
    of a higher priority took the agent (it is ``reserved`` then)."""
    best = engine.router.best_entry_for(agent)
    if best is None or engine.outbound is None or not hold(engine, agent, best[1].priority):
        return best
    return None


def agents_for(engine: AcdCore, queue: QueueRuntime, entry: Entry) -> list[Agent]:
    """The free agents to ring for ``entry``, but those a campaign of a higher priority
    takes (reserved for it, they leave the free indexes: the strategy picks again)."""
    agents = engine.router.agents_for(queue, entry)
    if engine.outbound is None:
        return agents
    while agents:
        kept = [agent for agent in agents if not hold(engine, agent, entry.priority)]
        if kept:
            return kept
        agents = engine.router.agents_for(queue, entry)
    return agents
