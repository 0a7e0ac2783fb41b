"""Blended agents, the outbound side: which campaigns have preview work to put before
inbound calls, and the agents the ACD gave them for it.

The ACD asks ``Blender.claim`` (``ctid.acd.core.OutboundWork``) before a ready
agent takes an inbound call of priority p; a running ``preview`` campaign of
``priority`` c > max(p, 0) whose queue the agent serves, with records due at
its last pacing round, claims the agent (the highest c first; at equal c the
campaign whose name sorts first). The ACD reserves the agent for it at once;
the campaign's next pacing round (woken at once) shows the agent a record
(``PreviewDesk.round``), or, when none is left, lets the agent go, after
noting that the campaign has no work, so the ACD's next question about the
agent finds the inbound call.

A callback booked for one agent (``agentOnly``) claims that agent by the same
rule, in every mode: a running campaign of ``priority`` c > max(p, 0) with such
a callback due for the agent takes it before the inbound call (its round then
offers the callback). At each round a campaign of priority > 0 looks up which
agents have one due (``agent_callbacks.callback_agents_due``).

What is due is what the last round saw (at most ``PACE_SECONDS`` old); a
campaign's work is forgotten when it is paused or stopped, and its agents
released (``PreviewDesk.withdraw``).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .campaign_config import CampaignSpec

__all__ = ["Blender"]


@attrs.frozen
class _Work:
    queue: str
    priority: int


@attrs.frozen
class _Callbacks:
    queue: str
    priority: int
    #: The agents with a callback due, booked for them alone.
    agents: frozenset[str]


class Blender:
    """See the module docstring; the one ``OutboundWork`` of the daemon's ACD."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        #: Campaign -> its queue and priority, while it has preview work due.
        self.work: dict[str, _Work] = {}
        #: Agent -> the campaign that claimed it and has not shown it a record yet.
        self.held: dict[str, str] = {}
        #: Campaign -> the agents with an ``agentOnly`` callback due, at its priority.
        self.callbacks: dict[str, _Callbacks] = {}
        #: Campaigns paused or stopped: a round that was under way then claims nothing.
        self.off: set[str] = set()

    def seen(self, spec: CampaignSpec, due: bool) -> None:
        """A pacing round of ``spec`` found records due for more agents (``due``) or not."""
        if due and spec.priority > 0 and spec.mode == "preview" and spec.name not in self.off:
            self.work[spec.name] = _Work(queue=spec.queue, priority=spec.priority)
        else:
            self.work.pop(spec.name, None)

    def seen_callbacks(self, spec: CampaignSpec, agents: frozenset[str]) -> None:
        """A round of ``spec`` found callbacks due for ``agents`` alone."""
        if agents and spec.priority > 0 and spec.name not in self.off:
            self.callbacks[spec.name] = _Callbacks(
                queue=spec.queue, priority=spec.priority, agents=agents
            )
        else:
            self.callbacks.pop(spec.name, None)

    def offered_callback(self, campaign: str, agent_id: str) -> None:
        """The agent was shown its callback: it has none due any more (until the next look)."""
        found = self.callbacks.get(campaign)
        if found is not None and agent_id in found.agents:
            self.callbacks[campaign] = attrs.evolve(found, agents=found.agents - {agent_id})

    def claim(self, agent_id: str, queues: frozenset[str], above: int) -> str | None:
        """``OutboundWork.claim``: the campaign that takes the agent before an inbound call
        of priority ``above``, if any."""
        best: tuple[int, str] | None = None
        candidates = [(name, w.queue, w.priority) for name, w in self.work.items()]
        candidates += [
            (name, c.queue, c.priority)
            for name, c in self.callbacks.items()
            if agent_id in c.agents
        ]
        for name, queue, priority in candidates:
            if priority <= max(above, 0) or queue not in queues:
                continue
            if best is None or (-priority, name) < (-best[0], best[1]):
                best = (priority, name)
        if best is None:
            return None
        self.held[agent_id] = best[1]
        self._wake()
        return best[1]

    def held_by(self, campaign: str) -> list[str]:
        """The agents claimed for ``campaign`` and not shown a record yet, in claim order."""
        return [agent for agent, name in self.held.items() if name == campaign]

    def let_go(self, agent_id: str) -> None:
        """The agent was shown a record, released, or is no longer the campaign's."""
        self.held.pop(agent_id, None)

    def forget(self, campaign: str) -> list[str]:
        """The campaign paused or stopped: no more claims for it; its held agents (to release)."""
        self.off.add(campaign)
        self.work.pop(campaign, None)
        self.callbacks.pop(campaign, None)
        agents = self.held_by(campaign)
        for agent in agents:
            del self.held[agent]
        return agents

    def back(self, campaign: str) -> None:
        """The campaign runs again: its rounds say what is due."""
        self.off.discard(campaign)
